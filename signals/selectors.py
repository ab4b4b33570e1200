"""Which signals a person may see, and fetching one with that check. Pages, API and sockets use these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from community import permissions
from community.models import Role, User, UserKind
from community.people import public_name
from signals.formatting import render_body
from signals.models import Follow, Message, Signal, SignalEvent, Status
from signals.rules import Counters, Rule, escalation_progress
from signals.search import search
from signals.workflow import Check


def signals_visible_to(user: User) -> QuerySet[Signal]:
    """Every signal of the person's communities; for liaisons only those reported to the targets.

    Lists use this and also leave out hidden and merged signals (``listed``).
    """
    everything, reported_only = permissions.signal_scopes(user)
    if not everything and not reported_only:
        return Signal.objects.none()
    return Signal.objects.filter(
        Q(community_id__in=everything) | Q(community_id__in=reported_only, reported_at__isnull=False)
    )


# The list's sort orders; every one ends on the id, so pages are stable.
ORDERINGS = {
    "active": ("-last_activity_at", "-pk"),
    "recognised": ("-recognition_count", "-last_activity_at", "-pk"),
    "newest": ("-created_at", "-pk"),
}


def signals_filtered(
    signals: QuerySet[Signal], *, lookups: dict[str, Any], query: str = "", ordering: str = ""
) -> QuerySet[Signal]:
    """The list of the page and of the API: the lookups that have a value, then the search
    (best match first, unless a sort order is chosen), then the sort order."""
    for lookup, value in lookups.items():
        if value:
            signals = signals.filter(**{lookup: value})
    if query:
        signals = search(signals, query)
    if ordering in ORDERINGS or not query:
        signals = signals.order_by(*ORDERINGS.get(ordering, ORDERINGS["active"]))
    return signals


def listed(signals: QuerySet[Signal]) -> QuerySet[Signal]:
    """What lists show: not hidden, not merged away."""
    return signals.filter(hidden=False).exclude(status=Status.MERGED)


def access_signal(user: User, pk: int, *, may: Check | None = None) -> Signal:
    """The signal if the person may see it (404 otherwise, as for one that does not exist),
    and, with ``may``, may act on it (403 otherwise). Hidden signals: moderators only."""
    signal = signals_visible_to(user).select_related("community__region", "theme", "municipality").filter(pk=pk).first()
    if signal is None or (signal.hidden and not permissions.may_moderate(user, signal.community)):
        raise Http404
    if may is not None and not may(user, signal.community):
        raise PermissionDenied
    return signal


def recognitions_per_municipality(signal: Signal) -> list[tuple[str, int]]:
    """Counts per municipality, never names (PRODUCT.md: recognisers are never listed).

    Pseudonymous people are counted under the region instead: "1 in Goirle" next
    to "a status holder in Hart van Brabant" would point at them.
    """
    rows = signal.recognitions.values("municipality__name", "user__pseudonymous").annotate(count=Count("pk"))
    named: dict[str, int] = {}
    unnamed = 0
    for row in rows:
        if row["user__pseudonymous"]:
            unnamed += row["count"]
        else:
            named[row["municipality__name"]] = named.get(row["municipality__name"], 0) + row["count"]
    counts = sorted(named.items(), key=lambda item: (-item[1], item[0]))
    if unnamed:
        region = signal.community.region.name
        counts.append((_("elsewhere in %(region)s (not named)") % {"region": region}, unnamed))
    return counts


def recognition_figures(signal: Signal, events: list[SignalEvent] | None = None) -> dict[str, Any]:
    """What the page shows of a signal's recognitions: the progress towards the escalation rule (or,
    once escalated, why), and the counts per municipality. One context for the page and the live fragment."""
    if events is None:
        escalated = signal.events.filter(to_status=Status.ESCALATED).order_by("-created_at", "-pk").first()
    else:
        escalated = next((e for e in reversed(events) if e.to_status == Status.ESCALATED), None)
    counters = Counters.of(signal)
    return {
        "progress": escalation_progress(counters, Rule.of(signal.community)),
        "per_municipality": recognitions_per_municipality(signal),
        "escalation": escalated,
    }


def topics_followed(user: User) -> set[tuple[int, str, int]]:
    """(community id, "theme" or "municipality", id) for every theme and municipality the person follows."""
    followed: set[tuple[int, str, int]] = set()
    for community_id, theme_id, municipality_id in Follow.objects.filter(user=user, signal=None).values_list(
        "community_id", "theme_id", "municipality_id"
    ):
        if theme_id:
            followed.add((community_id, "theme", theme_id))
        if municipality_id:
            followed.add((community_id, "municipality", municipality_id))
    return followed


def followed_with_activity(user: User, limit: int = 10) -> QuerySet[Signal]:
    """Signals the person follows, or that are in a theme or municipality they follow; most recently active first."""
    mine = Follow.objects.filter(user=user)
    by_topic = Exists(mine.filter(community=OuterRef("community"), theme=OuterRef("theme"), signal=None)) | Exists(
        mine.filter(community=OuterRef("community"), municipality=OuterRef("municipality"), signal=None)
    )
    return (
        listed(signals_visible_to(user))
        .filter(Exists(mine.filter(signal=OuterRef("pk"))) | by_topic)
        .select_related("community", "theme", "municipality")
        .order_by("-last_activity_at", "-pk")[:limit]
    )


def awaiting_coordinator(user: User, limit: int = 20) -> QuerySet[Signal]:
    """For coordinators: open signals that meet their community's rule (escalate?) and answered
    signals (close?)."""
    coordinated = [cid for cid, s in permissions.role_standings(user).items() if s.effective == Role.COORDINATOR]
    if not coordinated:
        return Signal.objects.none()
    meets_rule = Q(
        status=Status.OPEN,
        recognition_count__gte=F("community__min_recognitions"),
        municipality_count__gte=F("community__min_municipalities"),
        organisation_count__gte=F("community__min_organisations"),
        status_holder_count__gte=F("community__min_status_holder_recognitions"),
    )
    return (
        listed(Signal.objects.filter(community_id__in=coordinated))
        .filter(meets_rule | Q(status=Status.ANSWERED))
        .select_related("community", "theme", "municipality")
        .order_by("-last_activity_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class MessageView:
    """A message as others see it: the author's public name, the safe body (empty once gone)."""

    message: Message
    author_label: str
    author_kind: str
    body_html: SafeString

    @classmethod
    def of(cls, message: Message) -> MessageView:
        community = message.signal.community
        author = message.author
        return cls(
            message=message,
            author_label=public_name(author, community),
            author_kind=author.kind if author else UserKind.PROFESSIONAL,
            body_html=render_body(message.body) if message.visible else mark_safe(""),
        )


