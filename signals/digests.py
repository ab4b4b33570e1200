"""Digest reports: compiled per community and scheduled slot, held back or approved by a coordinator, then sent.

Safe to run twice or at once (ARCHITECTURE.md, the escalation pipeline): a
digest is unique per community and slot, an item unique per signal, so a
second compile of the same slot finds the first one's digest and no signal is
ever in two digests. Approval renders the outputs once (``signals.reports``)
and fills the outbox (``signals.outbox``), which sends each recipient at most
one copy. When the outbox is done, the digest is ``sent`` and its signals
``reported``.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community import permissions
from community.audit import audit_record
from community.models import Community, Membership, User
from community.people import public_name
from community.permissions import RoleStanding
from community.selectors import memberships_of
from notifications.models import Kind
from notifications.services import Event, notify
from signals import recipients
from signals.models import (
    DeliveryStatus,
    Digest,
    DigestDelivery,
    DigestItem,
    DigestStatus,
    EventKind,
    Message,
    Signal,
    SignalEvent,
    Status,
)
from signals.privacy import guard
from signals.selectors import recognitions_per_municipality
from signals.workflow import signal_transition

logger = logging.getLogger(__name__)

TREND_WEEKS = 12
KEY_POINTS = 3
# How long after its moment a slot may still be compiled (beat or a worker away for a while).
COMPILE_GRACE = datetime.timedelta(hours=12)


# --- Who sees which digest -------------------------------------------------------------------------


def may_see(user: User, digest: Digest) -> bool:
    """Drafts and approved digests: coordinators. Sent ones: everyone in the community (liaisons too)."""
    if digest.status == DigestStatus.SENT:
        return permissions.may_view_sent_digests(user, digest.community)
    return permissions.may_view_digest_drafts(user, digest.community)


def digests_visible_to(user: User, standings: list[tuple[Membership, RoleStanding]] | None = None) -> QuerySet[Digest]:
    """The same rule as ``may_see`` for all the person's communities, in one query (two without ``standings``,
    the person's memberships as ``memberships_of`` gives them)."""
    standings = memberships_of(user) if standings is None else standings
    drafts_of = [m.community_id for m, standing in standings if standing.effective in permissions.COORDINATORS]
    sent_of = [m.community_id for m, standing in standings if standing.effective in permissions.ANY_ROLE]
    return Digest.objects.filter(
        Q(community_id__in=drafts_of) | Q(community_id__in=sent_of, status=DigestStatus.SENT)
    ).select_related("community__region")


# --- The schedule ---------------------------------------------------------------------------------


def slot_due(community: Community, now: datetime.datetime) -> datetime.datetime:
    """The community's latest scheduled moment at or before ``now`` (its weekday and time, Amsterdam time)."""
    local = now.astimezone(timezone.get_default_timezone())
    day = local.date() - datetime.timedelta(days=(local.weekday() - community.digest_weekday) % 7)
    slot = datetime.datetime.combine(day, community.digest_time, tzinfo=timezone.get_default_timezone())
    if slot > local:
        slot = datetime.datetime.combine(
            day - datetime.timedelta(days=7), community.digest_time, tzinfo=timezone.get_default_timezone()
        )
    return slot


def digests_compile_due(now: datetime.datetime | None = None) -> list[Digest]:
    """On beat: each community's draft for its slot, if the slot passed less than COMPILE_GRACE ago and has no
    digest yet. A signal escalated days after a slot waits for the next one, whatever beat does meanwhile."""
    now = now or timezone.now()
    compiled = []
    for community in Community.objects.all():
        slot = slot_due(community, now)
        if slot < community.created_at or now - slot > COMPILE_GRACE:
            continue
        try:
            digest = digest_compile(community, slot)
        except Exception:  # one community's trouble must not keep the others' digests back
            logger.exception("compiling the digest of community %s failed", community.pk)
            continue
        if digest is not None:
            compiled.append(digest)
    return compiled


# --- Compiling: a snapshot -----------------------------------------------------------------------


def candidates(community: Community) -> list[Signal]:
    """The escalated signals of the community that are in no digest yet, oldest escalation first."""
    return list(
        Signal.objects.filter(community=community, status=Status.ESCALATED, hidden=False, digest_item__isnull=True)
        .select_related("community__region", "theme", "municipality")
        .order_by("escalated_at", "pk")
    )


