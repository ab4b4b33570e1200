"""Check-backs: some weeks after a signal was solved locally, "is this still a problem?".

Asked once per local solution (``CheckBack.resolution`` is one-to-one with the
timeline entry of that move), of the reporter and the recognisers who may
still see the signal: in the app (notification kind ``check_back``) and by
email with two signed one-click links (no sign-in needed). Each person has one
answer row; the first click records it, later clicks change nothing. When the
"yes" answers reach the community's threshold (at least ``checkback_min_yes``
and at least ``checkback_yes_percent`` of the answers), the signal reopens
with a timeline entry saying why, once: the check-back row is locked and closed.
"""

from __future__ import annotations

import datetime
import logging

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.mail import absolute_url, mail_compose, mails_send
from community.models import Community, User
from notifications import services as notifications
from notifications.models import Kind
from signals import recipients
from signals.models import CheckBack, CheckBackAnswer, EventKind, Recognition, Signal, SignalEvent, Status
from signals.privacy import guard
from signals.workflow import signal_transition

logger = logging.getLogger(__name__)

SALT = "knooppunt.check-back"
TOKEN_MAX_AGE = 60 * 60 * 24 * 90  # the links in a question work for 90 days


# --- Asking ---------------------------------------------------------------------------------------


def resolutions_due(now: datetime.datetime) -> list[SignalEvent]:
    """The latest local solution of each signal still solved locally, older than its community's wait, unasked.

    The latest first, then whether it was asked about: an earlier solution (before a reopening) is never asked.
    """
    due = []
    for community in Community.objects.all():
        cutoff = now - datetime.timedelta(weeks=community.checkback_weeks)
        events = SignalEvent.objects.filter(
            signal__community=community,
            signal__status=Status.RESOLVED_LOCALLY,
            kind=EventKind.TRANSITION,
            to_status=Status.RESOLVED_LOCALLY,
        ).order_by("signal_id", "-pk")
        latest: dict[int, SignalEvent] = {}
        for event in events:
            latest.setdefault(event.signal_id, event)
        asked = set(
            CheckBack.objects.filter(resolution__in=list(latest.values())).values_list("resolution_id", flat=True)
        )
        due += [event for event in latest.values() if event.created_at <= cutoff and event.pk not in asked]
    return due


def checkbacks_ask_due(now: datetime.datetime | None = None) -> int:
    """On beat: ask every check-back that is due (each once), then mail what is not mailed yet."""
    asked = 0
    for event in resolutions_due(now or timezone.now()):
        if checkback_ask(event) is not None:
            asked += 1
    checkbacks_mail()
    return asked


def checkback_ask(resolution: SignalEvent) -> CheckBack | None:
    """Ask the reporter and recognisers; None when this local solution was asked about already."""
    with transaction.atomic():
        signal = Signal.objects.select_for_update(of=("self",)).select_related("community").get(pk=resolution.signal_id)
        if signal.status != Status.RESOLVED_LOCALLY:
            return None
        try:
            with transaction.atomic():
                check_back = CheckBack.objects.create(signal=signal, resolution=resolution)
        except IntegrityError:
            return None  # asked already (the task ran twice, or two workers at once)
        people = set(Recognition.objects.filter(signal=signal).values_list("user_id", flat=True))
        people = recipients.who_may_see(signal, people | ({signal.author_id} if signal.author_id else set()))
        CheckBackAnswer.objects.bulk_create(CheckBackAnswer(check_back=check_back, user_id=pk) for pk in people)
        recipients.check_back_asked(signal, people)  # the question's own mail (with its answer links) follows
    logger.info("check-back %s asked about signal %s of %s people", check_back.pk, signal.pk, len(people))
    return check_back


def token_for(answer: CheckBackAnswer, still_a_problem: bool) -> str:
    return signing.dumps({"a": answer.pk, "y": int(still_a_problem)}, salt=SALT)


