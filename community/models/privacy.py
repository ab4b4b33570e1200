"""The one-time code that confirms an account deletion; only its keyed hash is kept."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeletionCode(models.Model):
    """One open request to delete an account: a new request replaces the old one (one row per person)."""

    MAX_ATTEMPTS = 5

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deletion_code", verbose_name=_("person")
    )
    code_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)

    class Meta:
        verbose_name = _("account deletion code")
        verbose_name_plural = _("account deletion codes")
        indexes = [models.Index(fields=["expires_at"], name="deletioncode_expiry_idx")]

    def __str__(self) -> str:
        return f"deletion code of {self.user_id}"
