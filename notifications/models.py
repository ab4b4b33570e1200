"""Notifications, email preferences and the state of a person's mail delivery.

A notification points at its subject generically (a URL, a key such as
``signal:12`` and the title as it was when the event happened); this app knows
nothing of what the subject is.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.models import Community


class Kind(models.TextChoices):
    """Every kind of notification of PRODUCT.md (Notifications); the apps that raise them choose."""

    MESSAGE = "message", _("New messages on a signal I take part in")
    MENTION = "mention", _("Someone mentions me")
    STATUS = "status", _("The status of a signal I take part in changes")
    ESCALATED = "escalated", _("A signal I take part in is escalated")
    ANSWER = "answer", _("An answer is recorded")
    DIGEST = "digest", _("A digest awaits approval or was sent")
    NEW_SIGNAL = "new_signal", _("A new signal in a theme or municipality I follow")
    MERGE = "merge", _("A signal I recognised is merged into another")
    CHECK_BACK = "check_back", _("Is this still a problem? (check-back questions)")


class Frequency(models.TextChoices):
    IMMEDIATELY = "immediately", pgettext_lazy("email frequency", "Immediately")
    DAILY = "daily", pgettext_lazy("email frequency", "Daily summary")
    WEEKLY = "weekly", pgettext_lazy("email frequency", "Weekly summary")
    NEVER = "never", pgettext_lazy("email frequency", "Never")


# PRODUCT.md's defaults: what someone asks of me now comes at once, the rest in the morning's summary.
DEFAULT_FREQUENCY: dict[str, Frequency] = dict.fromkeys(Kind, Frequency.DAILY)
DEFAULT_FREQUENCY |= {
    Kind.MENTION: Frequency.IMMEDIATELY,
    Kind.ANSWER: Frequency.IMMEDIATELY,
}

# Kinds where a burst of events on one subject becomes one notification ("12 new messages on …").
GROUPED_KINDS = frozenset({Kind.MESSAGE})


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("by"), max_length=200, blank=True, help_text=_("The name others see."))
    subject_key = models.CharField(_("subject"), max_length=100, help_text=_("What it is about, e.g. signal:12."))
    url = models.CharField(_("link"), max_length=500)
    title = models.CharField(_("title"), max_length=300)
    detail = models.JSONField(
        _("detail"), default=dict, blank=True, help_text=_("A short text per language code, e.g. the new status.")
    )
    count = models.PositiveIntegerField(_("events"), default=1, help_text=_("Events grouped into this one."))
    email_frequency = models.CharField(
        _("email"), max_length=12, choices=Frequency.choices, help_text=_("The preference when it was created.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("last event"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(
        _("emailed"), null=True, blank=True, help_text=_("Claimed for a mail (or for none, when mail is off).")
    )

    class Meta:
        ordering: ClassVar = ["-updated_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-updated_at"], name="notification_recipient_recent"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_unread"),
            models.Index(
                fields=["email_frequency", "created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_mail_pending",
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(count__gte=1), name="notification_count_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.title}"


class Preference(models.Model):
    """A person's choice for one kind; kinds without a row follow ``DEFAULT_FREQUENCY``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    frequency = models.CharField(_("email"), max_length=12, choices=Frequency.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_unique_user_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.frequency}"


class MailStatus(models.Model):
    """Mail delivery to one person: hard failures in a row, and whether mail is off because of them."""

    FAILURES_BEFORE_OFF = 3

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_status")
    hard_failures = models.PositiveIntegerField(_("hard failures in a row"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    disabled_at = models.DateTimeField(_("mail switched off"), null=True, blank=True)
    notice_seen_at = models.DateTimeField(_("notice seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail status")
        verbose_name_plural = _("mail statuses")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.hard_failures} failure(s)"