def held_back(community: Community, *, besides: Digest | None = None) -> list[DigestItem]:
    """Signals left out of an earlier digest, still escalated: the next draft asks for a decision on them."""
    items = DigestItem.objects.filter(signal__community=community, held_back=True, signal__status=Status.ESCALATED)
    if besides is not None:
        items = items.exclude(digest=besides)
    return list(items.select_related("signal", "digest", "held_back_by").order_by("held_back_at", "pk"))


def quoted_as(user: User | None, community: Community) -> str:
    """Who said a key point, as a digest quotes it: role and municipality, never a name."""
    if user is None:
        return _("a former member")
    if user.pseudonymous:
        return (_("a status holder in %(region)s") if user.is_status_holder else _("a professional in %(region)s")) % {
            "region": community.region.name
        }
    if user.is_status_holder:
        role = _("Status holder")
    elif user.organisation is not None:
        role = str(user.organisation.get_kind_display())
    else:
        role = _("Professional")
    place = next((m.name for m in user.municipalities.all() if m.region_id == community.region_id), "")
    return f"{role}, {place}" if place else role


def without_names(message: Message, community: Community) -> str:
    """The message's text with each @mention of a person replaced by how a digest quotes them."""
    text = message.body
    for mention in message.mentions.all():
        quoted = quoted_as(mention.user, community)
        for name in {mention.user.display_name, public_name(mention.user, community)}:
            if name:
                text = re.sub("@" + re.escape(name), "@(" + quoted + ")", text, flags=re.IGNORECASE)
    return text


def snapshot_of(signal: Signal) -> dict[str, object]:
    """What a digest keeps of a signal, as it is now, in the active language."""
    community = signal.community
    shown = (
        Message.objects.filter(signal=signal, hidden=False, deleted_at=None)
        .select_related("author__organisation")
        .prefetch_related("author__municipalities", "mentions__user__organisation", "mentions__user__municipalities")
        .order_by("-created_at")
    )
    messages = list(shown.filter(key_point=True)[:KEY_POINTS]) or list(shown[:KEY_POINTS])
    escalation = (
        SignalEvent.objects.filter(signal=signal, kind=EventKind.TRANSITION, to_status=Status.ESCALATED)
        .order_by("pk")
        .first()
    )
    tried = signal.recognitions.filter(tried_locally=True).exclude(tried_locally_note="")
    return {
        "id": signal.pk,
        "title": signal.title,
        "description": signal.description,
        "theme": signal.theme.slug,
        "theme_name": signal.theme.name,
        "municipality": signal.municipality.name,
        "url": settings.SITE_URL + reverse("signal_detail", args=[signal.pk]),
        "reported": signal.created_at.date().isoformat(),
        "escalated": signal.escalated_at.date().isoformat() if signal.escalated_at else "",
        "explanation": escalation.explanation if escalation else "",
        "figures": {
            "recognitions": signal.recognition_count,
            "municipalities": signal.municipality_count,
            "organisations": signal.organisation_count,
            "status_holders": signal.status_holder_count,
        },
        "per_municipality": recognitions_per_municipality(signal),
        "key_points": [
            {"message": m.pk, "who": quoted_as(m.author, community), "text": without_names(m, community)}
            for m in sorted(messages, key=lambda m: m.created_at)
        ],
        "solutions": list(tried.order_by("created_at").values_list("tried_locally_note", flat=True)),
    }


def community_figures(community: Community, slot: datetime.datetime) -> dict[str, object]:
    """Community-wide figures for the charts: new signals per week over the last 12 weeks before the slot."""
    start = (slot.astimezone(timezone.get_default_timezone()) - datetime.timedelta(weeks=TREND_WEEKS)).date()
    start -= datetime.timedelta(days=start.weekday())
    weeks = {start + datetime.timedelta(weeks=n): 0 for n in range(TREND_WEEKS + 1)}
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=timezone.get_default_timezone())
    rows = (
        Signal.objects.filter(community=community, created_at__gte=since, created_at__lte=slot)
        .exclude(status=Status.MERGED)
        .annotate(week=TruncWeek("created_at", tzinfo=timezone.get_default_timezone()))
        .values("week")
        .annotate(count=Count("pk"))
    )
    for row in rows:
        week = row["week"].date() if isinstance(row["week"], datetime.datetime) else row["week"]
        if week in weeks:
            weeks[week] += row["count"]
    return {"trend": [[week.isoformat(), count] for week, count in sorted(weeks.items())][-TREND_WEEKS:]}