# Messages on a signal's page at once: the latest, with links to earlier ones (a long discussion rendered
# whole took a second of the server's time per page view: docs/performance.md, S1).
DISCUSSION_PAGE = 50


@dataclass(frozen=True)
class DiscussionPage:
    """A window of the discussion: the latest ``DISCUSSION_PAGE`` messages, or as many up to a message.

    ``latest`` when no message comes after the window (the page is then live); ``earlier_upto`` and
    ``later_upto`` end the windows before and after it (``later_upto`` ``None`` when the next is the latest).
    """

    items: list[MessageView]
    latest: bool
    earlier_upto: int | None
    later_upto: int | None


def discussion_page(signal: Signal, *, upto: int | None = None, size: int = DISCUSSION_PAGE) -> DiscussionPage:
    """The page's window: the latest messages, unless message ``upto`` is older than those; then the
    messages up to and including it (a link to an older message shows it, with what led up to it)."""
    messages = Message.objects.filter(signal=signal).select_related("author")
    newest_first = list(messages.order_by("-pk")[: size + 1])
    later: list[int] = []
    if upto is not None and len(newest_first) > size and upto < newest_first[size - 1].pk:
        window = list(messages.filter(pk__lte=upto).order_by("-pk")[: size + 1])
    else:
        window = []
    if window:  # before the first message, there is no window: the latest, then
        newest_first = window
        later = list(
            Message.objects.filter(signal=signal, pk__gt=upto).order_by("pk").values_list("pk", flat=True)[: size + 1]
        )
    shown = newest_first[:size][::-1]
    for message in shown:
        message.signal = signal  # one signal for all: no query per message for its community
    return DiscussionPage(
        items=[MessageView.of(message) for message in shown],
        latest=not later,
        earlier_upto=shown[0].pk - 1 if len(newest_first) > size else None,
        later_upto=later[size - 1] if len(later) > size else None,
    )


def discussion(signal: Signal, *, after: int | None = None, limit: int = 500) -> list[MessageView]:
    """The signal's messages in order (those after the id ``after``), for the page, the API and resyncs."""
    messages = Message.objects.filter(signal=signal).select_related("author").order_by("pk")
    if after is not None:
        messages = messages.filter(pk__gt=after)
    views = []
    for message in messages[:limit]:
        message.signal = signal  # one signal for all: no query per message for its community
        views.append(MessageView.of(message))
    return views
