"""Who is told what happened on a signal, through the notification centre's one entry point.

The notification centre knows nothing of signals: here we work out who is
concerned (the reporter, people who recognised, discussed or follow it,
followers of its theme or municipality, mentioned people), keep only those
who may still see the signal, and call ``notifications.services.notify``.
Each function runs a fixed number of queries, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from community import permissions
from community.models import Membership, Role, User
from community.people import public_name
from notifications.models import Kind
from notifications.services import Event, notify
from signals.models import Follow, Message, Recognition, Signal, Status


def subject_key(signal: Signal) -> str:
    return f"signal:{signal.pk}"


def concerned(signal: Signal) -> set[int]:
    """The reporter and everyone who recognised, discussed or follows the signal (one query)."""
    people = (
        # Unordered parts: SQLite (embedded mode) refuses ORDER BY inside a UNION.
        Recognition.objects.filter(signal_id=signal.pk)
        .order_by()
        .values_list("user_id", flat=True)
        .union(
            Message.objects.filter(signal_id=signal.pk, author__isnull=False)
            .order_by()
            .values_list("author_id", flat=True),
            Follow.objects.filter(signal_id=signal.pk).order_by().values_list("user_id", flat=True),
        )
    )
    return {pk for pk in (*people, signal.author_id) if pk is not None}


def recognising_or_following(signal: Signal) -> set[int]:
    """People whose recognition or follow is on the signal (one query)."""
    return set(
        Recognition.objects.filter(signal_id=signal.pk)
        .order_by()
        .values_list("user_id", flat=True)
        .union(Follow.objects.filter(signal_id=signal.pk).order_by().values_list("user_id", flat=True))
    )


def who_may_see(signal: Signal, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who may see the signal now: the selectors' rule for many people at once."""
    standings = permissions.standings_in(signal.community, user_ids)
    if signal.hidden:
        allowed = permissions.MODERATORS
    elif signal.reported_at is not None:
        allowed = permissions.ANY_ROLE
    else:
        allowed = permissions.PARTICIPANTS
    return {user_id for user_id, standing in standings.items() if standing.effective in allowed}


def _event(signal: Signal, kind: Kind, actor: User | None, **fields: object) -> Event:
    return Event(
        kind=kind,
        community=signal.community,
        subject_key=subject_key(signal),
        url=str(fields.pop("url", reverse("signal_detail", args=[signal.pk]))),
        title=signal.title,
        actor=actor,
        actor_label=public_name(actor, signal.community) if actor is not None else "",
        **fields,  # type: ignore[arg-type]
    )


def message_posted(message: Message, *, mentioned: Iterable[int]) -> None:
    """Mentioned people are told they were mentioned; everyone else concerned, that there is a new message."""
    signal = message.signal
    mentioned_ids = set(mentioned)
    visible = who_may_see(signal, concerned(signal) | mentioned_ids)
    url = message.get_absolute_url()
    if mentioned_ids & visible:
        notify(_event(signal, Kind.MENTION, message.author, url=url), mentioned_ids & visible)
    notify(_event(signal, Kind.MESSAGE, message.author, url=url), visible - mentioned_ids)


def mentions_added(message: Message, user_ids: Iterable[int]) -> None:
    """People newly mentioned when the author corrected a message."""
    signal = message.signal
    visible = who_may_see(signal, user_ids)
    url = message.get_absolute_url()
    notify(_event(signal, Kind.MENTION, message.author, url=url), visible)


def coordinators_of(community_id: int, *, liaisons: bool = False) -> set[int]:
    """The community's coordinators (and liaisons): who decide on escalations and digests (one query)."""
    roles = [Role.COORDINATOR, Role.LIAISON] if liaisons else [Role.COORDINATOR]
    return set(
        Membership.objects.filter(community_id=community_id, role__in=roles, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def status_changed(signal: Signal, *, actor: User | None, to: Status) -> None:
    """Everyone concerned; an escalation also the community's coordinators, who take it into the next digest."""
    people = concerned(signal)
    if to == Status.ESCALATED:
        people |= coordinators_of(signal.community_id)
    kind = {Status.ESCALATED: Kind.ESCALATED, Status.ANSWERED: Kind.ANSWER}.get(to, Kind.STATUS)
    notify(_event(signal, kind, actor, detail=Status(to).label), who_may_see(signal, people))


def signal_reported(signal: Signal) -> None:
    """A new signal, to those who follow its theme or municipality in its community."""
    followers = Follow.objects.filter(
        Q(theme_id=signal.theme_id) | Q(municipality_id=signal.municipality_id),
        community_id=signal.community_id,
        signal__isnull=True,
    ).values_list("user_id", flat=True)
    details = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            details[code] = f"{signal.theme.name} · {signal.municipality.name}"
    notify(_event(signal, Kind.NEW_SIGNAL, signal.author, detail=details), who_may_see(signal, followers))


def signal_merged(*, source: Signal, target: Signal, actor: User, moved: Iterable[int]) -> None:
    """People whose recognition or follow moved from ``source`` to ``target``."""
    notify(_event(target, Kind.MERGE, actor, detail=source.title), who_may_see(target, moved))


def check_back_asked(signal: Signal, user_ids: Iterable[int]) -> list[int]:
    """The people asked "is this still a problem?" (the mail with the answer links is sent by signals.checkbacks)."""
    return notify(_event(signal, Kind.CHECK_BACK, None), user_ids, mailed_by_caller=True)
