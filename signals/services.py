"""Every change to signals: report, edit, recognise, withdraw, merge, hide, restore, follow.

Status moves are in ``signals.workflow``. Each function here checks the
actor's right with ``community.permissions``, locks the signal row it
changes, and keeps the counters exact by recounting under that lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions
from community.audit import audit_record
from community.models import Community, Language, Municipality, User
from community.text import storable_text
from signals import recipients
from signals.limits import posting_count
from signals.models import EventKind, Flag, FlagOutcome, Follow, Recognition, Signal, SignalEvent, Status, Theme
from signals.privacy import guard
from signals.realtime import signal_changed
from signals.search import search_vector_refresh
from signals.tasks import evaluate_after_commit

EDIT_WINDOW = timedelta(hours=24)
TITLE_MAX = 140
# A signal in these statuses still gathers evidence.
RECOGNISABLE = frozenset({Status.OPEN, Status.RESOLVED_LOCALLY, Status.ESCALATED, Status.REPORTED})


def _recount(signal_id: int, **also: Any) -> None:
    """Recompute the counters from the recognitions (and set ``also`` in the same UPDATE).
    Caller holds the signal's row lock."""
    figures = Recognition.objects.filter(signal_id=signal_id).aggregate(
        recognitions=Count("pk"),
        municipalities=Count("municipality", distinct=True),
        organisations=Count("organisation", distinct=True),
        status_holders=Count("pk", filter=Q(by_status_holder=True)),
    )
    Signal.objects.filter(pk=signal_id).update(
        recognition_count=figures["recognitions"],
        municipality_count=figures["municipalities"],
        organisation_count=figures["organisations"],
        status_holder_count=figures["status_holders"],
        **also,
    )
    signal_changed(signal_id=signal_id, recognitions=True)


def _place_of(user: User, municipality: Municipality | None, community: Community) -> Municipality:
    """The municipality a recognition is counted for: one of the person's own, in the community's region."""
    own = [m for m in user.municipalities.all() if m.region_id == community.region_id]
    if municipality is not None:
        if municipality not in own:
            raise ValidationError(_("Choose one of the municipalities in your profile."), code="municipality_not_yours")
        return municipality
    if len(own) == 1:
        return own[0]
    if not own:
        raise ValidationError(
            _("Add the municipality where you work or live to your settings first."), code="no_municipality"
        )
    raise ValidationError(_("Choose the municipality where you see this."), code="choose_municipality")


def _follow(user: User, signal: Signal) -> None:
    Follow.objects.get_or_create(user=user, signal=signal, defaults={"community_id": signal.community_id})


def _check_text(title: str, description: str) -> tuple[str, str]:
    title, description = storable_text(title).strip(), storable_text(description).strip()
    if not title:
        raise ValidationError(_("Give the signal a title."), code="title_required")
    if len(title) > TITLE_MAX:
        raise ValidationError(
            _("The title has at most %(max)d characters.") % {"max": TITLE_MAX}, code="title_too_long"
        )
    if not description:
        raise ValidationError(_("Describe what happens."), code="description_required")
    return title, description


@transaction.atomic
def signal_create(
    *,
    actor: User,
    community: Community,
    title: str,
    description: str,
    theme: Theme,
    municipality: Municipality,
    language: Language | None = None,
    recognised_from: Municipality | None = None,
    confirmed_findings: frozenset[str] = frozenset(),
) -> Signal:
    """Report a signal. The reporter's own report is its first recognition; the reporter follows it.

    ``recognised_from`` is the reporter's own municipality for that recognition
    (one of their profile's; needed when they list several).
    """
    if not permissions.may_report(actor, community):
        raise PermissionDenied
    title, description = _check_text(title, description)
    if municipality.region_id != community.region_id:
        raise ValidationError(_("Choose a municipality of this community's region."), code="municipality_region")
    guard(title, description, confirmed=confirmed_findings)
    if recognised_from is None and actor.municipalities.filter(pk=municipality.pk).exists():
        recognised_from = municipality  # the reporter sees it where it occurs
    place = _place_of(actor, recognised_from, community)
    posting_count(actor=actor, kind="signal")
    signal = Signal.objects.create(
        community=community,
        author=actor,
        title=title,
        description=description,
        language=language or actor.preferred_language,
        theme=theme,
        municipality=municipality,
    )
    SignalEvent.objects.create(signal=signal, kind=EventKind.CREATED, actor=actor, to_status=Status.OPEN)
    Recognition.objects.create(
        signal=signal,
        user=actor,
        municipality=place,
        organisation=actor.organisation,
        by_status_holder=actor.is_status_holder,
    )
    _follow(actor, signal)
    _recount(signal.pk)
    search_vector_refresh(signal.pk)
    signal.refresh_from_db()
    recipients.signal_reported(signal)
    return signal


