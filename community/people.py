"""How a person appears to others: their name, or for the pseudonymous a description that cannot identify them."""

from __future__ import annotations

from django.utils.translation import gettext as _

from community.models import Community, User


def public_name(user: User | None, community: Community) -> str:
    """The name others see next to what this person posts in ``community``.

    Pseudonymous people appear by their pseudonym, or as "a status holder in
    Hart van Brabant": kind and region, never the name or a small
    municipality that could identify them (PRODUCT.md, Privacy).
    """
    if user is None or user.erased_at is not None:
        return _("a former member")
    if not user.pseudonymous:
        return user.display_name
    if user.pseudonym_label:
        return user.pseudonym_label
    if user.is_status_holder:
        return _("a status holder in %(region)s") % {"region": community.region.name}
    return _("a professional in %(region)s") % {"region": community.region.name}