def _tell(digest: Digest, detail: object, recipients: Iterable[int], actor: User | None = None) -> None:
    notify(
        Event(
            kind=Kind.DIGEST,
            community=digest.community,
            subject_key=f"digest:{digest.pk}",
            url=reverse("digest_detail", args=[digest.pk]),
            title=f"{digest.community.name}, {digest.day.isoformat()}",
            actor=actor,
            detail=detail,  # type: ignore[arg-type]
        ),
        recipients,
    )


def digest_compile(community: Community, slot: datetime.datetime) -> Digest | None:
    """The draft for ``slot``: the escalated signals in no digest yet. None when the slot has its digest
    already (compiled now or by another worker) or there is nothing to report or decide."""
    with transaction.atomic():
        signals = candidates(community)
        if not signals and not held_back(community):
            return None
        try:
            with transaction.atomic():
                digest = Digest.objects.create(
                    community=community,
                    slot=slot,
                    language=community.language,
                    figures=community_figures(community, slot),
                )
        except IntegrityError:
            return None  # this slot's digest exists (another worker, another tick)
        with translation.override(community.language):
            items = [DigestItem(digest=digest, signal=signal, snapshot=snapshot_of(signal)) for signal in signals]
        # A signal another digest took meanwhile (a "compile now" beside beat) stays there.
        DigestItem.objects.bulk_create(items, ignore_conflicts=True)
        logger.info("digest %s compiled for community %s (%s signals)", digest.pk, community.pk, len(items))
        if community.digest_approval or not digest.items.exists() or not community.digest_targets.exists():
            # Approval switched off still leaves a draft with nothing to send, or no one to send it to.
            _tell(digest, gettext_lazy("a draft awaits your approval"), recipients.coordinators_of(community.pk))
        else:
            digest_approve(actor=None, digest=digest)
    return digest


# --- Deciding on a draft -------------------------------------------------------------------------


def _draft(digest_id: int) -> Digest:
    digest = Digest.objects.select_for_update(of=("self",)).select_related("community__region").get(pk=digest_id)
    if digest.status != DigestStatus.DRAFT:
        raise ValidationError(_("This digest is no longer a draft."), code="not_a_draft")
    return digest


@transaction.atomic
def item_hold_back(*, actor: User, item: DigestItem, reason: str) -> DigestItem:
    """Leave a signal out of this draft, with a reason its followers can read; it stays escalated."""
    digest = _draft(item.digest_id)
    if not permissions.may_approve_digests(actor, digest.community):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why."), code="reason_required")
    guard(reason)
    DigestItem.objects.filter(pk=item.pk, digest=digest).update(
        held_back=True, held_back_reason=reason.strip(), held_back_by=actor, held_back_at=timezone.now()
    )
    item.refresh_from_db()
    audit_record(
        actor=actor,
        action="digest.item_held_back",
        subject=item.signal,
        community=digest.community,
        reason=reason.strip(),
        data={"digest": digest.pk},
    )
    return item


@transaction.atomic
def item_include(*, actor: User, item: DigestItem, digest: Digest) -> DigestItem:
    """Take a signal into this draft: one held back here, or (with fresh figures) one held back from an earlier
    digest. The item moves, so the signal is still in one digest only."""
    draft = _draft(digest.pk)
    if not permissions.may_approve_digests(actor, draft.community):
        raise PermissionDenied
    locked = DigestItem.objects.select_for_update().select_related("signal__community__region").get(pk=item.pk)
    if locked.signal.community_id != draft.community_id or not locked.held_back:
        raise ValidationError(_("This signal is not held back."), code="not_held_back")
    if locked.signal.status != Status.ESCALATED:
        raise ValidationError(_("This signal is no longer escalated."), code="not_escalated")
    if locked.signal.hidden:
        raise ValidationError(_("This signal is hidden by a moderator."), code="hidden")
    fields = {"digest": draft, "held_back": False, "held_back_reason": "", "held_back_by": None, "held_back_at": None}
    if locked.digest_id != draft.pk:
        with translation.override(draft.language):
            fields["snapshot"] = snapshot_of(locked.signal)
    held_in = locked.digest_id
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    audit_record(
        actor=actor,
        action="digest.item_included",
        subject=locked.signal,
        community=draft.community,
        data={"digest": draft.pk, "held_back_in": held_in},
    )
    return locked


