"""Free text from people as the database can keep it, checked once where the domain functions take it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def storable_text(value: object) -> str:
    """``value`` without NUL bytes (PostgreSQL refuses them; the pages dropped them already).

    Raises ValidationError (code ``invalid``) for anything but text, and for text with lone surrogates:
    they have no UTF-8, so the database cannot take them (a JSON ``"\\ud800"`` decodes to one).
    """
    if not isinstance(value, str):
        raise ValidationError(_("Some values are not valid."), code="invalid")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("Some values are not valid."), code="invalid") from None
    return value.replace("\x00", "")
