"""The benchmark world (manage.py bench_seed) at its tiny size: what the benchmarks rely on holds."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q
from django.test import Client

from community import permissions
from community.models import Community, Membership, Municipality, Role, User, UserKind
from signals.benchdata import COMMUNITY_SLUG, Plan, Summary, seed_bench
from signals.escalation import escalation_candidates, escalation_sweep
from signals.models import EventKind, Message, Recognition, Signal, SignalEvent, Status, Theme
from signals.search import search
from signals.selectors import signals_visible_to
from signals.services import signal_create

PLAN = Plan.tiny()


class Rollback(Exception):
    pass


@pytest.fixture
def world(reference_data: None) -> Summary:
    return seed_bench(plan=PLAN, seed=7)


def _members(community: Community) -> list[User]:
    return list(User.objects.filter(memberships__community=community, memberships__role=Role.MEMBER))


@pytest.mark.django_db
def test_rows_follow_the_plan_when_seeded(world: Summary) -> None:
    community = world.community
    members = _members(community)
    assert len(members) == PLAN.users
    assert Signal.objects.filter(community=community).count() == PLAN.signals
    assert Recognition.objects.filter(signal__community=community).count() == PLAN.recognitions
    assert Message.objects.filter(signal__community=community).count() == PLAN.messages
    assert all(member.is_active for member in members)
    holders = sum(member.kind == UserKind.STATUS_HOLDER for member in members)
    assert 0.05 * PLAN.users <= holders <= 0.3 * PLAN.users
    people = User.objects.filter(memberships__community=community)
    assert EmailAddress.objects.filter(user__in=people, verified=True, primary=True).count() == people.count()
    # Every signal's municipality is one of the region's nine, and all nine and every theme are used.
    assert Signal.objects.filter(community=community).values("municipality").distinct().count() == 9
    assert set(Signal.objects.values_list("municipality__region", flat=True)) == {community.region_id}
    assert Signal.objects.values("theme").distinct().count() == Theme.objects.count()
    # A world the benchmarks can act in: the coordinators' role is in force (TOTP), and one moderator.
    roles = Membership.objects.filter(community=community).exclude(role=Role.MEMBER)
    standings = [permissions.role_standing(m.user, community) for m in roles.select_related("user")]
    assert sorted(str(s.effective) for s in standings if s) == ["coordinator", "coordinator", "moderator"]


@pytest.mark.django_db
def test_counters_equal_the_recognitions_when_seeded(world: Summary) -> None:
    signals = Signal.objects.filter(community=world.community).annotate(
        rows=Count("recognitions"),
        places=Count("recognitions__municipality", distinct=True),
        orgs=Count("recognitions__organisation", distinct=True),
        holders=Count("recognitions", filter=Q(recognitions__by_status_holder=True)),
    )
    for s in signals:
        assert (s.recognition_count, s.municipality_count, s.organisation_count, s.status_holder_count) == (
            s.rows,
            s.places,
            s.orgs,
            s.holders,
        ), s.pk
    pairs = Recognition.objects.values_list("signal_id", "user_id")
    assert len(set(pairs)) == pairs.count()
    # The reporter's own report is one of the recognitions, and every recogniser follows the signal.
    assert not signals.exclude(recognitions__user=F("author")).exists()
    assert not Recognition.objects.exclude(user__follows__signal_id=F("signal_id")).exists()


@pytest.mark.django_db
def test_the_sweep_escalates_exactly_the_candidates_when_seeded(world: Summary) -> None:
    community = world.community
    assert world.candidates == PLAN.candidates
    assert escalation_candidates(community.pk).count() == PLAN.candidates
    assert escalation_sweep(community.pk) == PLAN.candidates
    assert not escalation_candidates(community.pk).exists()


@pytest.mark.django_db
def test_discussions_and_timelines_are_there_when_seeded(world: Summary) -> None:
    signals = Signal.objects.filter(community=world.community)
    busy = signals.annotate(n=Count("messages")).filter(n__gte=50)
    assert busy.count() >= PLAN.busy
    assert signals.filter(status=Status.OPEN).count() > 0.7 * PLAN.signals
    created = SignalEvent.objects.filter(kind=EventKind.CREATED, signal__community=world.community)
    assert created.count() == PLAN.signals
    escalated = signals.filter(status__in=[Status.ESCALATED, Status.REPORTED, Status.ANSWERED])
    assert escalated.exists()
    assert not escalated.filter(escalated_at=None).exists()
    assert escalated.filter(events__to_status=Status.ESCALATED).count() == escalated.count()
    assert not signals.filter(status=Status.RESOLVED_LOCALLY, lesson=None).exists()
    assert not signals.filter(status=Status.ANSWERED, answers=None).exists()
    # Nothing happened after the signal's last activity.
    assert not signals.filter(messages__created_at__gt=F("last_activity_at")).exists()


@pytest.mark.django_db
def test_new_rows_get_free_ids_when_seeded(world: Summary) -> None:
    """The sequences caught up with the copied ids: the app's own functions insert as usual."""
    member = _members(world.community)[0]
    newcomer = User.objects.create_user("newcomer@example.org", display_name="Newcomer")
    signal = signal_create(
        actor=member,
        community=world.community,
        title="Nieuw signaal na het zaaien",
        description="De huisvesting blijft een probleem.",
        theme=Theme.objects.get(slug="housing"),
        municipality=member.municipalities.get(),
    )
    assert newcomer.pk > User.objects.exclude(pk=newcomer.pk).order_by("-pk").values_list("pk", flat=True)[0]
    assert signal.pk > Signal.objects.exclude(pk=signal.pk).order_by("-pk").values_list("pk", flat=True)[0]
    assert signal.recognition_count == 1