def may_edit(user: User, signal: Signal) -> bool:
    """While the signal is open: the author within a day of reporting; moderators and coordinators.

    Once escalated (or solved, closed, merged) its words are what others acted on, so they stay.
    """
    if signal.status != Status.OPEN:
        return False
    if permissions.may_moderate(user, signal.community):
        return True
    return (
        signal.author_id == user.pk
        and permissions.may_report(user, signal.community)
        and timezone.now() - signal.created_at <= EDIT_WINDOW
    )


@transaction.atomic
def signal_edit(
    *,
    actor: User,
    signal: Signal,
    title: str,
    description: str,
    theme: Theme,
    municipality: Municipality,
    confirmed_findings: frozenset[str] = frozenset(),
) -> Signal:
    locked = Signal.objects.select_for_update(of=("self",)).select_related("community").get(pk=signal.pk)
    if not may_edit(actor, locked):
        raise PermissionDenied
    title, description = _check_text(title, description)
    if municipality.region_id != locked.community.region_id:
        raise ValidationError(_("Choose a municipality of this community's region."), code="municipality_region")
    guard(title, description, confirmed=confirmed_findings)
    changed = [
        name
        for name, value in (
            ("title", title),
            ("description", description),
            ("theme", theme),
            ("municipality", municipality),
        )
        if getattr(locked, name) != value
    ]
    if not changed:
        return locked
    locked.title, locked.description, locked.theme, locked.municipality = title, description, theme, municipality
    locked.last_activity_at = timezone.now()
    locked.save(update_fields=[*changed, "last_activity_at", "updated_at"])
    SignalEvent.objects.create(signal=locked, kind=EventKind.EDITED, actor=actor, reason=", ".join(changed))
    search_vector_refresh(locked.pk)
    return locked


@transaction.atomic
def recognition_add(
    *,
    actor: User,
    signal: Signal,
    municipality: Municipality | None = None,
    people_affected: int | None = None,
    tried_locally: bool = False,
    tried_locally_note: str = "",
) -> Recognition:
    """ "This happens here too." One per person; counters exact under any concurrency."""
    locked = Signal.objects.select_for_update(of=("self",)).select_related("community").get(pk=signal.pk)
    if not permissions.may_recognise(actor, locked.community):
        raise PermissionDenied
    if locked.hidden or locked.status not in RECOGNISABLE:
        raise ValidationError(_("This signal no longer takes recognitions."), code="not_recognisable")
    place = _place_of(actor, municipality, locked.community)
    guard(tried_locally_note)
    if people_affected is not None and not 1 <= people_affected <= 100_000:
        raise ValidationError(_("Give a number of people between 1 and 100,000."), code="people_affected")
    posting_count(actor=actor, kind="recognition")
    try:
        with transaction.atomic():
            recognition = Recognition.objects.create(
                signal=locked,
                user=actor,
                municipality=place,
                organisation=actor.organisation,
                by_status_holder=actor.is_status_holder,
                people_affected=people_affected,
                tried_locally=tried_locally,
                tried_locally_note=tried_locally_note.strip() if tried_locally else "",
            )
    except IntegrityError:
        raise ValidationError(_("You already recognise this signal."), code="already_recognised") from None
    _recount(locked.pk, last_activity_at=timezone.now())
    _follow(actor, locked)
    if locked.status == Status.OPEN:  # the rule only escalates open signals
        evaluate_after_commit(locked.pk)
    return recognition