def digest_approve(*, actor: User | None, digest: Digest) -> Digest:
    """Approve a draft (``actor=None``: the community switched approval off): render the outputs once, fill the
    outbox, and send after commit."""
    from signals import reports, tasks  # reports renders templates; tasks imports this module

    with transaction.atomic():
        locked = _draft(digest.pk)
        if actor is not None and not permissions.may_approve_digests(actor, locked.community):
            raise PermissionDenied
        if not locked.community.digest_targets.exists():
            raise ValidationError(
                _("Add a target on the community's settings page first: nobody would receive this digest."),
                code="no_targets",
            )
        _withdraw_hidden(locked)
        locked.html, locked.text, locked.pdf, locked.csv = reports.render_final(locked)
        locked.status, locked.approved_at, locked.approved_by = DigestStatus.APPROVED, timezone.now(), actor
        locked.save(update_fields=["html", "text", "pdf", "csv", "status", "approved_at", "approved_by"])
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(">") or "knooppunt.local"
        deliveries = [
            DigestDelivery(
                digest=locked,
                target_name=target.name,
                address=address,
                message_id=f"<digest.{locked.pk}.{uuid.uuid4().hex}@{domain}>",
            )
            for target in locked.community.digest_targets.all()
            for address in target.addresses
        ]
        DigestDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)  # one address in two targets: once
        audit_record(
            actor=actor,
            action="digest.approved",
            subject=locked,
            community=locked.community,
            data={"automatic": actor is None, "deliveries": len(deliveries)},
        )
        logger.info("digest %s approved; %s deliveries", locked.pk, len(deliveries))
        transaction.on_commit(lambda: tasks.digest_send.delay(locked.pk), robust=True)
    return locked


def _withdraw_hidden(digest: Digest) -> None:
    """What moderators hid after the draft was compiled is not sent: hidden signals are held back (with that
    reason), and key points whose message was hidden or deleted leave the snapshot."""
    now = timezone.now()
    with translation.override(digest.language):
        reason = _("Hidden by a moderator after the draft was compiled.")
    digest.items.filter(held_back=False, signal__hidden=True).update(
        held_back=True, held_back_reason=reason, held_back_at=now
    )
    items = list(digest.items.filter(held_back=False))
    quoted = {point["message"] for item in items for point in item.snapshot.get("key_points", []) if "message" in point}
    gone = set(
        Message.objects.filter(pk__in=quoted)
        .filter(Q(hidden=True) | Q(deleted_at__isnull=False))
        .values_list("pk", flat=True)
    )
    for item in items:
        points = item.snapshot.get("key_points", [])
        kept = [point for point in points if point.get("message") not in gone]
        if len(kept) != len(points):
            item.snapshot = {**item.snapshot, "key_points": kept}
            item.save(update_fields=["snapshot"])


def digest_finish(digest_id: int) -> bool:
    """Once no delivery is waiting or being sent: the digest is ``sent`` and its signals ``reported``
    (exactly once: a conditional update claims the change). Returns whether this call finished it."""
    with transaction.atomic():
        busy = DigestDelivery.objects.filter(
            digest_id=digest_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        if busy.exists():
            return False
        claimed = Digest.objects.filter(pk=digest_id, status=DigestStatus.APPROVED).update(
            status=DigestStatus.SENT, sent_at=timezone.now()
        )
        if not claimed:
            return False
        digest = Digest.objects.select_related("community").get(pk=digest_id)
        for signal in Signal.objects.filter(
            digest_item__digest=digest, digest_item__held_back=False, status=Status.ESCALATED
        ):
            signal_transition(actor=None, signal=signal, to=Status.REPORTED)
        _tell(
            digest, gettext_lazy("sent to the targets"), recipients.coordinators_of(digest.community_id, liaisons=True)
        )
    logger.info("digest %s sent", digest_id)
    return True