@pytest.mark.django_db
def test_a_member_reads_lists_and_a_busy_signal_when_seeded(world: Summary, client: Client) -> None:
    member = _members(world.community)[0]
    client.force_login(member)
    busy = Signal.objects.filter(community=world.community).annotate(n=Count("messages")).order_by("-n").first()
    assert busy is not None and busy.n >= 50
    assert client.get("/signals/").status_code == 200
    detail = client.get(f"/signals/{busy.pk}/")
    assert detail.status_code == 200
    assert busy.title in detail.content.decode()
    found = search(signals_visible_to(member), "huisvesting")
    assert found.count() >= 0.05 * PLAN.signals
    page = client.get("/signals/", {"q": "huisvesting"})
    assert page.status_code == 200
    best = found.first()
    assert best is not None and best.title in page.content.decode()
    for word in ("taalles", "inburgering"):
        assert search(signals_visible_to(member), word).count() >= 0.05 * PLAN.signals


def _titles(seed: int) -> list[str]:
    """The titles a seed gives, in a savepoint rolled back afterwards."""
    titles: list[str] = []
    with pytest.raises(Rollback), transaction.atomic():
        seed_bench(plan=PLAN, seed=seed)
        titles.extend(Signal.objects.order_by("pk").values_list("title", flat=True))
        raise Rollback
    return titles


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_world(reference_data: None) -> None:
    first = _titles(7)
    assert len(first) == PLAN.signals
    assert _titles(7) == first
    assert _titles(8) != first


@pytest.mark.django_db
def test_refuses_a_database_with_signals_unless_forced(signal: Signal) -> None:
    with pytest.raises(CommandError, match="already holds signals"):
        call_command("bench_seed", "--tiny", stdout=StringIO())
    assert not Community.objects.filter(slug=COMMUNITY_SLUG).exists()
    call_command("bench_seed", "--tiny", "--force", stdout=StringIO(), verbosity=0)
    assert Signal.objects.filter(community__slug=COMMUNITY_SLUG).count() == PLAN.signals
    assert Signal.objects.filter(pk=signal.pk).exists()
    with pytest.raises(CommandError, match="already holds bench data"):
        call_command("bench_seed", "--tiny", "--force", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_the_command_seeds_and_vacuums_outside_a_transaction(reference_data: None) -> None:
    out = StringIO()
    call_command("bench_seed", "--tiny", "--seed", "3", stdout=out, verbosity=0)
    assert f"{PLAN.candidates} signals await the escalation sweep" in out.getvalue()
    assert Signal.objects.filter(community__slug=COMMUNITY_SLUG).count() == PLAN.signals
    assert Municipality.objects.filter(signals__community__slug=COMMUNITY_SLUG).distinct().count() == 9


def test_scales_keep_the_issue_sizes_and_a_useful_floor() -> None:
    assert Plan.at_scale(1.0) == Plan(
        users=5_000, signals=100_000, recognitions=1_000_000, messages=200_000, candidates=300, busy=40
    )
    small = Plan.at_scale(0.02)
    assert (small.users, small.signals, small.recognitions) == (100, 2_000, 20_000)
    assert small.busy >= 20 and small.messages >= small.busy * 50
    with pytest.raises(ValueError, match="positive"):
        Plan.at_scale(0)
