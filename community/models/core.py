"""People, places, organisations, communities and memberships."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")
    ARABIC = "ar", _("Arabic")


class Region(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="municipalities", verbose_name=_("region")
    )
    name = models.CharField(_("name"), max_length=100)
    cbs_code = models.CharField(
        _("CBS code"),
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^GM[0-9]{4}$", _("A CBS municipality code looks like GM0855."))],
        help_text=_("The code Statistics Netherlands (CBS) gives the municipality, e.g. GM0855."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cbs_code__regex=r"^GM[0-9]{4}$"), name="municipality_cbs_code_format"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    COA = "coa", _("COA (Central Agency for the Reception of Asylum Seekers)")
    VLUCHTELINGENWERK = "vluchtelingenwerk", _("VluchtelingenWerk")
    HOUSING_CORPORATION = "housing_corporation", _("Housing corporation")
    LANGUAGE_SCHOOL = "language_school", _("Language school")
    EMPLOYER_SERVICE = "employer_service", _("Employer service")
    GGD = "ggd", _("GGD (public health service)")
    DIVOSA = "divosa", _("Divosa")
    MINISTRY = "ministry", _("Ministry")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("municipality"),
        help_text=_("For a municipality's own organisation or a local branch; empty for national bodies."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="municipality") | models.Q(municipality__isnull=False),
                name="organisation_municipality_kind_has_municipality",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Community(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="communities", verbose_name=_("region"))
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=Language.DUTCH,
        help_text=_("The language of the community's digests and emails."),
    )
    # The escalation rule (PRODUCT.md, "Escalation: breadth"): all four minimums must be met.
    min_recognitions = models.PositiveIntegerField(
        _("minimum recognitions"), default=10, validators=[MinValueValidator(1)]
    )
    min_municipalities = models.PositiveIntegerField(
        _("minimum municipalities"), default=3, validators=[MinValueValidator(1)]
    )
    min_organisations = models.PositiveIntegerField(_("minimum organisations"), default=2)
    min_status_holder_recognitions = models.PositiveIntegerField(_("minimum recognitions by status holders"), default=0)
    open_for_applications = models.BooleanField(
        _("open for applications"),
        default=True,
        help_text=_("People who are not a member can ask to join; a coordinator decides."),
    )
    # The digest schedule (PRODUCT.md, "Digest reports"): a weekly slot, Europe/Amsterdam time.
    digest_weekday = models.PositiveSmallIntegerField(_("digest day"), choices=Weekday.choices, default=Weekday.MONDAY)
    digest_time = models.TimeField(_("digest time"), default=datetime.time(8, 0))
    digest_approval = models.BooleanField(
        _("digests need approval"),
        default=True,
        help_text=_("A coordinator reads and approves each draft before it is sent; off: drafts are sent at once."),
    )
    # Check-backs (PRODUCT.md, "Back down"): weeks after a local solution, those involved are asked again.
    checkback_weeks = models.PositiveSmallIntegerField(
        _("check-back after (weeks)"), default=4, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    checkback_min_yes = models.PositiveSmallIntegerField(
        _("check-back: at least this many “still a problem” answers to reopen"),
        default=3,
        validators=[MinValueValidator(1)],
    )
    checkback_yes_percent = models.PositiveSmallIntegerField(
        _("check-back: and at least this share of the answers (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    open_data = models.BooleanField(
        _("publish open data"),
        default=False,
        help_text=_(
            "Monthly counts per theme and municipality, without text or people and with small numbers left out, "
            "for anyone at /api/v1/open-data/signals.csv."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


class TargetKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry")
    DIVOSA = "divosa", _("Divosa")
    VNG = "vng", _("VNG")
    COA = "coa", _("COA")
    OTHER = "other", _("Other")


class DigestTarget(models.Model):
    """Who receives a community's sent digests. No code names a ministry: which one owns a subject changes."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="digest_targets", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=TargetKind.choices, default=TargetKind.OTHER)
    emails = models.TextField(_("email addresses"), help_text=_("One or more, separated by commas or new lines."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("digest target")
        verbose_name_plural = _("digest targets")
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="digest_target_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def addresses(self) -> list[str]:
        return addresses_in(self.emails)


def addresses_in(text: str) -> list[str]:
    """The distinct addresses in a comma- or line-separated list, lower-cased, in order."""
    seen: dict[str, None] = {}
    for part in text.replace("\n", ",").replace(";", ",").split(","):
        if part.strip():
            seen.setdefault(part.strip().lower(), None)
    return list(seen)


class UserKind(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    STATUS_HOLDER = "status_holder", _("Status holder")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # The whole address is compared case-insensitively, so it is stored lower-case.
        return (email or "").strip().lower()

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        kind = fields.setdefault("kind", UserKind.PROFESSIONAL)
        # Pseudonymity is on by default for status holders (PRODUCT.md, Privacy).
        fields.setdefault("pseudonymous", kind == UserKind.STATUS_HOLDER)
        user = self.model(email=self.normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=16, choices=UserKind.choices, default=UserKind.PROFESSIONAL)
    pseudonymous = models.BooleanField(
        _("pseudonymous"),
        default=False,
        help_text=_("Others see a pseudonym instead of the name on everything this person posts."),
    )
    pseudonym_label = models.CharField(
        _("pseudonym"),
        max_length=60,
        blank=True,
        help_text=_("Shown instead of the name when pseudonymous; empty shows a generic description."),
    )
    municipalities = models.ManyToManyField(
        Municipality, blank=True, related_name="people", verbose_name=_("municipalities")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Set when the account was deleted (community.erasure): the row stays so that what the person
    # contributed keeps its author, shown as "a former member"; everything personal is gone.
    erased_at = models.DateTimeField(_("deleted"), null=True, blank=True, editable=False)
    # Raised to end every session of the person at once, on every device (community.services.user_sessions_end):
    # it is part of the session auth hash, so a session signed with the old value is signed out at its next request.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["display_name"]

    class Meta:
        ordering = ["display_name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_case_insensitive_unique"),
            models.CheckConstraint(
                condition=~models.Q(kind="status_holder") | models.Q(organisation__isnull=True),
                name="user_status_holder_has_no_organisation",
            ),
        ]

    def __str__(self) -> str:
        if self.erased_at is not None:
            return str(_("a former member"))
        return self.display_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)
        if self.kind == UserKind.STATUS_HOLDER and self.organisation_id is not None:
            raise ValidationError({"organisation": _("Status holders do not belong to an organisation.")})

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django's HMAC of the password (a new password ends the other sessions), mixed with the generation.
        # Generation 0 keeps Django's value, so sessions from before the field existed stay valid.
        password_hash: str = super()._get_session_auth_hash(secret=secret)  # type: ignore[misc]
        if not self.session_generation:
            return password_hash
        return salted_hmac(
            "community.User.session_generation",
            f"{password_hash}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_status_holder(self) -> bool:
        return self.kind == UserKind.STATUS_HOLDER


class Role(models.TextChoices):
    """What a person may do in a community (PRODUCT.md, "Who uses it")."""

    MEMBER = "member", _("Member")
    MODERATOR = "moderator", _("Moderator")
    COORDINATOR = "coordinator", _("Coordinator")
    LIAISON = "liaison", _("Liaison")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("community")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        ordering = ["community", "user"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "community"], name="membership_unique_user_community"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.community} ({self.role})"
