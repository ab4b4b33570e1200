"""Signals and what gathers around them: recognitions, the timeline, lessons, follows."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from community.models import Community, Language, Municipality, Organisation, User
from signals.rules import Counters, Rule, escalation_explanation


class Theme(models.Model):
    """Global, edited by staff; the ten of PRODUCT.md are loaded by a data migration."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_ar = models.CharField(_("name (Arabic)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Dutch when the language has none)."""
        language = (translation.get_language() or "nl")[:2]
        return str(getattr(self, f"name_{language}", "") or self.name_nl)


class Status(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED_LOCALLY = "resolved_locally", _("Solved locally")
    ESCALATED = "escalated", _("Escalated")
    REPORTED = "reported", _("Reported")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged")


class Outcome(models.TextChoices):
    SOLVED = "solved", _("Solved")
    PARTLY_SOLVED = "partly_solved", _("Partly solved")
    NOT_SOLVED = "not_solved", _("Not solved")
    NO_LONGER_RELEVANT = "no_longer_relevant", _("No longer relevant")


class Signal(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="signals", verbose_name=_("community")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="signals",
        verbose_name=_("reported by"),
    )
    title = models.CharField(_("title"), max_length=140)
    description = models.TextField(_("description"))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="signals", verbose_name=_("theme"))
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("municipality"),
        help_text=_("Where the bottleneck occurs."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_signals"
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported to the targets"), null=True, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    # Denormalised from the recognitions; recomputed under the signal's row lock.
    recognition_count = models.PositiveIntegerField(_("recognitions"), default=0)
    municipality_count = models.PositiveIntegerField(_("municipalities"), default=0)
    organisation_count = models.PositiveIntegerField(_("organisations"), default=0)
    status_holder_count = models.PositiveIntegerField(_("recognitions by status holders"), default=0)
    created_at = models.DateTimeField(_("reported"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # Title (weight A) and description (weight B), Dutch stemming; kept by signals.search.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-last_activity_at", "-pk"]
        verbose_name = _("signal")
        verbose_name_plural = _("signals")
        indexes = [
            models.Index(fields=["community", "status"], name="signal_community_status_idx"),
            models.Index(fields=["community", "theme"], name="signal_community_theme_idx"),
            models.Index(fields=["community", "municipality"], name="signal_community_muni_idx"),
            models.Index(fields=["community", "-created_at"], name="signal_community_new_idx"),
            models.Index(fields=["community", "-last_activity_at"], name="signal_community_active_idx"),
            models.Index(fields=["community", "-recognition_count"], name="signal_community_recog_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False) | (~Q(status="merged") & Q(merged_into=None)),
                name="signal_merged_names_its_survivor",
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="signal_not_merged_into_itself"),
        ]

    def __str__(self) -> str:
        return self.title


class Recognition(models.Model):
    """ "This happens here too": one per person and signal, the reporter's own report first."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="recognitions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recognitions")
    # Taken from the profile at this moment; profile changes later do not rewrite the evidence.
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="recognitions")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="recognitions"
    )
    by_status_holder = models.BooleanField(default=False)
    people_affected = models.PositiveIntegerField(
        _("people affected"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    tried_locally = models.BooleanField(_("tried to solve it locally"), default=False)
    tried_locally_note = models.TextField(_("what was tried"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("recognised"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        constraints = [
            models.UniqueConstraint(fields=["signal", "user"], name="recognition_one_per_person_and_signal"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} recognises {self.signal_id}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Signal reported")
    EDITED = "edited", _("Edited")
    TRANSITION = "transition", _("Status changed")
    MERGED_INTO = "merged_into", _("Merged into another signal")
    MERGED_FROM = "merged_from", _("Another signal was merged into this one")
    HIDDEN = "hidden", _("Hidden")
    RESTORED = "restored", _("Restored")


class SignalEventQuerySet(models.QuerySet["SignalEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("The timeline is appended to, never edited.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The timeline is appended to, never edited.")


class SignalEvent(models.Model):
    """One line of a signal's timeline: who, when, what, why. Appended, never edited."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    figures = models.JSONField(
        _("figures"),
        null=True,
        blank=True,
        help_text=_("For an escalation by the rule: the signal's counters and the rule it met."),
    )
    related_signal = models.ForeignKey(Signal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = SignalEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        constraints = [
            # Escalation is permanent: a second escalation entry means something ran twice.
            models.UniqueConstraint(
                fields=["signal"],
                condition=Q(kind="transition", to_status="escalated"),
                name="signal_escalated_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signal_id} {self.kind}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("The timeline is appended to, never edited.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def explanation(self) -> str:
        """Why: the reason someone gave, or for the rule, its figures in the reader's language."""
        if self.figures:
            return escalation_explanation(Counters(**self.figures["counters"]), Rule(**self.figures["rule"]))
        return self.reason


class Lesson(models.Model):
    """What solved a signal locally, kept for other municipalities."""

    signal = models.OneToOneField(Signal, on_delete=models.CASCADE, related_name="lesson")
    text = models.TextField(_("lesson"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return f"Lesson of {self.signal_id}"


class Follow(models.Model):
    """A person follows one signal, or a theme or municipality within a community."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="follows")
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, null=True, blank=True, related_name="follows")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="follows")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(signal__isnull=False, theme=None, municipality=None)
                    | Q(signal=None, theme__isnull=False, municipality=None)
                    | Q(signal=None, theme=None, municipality__isnull=False)
                ),
                name="follow_exactly_one_subject",
            ),
            models.UniqueConstraint(
                fields=["user", "signal"], condition=Q(signal__isnull=False), name="follow_signal_once"
            ),
            models.UniqueConstraint(
                fields=["user", "community", "theme"], condition=Q(theme__isnull=False), name="follow_theme_once"
            ),
            models.UniqueConstraint(
                fields=["user", "community", "municipality"],
                condition=Q(municipality__isnull=False),
                name="follow_municipality_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.signal_id or self.theme_id or self.municipality_id}"


class Message(models.Model):
    """One contribution to a signal's discussion. Soft-deleted by its author, hidden by moderators."""

    MAX_LENGTH = 4000

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="messages")
    body = models.TextField(_("message"), max_length=MAX_LENGTH)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    # Chosen by the client; the same id never makes a second message (a retry returns the first).
    client_id = models.UUIDField(null=True, blank=True)
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    created_at = models.DateTimeField(_("posted"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    hidden = models.BooleanField(_("hidden"), default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.TextField(_("reason for hiding"), blank=True)
    key_point = models.BooleanField(_("key point"), default=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["signal", "id"], name="message_signal_id_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_once_per_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} on {self.signal_id}"

    def get_absolute_url(self) -> str:
        """The message on its signal's page, in the window of the discussion that holds it."""
        return reverse("signal_detail", args=[self.signal_id]) + f"?upto={self.pk}#message-{self.pk}"

    @property
    def visible(self) -> bool:
        return not self.hidden and self.deleted_at is None


class Mention(models.Model):
    """A community member named with @ in a message (for the notifications to use)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "user"], name="mention_once_per_message")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.message_id}"


class FlagOutcome(models.TextChoices):
    HIDDEN = "hidden", _("Hidden")
    DISMISSED = "dismissed", _("Dismissed")


class FlagQuerySet(models.QuerySet["Flag"]):
    def open(self) -> FlagQuerySet:
        return self.filter(handled_at=None)

    def handle(self, *, by: User, outcome: FlagOutcome) -> int:
        """Close the open flags among these; returns how many. Caller holds the subject's row lock,
        so a second click finds nothing open and closes nothing."""
        return self.open().update(handled_at=timezone.now(), handled_by=by, outcome=outcome)


class Flag(models.Model):
    """A member asks the moderators to look at a message or at a signal (exactly one of them)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, null=True, blank=True, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.TextField(_("reason"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("flagged"), default=timezone.now)
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=FlagOutcome.choices, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        indexes = [
            # The moderation queue reads only the open flags.
            models.Index(fields=["-created_at"], condition=Q(handled_at=None), name="flag_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(message__isnull=False, signal=None) | Q(message=None, signal__isnull=False),
                name="flag_exactly_one_subject",
            ),
            models.UniqueConstraint(
                fields=["message", "user"], condition=Q(message__isnull=False), name="flag_message_once_per_person"
            ),
            models.UniqueConstraint(
                fields=["signal", "user"], condition=Q(signal__isnull=False), name="flag_signal_once_per_person"
            ),
        ]

    def __str__(self) -> str:
        subject = f"message {self.message_id}" if self.message_id else f"signal {self.signal_id}"
        return f"{self.user_id} flags {subject}"


# --- Digest reports --------------------------------------------------------------------------------


class DigestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent")


class Digest(models.Model):
    """A community's report for one scheduled slot: a snapshot, approved once, rendered once, sent at most once."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="digests")
    slot = models.DateTimeField(_("scheduled for"))
    status = models.CharField(_("status"), max_length=20, choices=DigestStatus.choices, default=DigestStatus.DRAFT)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    figures = models.JSONField(_("figures"), default=dict, help_text=_("Community-wide figures at compile time."))
    created_at = models.DateTimeField(_("compiled"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The final outputs, rendered once at approval and kept.
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)
    pdf = models.BinaryField(blank=True, default=b"")
    csv = models.TextField(blank=True)

    class Meta:
        ordering = ["-slot", "-pk"]
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [models.UniqueConstraint(fields=["community", "slot"], name="digest_one_per_community_and_slot")]

    def __str__(self) -> str:
        return f"{self.community} {self.slot:%Y-%m-%d}"

    @property
    def day(self) -> datetime.date:
        """The slot's date where the community is (Amsterdam)."""
        return timezone.localtime(self.slot).date()


class DigestItem(models.Model):
    """One signal in one digest (never in two), with its figures as they were when it was taken in."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="items")
    signal = models.OneToOneField(Signal, on_delete=models.CASCADE, related_name="digest_item")
    snapshot = models.JSONField(default=dict)
    held_back = models.BooleanField(_("held back"), default=False)
    held_back_reason = models.TextField(_("why it was held back"), blank=True)
    held_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    held_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["digest", "pk"]
        verbose_name = _("digest item")
        verbose_name_plural = _("digest items")

    def __str__(self) -> str:
        return f"{self.digest_id}: {self.signal_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    UNCERTAIN = "uncertain", _("Uncertain: interrupted while sending; not sent again")
    FAILED = "failed", _("Refused by the mail server")


class DigestDelivery(models.Model):
    """The outbox: one row per recipient of a digest. Claimed by a conditional update before a mail goes out."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    target_name = models.CharField(_("target"), max_length=150)
    address = models.EmailField(_("address"))
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["digest", "target_name", "address"]
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        constraints = [models.UniqueConstraint(fields=["digest", "address"], name="delivery_one_per_address")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.digest_id} → {self.address}: {self.status}"


class Answer(models.Model):
    """What came back from The Hague (or wherever the signal went): recorded on the signal by a coordinator or a
    liaison, saying on whose behalf ("the ministry of SZW, via the regional coordinator")."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(_("answer"), max_length=8000)
    on_behalf_of = models.CharField(_("on behalf of"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return f"{self.signal_id}: {self.on_behalf_of}"


class CheckBack(models.Model):
    """ "Is this still a problem?", asked once, some weeks after a signal was solved locally, of its reporter and
    recognisers. One per local solution (the timeline entry of that move): asking twice is impossible."""

    signal = models.ForeignKey(Signal, on_delete=models.CASCADE, related_name="check_backs")
    resolution = models.OneToOneField(SignalEvent, on_delete=models.CASCADE, related_name="check_back")
    asked_at = models.DateTimeField(_("asked"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopened = models.BooleanField(_("reopened the signal"), default=False)

    class Meta:
        ordering = ["-asked_at", "-pk"]
        verbose_name = _("check-back")
        verbose_name_plural = _("check-backs")

    def __str__(self) -> str:
        return f"check-back {self.signal_id}"


class CheckBackAnswer(models.Model):
    """One person's answer to a check-back (empty until they answer): one per person and check-back."""

    check_back = models.ForeignKey(CheckBack, on_delete=models.CASCADE, related_name="answers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_back_answers")
    still_a_problem = models.BooleanField(_("still a problem"), null=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    mailed_at = models.DateTimeField(_("mailed"), null=True, blank=True)

    class Meta:
        ordering = ["check_back", "pk"]
        verbose_name = _("check-back answer")
        verbose_name_plural = _("check-back answers")
        constraints = [models.UniqueConstraint(fields=["check_back", "user"], name="check_back_answer_one_per_person")]

    def __str__(self) -> str:
        return f"{self.check_back_id}: {self.user_id} {self.still_a_problem}"