def token_read(token: str) -> tuple[CheckBackAnswer, bool] | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
        answer = CheckBackAnswer.objects.select_related("check_back__signal__community", "user").get(pk=int(data["a"]))
        return answer, bool(data["y"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, CheckBackAnswer.DoesNotExist):
        return None


def checkbacks_mail() -> int:
    """Mail the questions not mailed yet: claimed first (two runs never mail one person twice), then mailed to
    those who take check-back mail and may still see the signal."""
    with transaction.atomic():
        waiting = list(
            CheckBackAnswer.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(mailed_at__isnull=True, answered_at__isnull=True, check_back__closed_at=None)
            .select_related("user", "check_back__signal__community")
            .order_by("pk")[:500]
        )
        CheckBackAnswer.objects.filter(pk__in=[answer.pk for answer in waiting]).update(mailed_at=timezone.now())
    wanted = notifications.mail_wanted(Kind.CHECK_BACK, {answer.user_id for answer in waiting})
    by_signal: dict[int, list[CheckBackAnswer]] = {}
    for answer in waiting:
        by_signal.setdefault(answer.check_back.signal_id, []).append(answer)
    batch = []
    for answers in by_signal.values():
        signal = answers[0].check_back.signal
        seeing = recipients.who_may_see(signal, {answer.user_id for answer in answers})
        for answer in answers:
            if answer.user_id not in wanted or answer.user_id not in seeing:
                continue  # claimed, not mailed: they do not want it, or may no longer see the signal
            batch.append((answer, _question(answer, signal)))
    sent = 0
    for (answer, _message), outcome in zip(batch, mails_send([m for _a, m in batch]), strict=True):
        if outcome.sent:
            sent += 1
        elif not outcome.hard and not outcome.unknown:
            CheckBackAnswer.objects.filter(pk=answer.pk).update(mailed_at=None)  # the next run tries again
    return sent


def _question(answer: CheckBackAnswer, signal: Signal) -> EmailMultiAlternatives:
    user = answer.user
    unsubscribe = absolute_url(
        reverse("notifications:unsubscribe", args=[notifications.unsubscribe_token(user, [Kind.CHECK_BACK])])
    )
    context = {
        "signal": signal,
        "recipient": user,
        "yes_url": absolute_url(reverse("check_back_answer", args=[token_for(answer, True)])),
        "no_url": absolute_url(reverse("check_back_answer", args=[token_for(answer, False)])),
    }
    return mail_compose(
        to=user.email,
        template="signals/email/check_back",
        context=context,
        language=user.preferred_language,
        unsubscribe_url=unsubscribe,
    )


def may_answer(user: User, signal: Signal) -> bool:
    """Still an active member who may see the signal (not hidden from them, not removed from the community)."""
    return user.is_active and user.pk in recipients.who_may_see(signal, {user.pk})


# --- Answering ------------------------------------------------------------------------------------


def open_question(user: User, signal: Signal) -> CheckBackAnswer | None:
    """The person's unanswered check-back question on this signal, if there is one."""
    return (
        CheckBackAnswer.objects.filter(
            user=user, answered_at=None, check_back__signal=signal, check_back__closed_at=None
        )
        .select_related("check_back")
        .first()
    )


def checkback_answer(*, answer: CheckBackAnswer, still_a_problem: bool, note: str = "") -> bool:
    """Record the person's answer (once: a second answer changes nothing). Returns whether this call recorded it.

    Raises ValidationError when the question is closed (the signal moved on, or was reopened already).
    """
    with transaction.atomic():
        # The signal's row lock first (as every move takes it), then the check-back's.
        Signal.objects.select_for_update(of=("self",)).filter(check_backs__pk=answer.check_back_id).first()
        check_back = (
            CheckBack.objects.select_for_update().select_related("signal__community").get(pk=answer.check_back_id)
        )
        if (
            check_back.closed_at is not None
            or check_back.signal.status != Status.RESOLVED_LOCALLY
            or not may_answer(answer.user, check_back.signal)
        ):
            raise ValidationError(_("This question is closed: the signal has moved on."), code="closed")
        note = note.replace("\x00", "")
        guard(note)
        recorded = CheckBackAnswer.objects.filter(pk=answer.pk, answered_at=None).update(
            still_a_problem=still_a_problem, note=note.strip()[:2000], answered_at=timezone.now()
        )
        if recorded:
            _reopen_at_threshold(check_back)
    return bool(recorded)


def threshold_met(community: Community, yes: int, answered: int) -> bool:
    return yes >= community.checkback_min_yes and yes * 100 >= community.checkback_yes_percent * answered


def _reopen_at_threshold(check_back: CheckBack) -> None:
    """Caller holds the check-back's row lock."""
    answers = list(check_back.answers.exclude(answered_at=None).values_list("still_a_problem", flat=True))
    yes, answered = sum(1 for a in answers if a), len(answers)
    community = check_back.signal.community
    if not threshold_met(community, yes, answered):
        return
    with translation.override(community.language):
        reason = _("Check-back: %(yes)d of the %(answered)d people who answered say it is still a problem.") % {
            "yes": yes,
            "answered": answered,
        }
    signal_transition(actor=None, signal=check_back.signal, to=Status.OPEN, reason=reason)
    CheckBack.objects.filter(pk=check_back.pk).update(closed_at=timezone.now(), reopened=True)
    logger.info("check-back %s reopened signal %s (%s of %s)", check_back.pk, check_back.signal_id, yes, answered)


def checkback_note(*, answer: CheckBackAnswer, note: str) -> bool:
    """Add the optional note to an answer given (once; it is part of the answer)."""
    note = note.replace("\x00", "")
    guard(note)
    return bool(
        CheckBackAnswer.objects.filter(pk=answer.pk, answered_at__isnull=False, note="").update(
            note=note.strip()[:2000]
        )
    )