@transaction.atomic
def recognition_withdraw(*, actor: User, signal: Signal) -> None:
    """Take one's recognition back. An escalation it helped make stays (escalation is permanent)."""
    locked = Signal.objects.select_for_update().get(pk=signal.pk)
    if locked.hidden or locked.status not in RECOGNISABLE:
        # Closed or answered signals keep the figures they were judged on.
        raise ValidationError(_("This signal no longer takes recognitions."), code="not_recognisable")
    if locked.author_id == actor.pk:
        raise ValidationError(
            _("Your report is your recognition; it cannot be withdrawn."), code="reporter_recognition"
        )
    deleted, _rows = Recognition.objects.filter(signal=locked, user=actor).delete()
    if not deleted:
        raise ValidationError(_("You do not recognise this signal."), code="not_recognised")
    _recount(locked.pk)


@transaction.atomic
def signal_merge(*, actor: User, source: Signal, target: Signal, reason: str = "") -> Signal:
    """Merge the duplicate ``source`` into ``target``: its recognitions and followers move over
    (nobody counted twice), it becomes ``merged`` and points at the survivor."""
    if source.pk == target.pk:
        raise ValidationError(_("A signal cannot be merged into itself."), code="same_signal")
    # Both rows locked, in id order, so two merges of the same pair cannot deadlock.
    locked = {s.pk: s for s in Signal.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")}
    source, target = locked[source.pk], locked[target.pk]
    if source.community_id != target.community_id:
        raise ValidationError(_("Only signals of the same community can be merged."), code="other_community")
    if not permissions.may_merge_signals(actor, source.community):
        raise PermissionDenied
    if source.status != Status.OPEN:
        raise ValidationError(_("Only an open signal can be merged into another."), code="illegal_transition")
    if target.status not in RECOGNISABLE or target.hidden:
        # The survivor takes the recognitions, so it must be a signal that still takes them.
        raise ValidationError(
            _("Choose a signal that still takes recognitions (not closed, merged or hidden)."),
            code="target_unavailable",
        )

    moved = recipients.recognising_or_following(source)  # whose recognition or follow moves
    already = Recognition.objects.filter(signal=target).values("user")
    Recognition.objects.filter(signal=source).exclude(user__in=already).update(signal=target)
    Recognition.objects.filter(signal=source).delete()  # people who recognised both count once
    following = Follow.objects.filter(signal=target).values("user")
    Follow.objects.filter(signal=source).exclude(user__in=following).update(signal=target)
    Follow.objects.filter(signal=source).delete()

    now = timezone.now()
    Signal.objects.filter(pk=source.pk).update(
        status=Status.MERGED, merged_into=target, last_activity_at=now, updated_at=now
    )
    Signal.objects.filter(pk=target.pk).update(last_activity_at=now, updated_at=now)
    SignalEvent.objects.create(
        signal=source,
        kind=EventKind.MERGED_INTO,
        actor=actor,
        from_status=source.status,
        to_status=Status.MERGED,
        reason=reason.strip(),
        related_signal=target,
    )
    SignalEvent.objects.create(
        signal=target, kind=EventKind.MERGED_FROM, actor=actor, reason=reason.strip(), related_signal=source
    )
    audit_record(
        actor=actor,
        action="signal.merged",
        subject=source,
        community=source.community,
        reason=reason.strip(),
        data={"into": target.pk},
    )
    _recount(source.pk)
    _recount(target.pk)
    if target.status == Status.OPEN:  # the survivor's figures grew
        evaluate_after_commit(target.pk)
    signal_changed(signal_id=source.pk, status=True)
    signal_changed(signal_id=target.pk, status=True)  # its timeline has the merge
    target.refresh_from_db()
    recipients.signal_merged(source=source, target=target, actor=actor, moved=moved)
    return target


@transaction.atomic
def signal_hide(*, actor: User, signal: Signal, reason: str) -> Signal:
    return _set_hidden(actor=actor, signal=signal, hidden=True, reason=reason)


@transaction.atomic
def signal_restore(*, actor: User, signal: Signal, reason: str) -> Signal:
    return _set_hidden(actor=actor, signal=signal, hidden=False, reason=reason)


def _set_hidden(*, actor: User, signal: Signal, hidden: bool, reason: str) -> Signal:
    locked = Signal.objects.select_for_update(of=("self",)).select_related("community").get(pk=signal.pk)
    if not permissions.may_moderate(actor, locked.community):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why."), code="reason_required")
    guard(reason)
    # Hiding settles the open flags, also when the signal was hidden already (a flag raced in).
    handled = Flag.objects.filter(signal=locked).handle(by=actor, outcome=FlagOutcome.HIDDEN) if hidden else 0
    if locked.hidden != hidden:
        locked.hidden = hidden
        locked.hidden_reason = reason.strip() if hidden else ""
        locked.save(update_fields=["hidden", "hidden_reason", "updated_at"])
        SignalEvent.objects.create(
            signal=locked, kind=EventKind.HIDDEN if hidden else EventKind.RESTORED, actor=actor, reason=reason.strip()
        )
    elif not handled:
        return locked  # nothing changed (a second click): nothing to record
    audit_record(
        actor=actor,
        action="signal.hidden" if hidden else "signal.restored",
        subject=locked,
        community=locked.community,
        reason=reason.strip(),
        data={"flags_handled": handled},
    )
    return locked


@transaction.atomic
def signal_follow(*, actor: User, signal: Signal) -> None:
    if not permissions.may_follow(actor, signal.community):
        raise PermissionDenied
    _follow(actor, signal)


@transaction.atomic
def signal_unfollow(*, actor: User, signal: Signal) -> None:
    signal_unfollow_id(actor=actor, signal_id=signal.pk)


@transaction.atomic
def signal_unfollow_id(*, actor: User, signal_id: int) -> None:
    """Anyone may stop following (also after losing access): it only removes their own row."""
    Follow.objects.filter(user=actor, signal_id=signal_id).delete()


@transaction.atomic
def topics_follow_set(
    *, actor: User, community: Community, themes: Iterable[Theme], municipalities: Iterable[Municipality]
) -> None:
    """Make the person follow exactly these themes and municipalities in ``community``."""
    if not permissions.may_follow(actor, community):
        raise PermissionDenied
    themes, municipalities = set(themes), set(municipalities)
    if any(m.region_id != community.region_id for m in municipalities):
        raise ValidationError(_("Choose municipalities of this community's region."), code="municipality_region")
    current = Follow.objects.filter(user=actor, community=community, signal=None)
    current.exclude(theme__in=themes).exclude(theme=None).delete()
    current.exclude(municipality__in=municipalities).exclude(municipality=None).delete()
    have_themes = set(current.exclude(theme=None).values_list("theme_id", flat=True))
    have_places = set(current.exclude(municipality=None).values_list("municipality_id", flat=True))
    Follow.objects.bulk_create(
        [Follow(user=actor, community=community, theme=t) for t in themes if t.pk not in have_themes]
        + [Follow(user=actor, community=community, municipality=m) for m in municipalities if m.pk not in have_places]
    )


@transaction.atomic
def signal_author_reveal(*, actor: User, signal: Signal, reason: str) -> User | None:
    """Who is behind a pseudonymous report: coordinators only, with a reason, always audited."""
    if not permissions.may_reveal_pseudonym(actor, signal.community):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why you need to know."), code="reason_required")
    audit_record(
        actor=actor,
        action="pseudonym.revealed",
        subject=signal,
        community=signal.community,
        reason=reason.strip(),
        data={"user_id": signal.author_id},
    )
    return signal.author
