"""The signal pages: who sees what, filters, search, the report form with its privacy guard, actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Community, Municipality, Role, User, UserKind
from signals.models import Lesson, Message, Recognition, Signal, Status, Theme
from signals.selectors import DISCUSSION_PAGE
from signals.services import recognition_add, signal_create
from signals.workflow import signal_transition
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


def muni(code: str) -> Municipality:
    return Municipality.objects.get(cbs_code=code)


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def report(user: User, community: Community, title: str, theme: Theme, code: str = "GM0855", **kw: Any) -> Signal:
    return signal_create(
        actor=user, community=community, title=title, description=kw.pop("description", "Beschrijving."),
        theme=theme, municipality=muni(code), **kw,
    )  # fmt: skip


# --- who sees what -------------------------------------------------------------


@pytest.mark.parametrize("name", ["signal_detail", "signal_edit"])
def test_non_members_get_404_as_for_a_signal_that_does_not_exist(
    client: Client, signal: Signal, charlie: User, name: str
) -> None:
    logged_in(client, charlie)
    assert client.get(reverse(name, args=[signal.pk])).status_code == 404
    assert client.get(reverse(name, args=[signal.pk + 1000])).status_code == 404
    assert client.post(reverse("signal_recognise", args=[signal.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, signal: Signal) -> None:
    for url in (reverse("signal_list"), reverse("signal_detail", args=[signal.pk]), reverse("lessons")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_list_shows_only_my_communities_signals(
    client: Client, signal: Signal, make_member: MakeMember, housing: Theme
) -> None:
    from tests.factories import CommunityFactory, MembershipFactory

    other = CommunityFactory(region=signal.community.region)
    outsider_author = make_member()
    MembershipFactory(user=outsider_author, community=other)
    report(outsider_author, other, "Signaal van een andere community", housing)
    html = logged_in(client, make_member()).get(reverse("signal_list")).content.decode()
    assert signal.title in html and "andere community" not in html


def test_liaisons_see_only_reported_signals_in_the_list(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    liaison = logged_in(client, make_member(role=Role.LIAISON))
    assert signal.title not in liaison.get(reverse("signal_list")).content.decode()
    assert liaison.get(reverse("signal_detail", args=[signal.pk])).status_code == 404
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="rule")
    signal_transition(actor=None, signal=signal, to=Status.REPORTED)
    assert signal.title in liaison.get(reverse("signal_list")).content.decode()


# --- list: filters, search, sorting, queries ----------------------------------------


@pytest.fixture
def many(community: Community, make_member: MakeMember, housing: Theme) -> list[Signal]:
    work = Theme.objects.get(slug="work")
    holder = make_member("GM0766", kind=UserKind.STATUS_HOLDER)
    pro = make_member("GM0855")
    return [
        report(pro, community, "Woningen voor grote gezinnen", housing),
        report(pro, community, "Werkgevers kennen de regels niet", work, code="GM0867"),
        report(holder, community, "Ik vind geen stage", work, code="GM0766"),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"theme": "work"}, {"Werkgevers kennen de regels niet", "Ik vind geen stage"}),
        ({"municipality": "GM0867"}, {"Werkgevers kennen de regels niet"}),
        ({"author_kind": "status_holder"}, {"Ik vind geen stage"}),
        (
            {"status": "open"},
            {"Woningen voor grote gezinnen", "Werkgevers kennen de regels niet", "Ik vind geen stage"},
        ),
        ({"status": "closed"}, set()),
        ({"q": "woning"}, {"Woningen voor grote gezinnen"}),
        ({"q": "werkgver"}, {"Werkgevers kennen de regels niet"}),  # a typo
    ],
)
def test_the_list_filters_and_searches(
    client: Client, many: list[Signal], make_member: MakeMember, params: dict[str, str], expected: set[str]
) -> None:
    if "theme" in params:
        params = {**params, "theme": str(Theme.objects.get(slug=params["theme"]).pk)}
    if "municipality" in params:
        params = {**params, "municipality": str(muni(params["municipality"]).pk)}
    response = logged_in(client, make_member()).get(reverse("signal_list"), params)
    assert {s.title for s in response.context["page"].object_list} == expected


def test_the_list_sorts_by_recognitions_and_by_newest(
    client: Client, many: list[Signal], make_member: MakeMember
) -> None:
    recognition_add(actor=make_member("GM0797"), signal=many[2])
    viewer = logged_in(client, make_member())
    most = viewer.get(reverse("signal_list"), {"ordering": "recognised"}).context["page"].object_list
    assert most[0] == many[2]
    newest = viewer.get(reverse("signal_list"), {"ordering": "newest"}).context["page"].object_list
    assert list(newest) == list(reversed(many))


def test_nonsense_filters_are_ignored_not_an_error(client: Client, many: list[Signal], make_member: MakeMember) -> None:
    response = logged_in(client, make_member()).get(
        reverse("signal_list"), {"theme": "x", "ordering": "evil", "page": "999"}
    )
    assert response.status_code == 200


@pytest.mark.usefixtures("posting_limits_lifted")
@pytest.mark.parametrize("size", [3, 25])
def test_the_list_runs_the_same_number_of_queries_whatever_its_length(
    client: Client, community: Community, make_member: MakeMember, housing: Theme, size: int,
    django_assert_num_queries: Any,
) -> None:  # fmt: skip
    author = make_member()
    for number in range(size):
        report(author, community, f"Signaal {number}", housing)
    viewer = logged_in(client, make_member())
    viewer.get(reverse("signal_list"))  # warm the session and caches
    # session, user, roles, count, page (with community, theme, municipality joined), header's memberships,
    # the bell's unread count…
    with django_assert_num_queries(10):
        assert viewer.get(reverse("signal_list")).status_code == 200


@pytest.mark.parametrize("recognisers", [1, 30])
def test_the_detail_page_runs_a_fixed_number_of_queries(
    client: Client, signal: Signal, make_member: MakeMember, recognisers: int, django_assert_num_queries: Any
) -> None:
    from signals.discussion import message_post

    codes = ["GM0855", "GM0766", "GM0784", "GM0785", "GM0797"]
    for number in range(recognisers):
        member = make_member(codes[number % 5])
        recognition_add(actor=member, signal=signal)
        message_post(actor=member, signal=signal, body=f"Bericht {number}")  # the discussion grows too
    viewer = logged_in(client, make_member())
    viewer.get(reverse("signal_detail", args=[signal.pk]))
    # The same count for 1 or 30 recognisers and messages; role questions are asked once for the page.
    # Two belong to notifications: what was about this signal is marked read, and the bell's count.
    with django_assert_num_queries(15):
        assert viewer.get(reverse("signal_detail", args=[signal.pk])).status_code == 200


# --- detail and actions --------------------------------------------------------------


def test_the_detail_shows_progress_counts_per_municipality_and_no_recogniser_names(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    recognition_add(actor=make_member("GM0766", display_name="Geheime Herkenner"), signal=signal)
    html = logged_in(client, make_member()).get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "Recognised by 2 people in 2 municipalities and 2 organisations; escalation needs" in html
    assert "Tilburg: 1" in html and "Dongen: 1" in html
    assert "Geheime Herkenner" not in html


def test_a_pseudonymous_reporter_is_shown_by_kind_and_region(
    client: Client, community: Community, make_member: MakeMember, housing: Theme
) -> None:
    holder = make_member("GM0785", kind=UserKind.STATUS_HOLDER, display_name="Amal Haddad")
    signal = report(holder, community, "Geen tolk", housing, code="GM0785")
    html = logged_in(client, make_member()).get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert (
        "a status holder in Hart van Brabant" in html
        and "Amal" not in html
        and "Goirle" not in html.split("Reported by")[1][:80]
    )


def test_recognising_without_javascript_then_with_htmx(client: Client, signal: Signal, make_member: MakeMember) -> None:
    member = make_member("GM0766")
    page = logged_in(client, member)
    response = page.post(reverse("signal_recognise", args=[signal.pk]), {"people_affected": "4"})
    assert response.status_code == 302 and response["Location"] == reverse("signal_detail", args=[signal.pk])
    assert Recognition.objects.get(signal=signal, user=member).people_affected == 4
    fragment = page.post(reverse("signal_withdraw", args=[signal.pk]), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert html.lstrip().startswith('<section id="recognition"') and "<html" not in html
    assert not Recognition.objects.filter(signal=signal, user=member).exists()


def test_a_bad_number_of_people_is_an_error_not_a_crash(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    member = make_member("GM0766")
    logged_in(client, member).post(reverse("signal_recognise", args=[signal.pk]), {"people_affected": "-3"})
    assert not Recognition.objects.filter(signal=signal, user=member).exists()


def test_following_and_unfollowing(client: Client, signal: Signal, make_member: MakeMember) -> None:
    member = make_member()
    page = logged_in(client, member)
    page.post(reverse("signal_follow", args=[signal.pk]))
    assert signal.follows.filter(user=member).exists()
    page.post(reverse("signal_follow", args=[signal.pk]), {"follow": "off"})
    assert not signal.follows.filter(user=member).exists()


def test_a_moderator_solves_it_locally_with_a_lesson_a_member_cannot(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    data = {"to": "resolved_locally", "lesson": "Voorrangsregeling met de corporatie."}
    logged_in(client, make_member()).post(reverse("signal_move", args=[signal.pk]), data)
    signal.refresh_from_db()
    assert signal.status == Status.OPEN
    logged_in(client, make_member(role=Role.MODERATOR)).post(reverse("signal_move", args=[signal.pk]), data)
    signal.refresh_from_db()
    assert signal.status == Status.RESOLVED_LOCALLY
    assert Lesson.objects.get(signal=signal).text == "Voorrangsregeling met de corporatie."
    lessons = client.get(reverse("lessons"), {"q": "corporatie"}).content.decode()
    assert signal.title in lessons


def test_an_illegal_move_on_the_page_changes_nothing(client: Client, signal: Signal, make_member: MakeMember) -> None:
    logged_in(client, make_member(role=Role.COORDINATOR)).post(
        reverse("signal_move", args=[signal.pk]), {"to": "answered", "reason": "x"}, follow=True
    )
    signal.refresh_from_db()
    assert signal.status == Status.OPEN


def test_a_merged_signal_redirects_to_its_survivor(
    client: Client, signal: Signal, community: Community, make_member: MakeMember, housing: Theme
) -> None:
    duplicate = report(make_member("GM0766"), community, "Dubbel", housing, code="GM0766")
    page = logged_in(client, make_member(role=Role.MODERATOR))
    page.post(reverse("signal_merge", args=[duplicate.pk]), {"target": signal.pk, "reason": "zelfde"})
    response = page.get(reverse("signal_detail", args=[duplicate.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("signal_detail", args=[signal.pk])


def test_a_coordinator_reveals_a_pseudonym_with_a_reason(
    client: Client, community: Community, make_member: MakeMember, housing: Theme
) -> None:
    holder = make_member("GM0785", kind=UserKind.STATUS_HOLDER, display_name="Amal Haddad")
    signal = report(holder, community, "Geen tolk", housing, code="GM0785")
    assert (
        logged_in(client, make_member(role=Role.MODERATOR))
        .post(reverse("signal_reveal", args=[signal.pk]), {"reason": "x"})
        .status_code
        == 403
    )
    response = logged_in(client, make_member(role=Role.COORDINATOR)).post(
        reverse("signal_reveal", args=[signal.pk]), {"reason": "Zorg om veiligheid"}
    )
    assert "Amal Haddad" in response.content.decode()


# --- reporting ---------------------------------------------------------------------------


def new_signal_data(community: Community, housing: Theme, **overrides: Any) -> dict[str, Any]:
    return {
        "community": community.pk,
        "title": "Geen plek op de taalschool",
        "description": "Statushouders wachten maanden op een plek.",
        "theme": housing.pk,
        "municipality": muni("GM0855").pk,
        "language": "nl",
        **overrides,
    }


def test_the_form_proposes_the_reporters_municipality_when_they_have_one(
    client: Client, make_member: MakeMember
) -> None:
    form = logged_in(client, make_member("GM0766")).get(reverse("signal_new")).context["form"]
    assert form["municipality"].initial == muni("GM0766")
    someone = make_member("GM0766")
    someone.municipalities.add(muni("GM0855"))
    assert logged_in(client, someone).get(reverse("signal_new")).context["form"]["municipality"].initial is None


@pytest.mark.parametrize(("language", "arrow"), [("nl", "→"), ("en", "→"), ("ar", "←")])
def test_the_timeline_arrow_points_the_way_the_text_reads(
    client: Client, signal: Signal, make_member: MakeMember, language: str, arrow: str
) -> None:
    moderator = make_member(role=Role.MODERATOR)
    signal_transition(actor=moderator, signal=signal, to=Status.RESOLVED_LOCALLY, lesson="Een vast loket.")
    logged_in(client, moderator).cookies["django_language"] = language
    timeline = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    timeline = timeline[timeline.index('id="timeline"') :]
    other = "←" if arrow == "→" else "→"
    assert f" {arrow} " in timeline and other not in timeline


def test_a_status_holder_gets_the_short_form_in_plain_words(client: Client, make_member: MakeMember) -> None:
    holder = make_member("GM0766", kind=UserKind.STATUS_HOLDER)
    html = logged_in(client, holder).get(reverse("signal_new")).content.decode()
    assert "What is the problem? Say it in one line." in html and 'id="id_language"' not in html
    assert "What is the problem?" not in logged_in(client, make_member()).get(reverse("signal_new")).content.decode()


def test_reporting_stops_on_a_phone_number_until_it_is_removed(
    client: Client, community: Community, housing: Theme, make_member: MakeMember
) -> None:
    holder = make_member("GM0766", kind=UserKind.STATUS_HOLDER)
    page = logged_in(client, holder)
    data = new_signal_data(community, housing, description="Bel mij op 06-12345678.")
    response = page.post(reverse("signal_new"), data)
    assert response.status_code == 200
    assert "06-12345678" in response.content.decode() and "phone number" in response.content.decode()
    assert not Signal.objects.exists()
    response = page.post(reverse("signal_new"), {**data, "description": "Bel de gemeente."})
    signal = Signal.objects.get()
    assert response["Location"] == reverse("signal_detail", args=[signal.pk])


def test_a_confirmed_finding_is_published(
    client: Client, community: Community, housing: Theme, make_member: MakeMember
) -> None:
    page = logged_in(client, make_member())
    data = new_signal_data(community, housing, description="De helpdesk 0800-1234567 helpt niet.")
    findings = page.post(reverse("signal_new"), data).context["findings"]
    page.post(reverse("signal_new"), {**data, "confirm": [findings[0].key]})
    assert Signal.objects.get().description == "De helpdesk 0800-1234567 helpt niet."


def test_people_who_may_not_report_cannot_open_the_form(client: Client, make_member: MakeMember, charlie: User) -> None:
    assert logged_in(client, charlie).get(reverse("signal_new")).status_code == 403
    assert logged_in(client, make_member(role=Role.LIAISON)).get(reverse("signal_new")).status_code == 403


def test_similar_signals_appear_while_typing_only_from_my_community(
    client: Client, signal: Signal, community: Community, make_member: MakeMember, charlie: User
) -> None:
    params = {"community": community.pk, "title": "sociale huurwoningen", "description": ""}
    html = logged_in(client, make_member()).post(reverse("signal_similar"), params).content.decode()
    assert signal.title in html
    assert signal.title not in logged_in(client, charlie).post(reverse("signal_similar"), params).content.decode()
    assert logged_in(client, make_member()).post(reverse("signal_similar"), {"community": "x"}).status_code == 200
    nul = {**params, "title": "huur\x00woningen"}  # PostgreSQL refuses NUL: it must not become a 500
    assert logged_in(client, make_member()).post(reverse("signal_similar"), nul).status_code == 200
    assert client.get(reverse("signal_similar"), params).status_code == 405  # drafts never go in a URL


def test_the_rule_can_be_met_and_the_page_says_so(
    client: Client, signal: Signal, make_member: MakeMember, community: Community
) -> None:
    community.min_recognitions, community.min_municipalities, community.min_organisations = 3, 3, 1
    community.save()
    recognition_add(actor=make_member("GM0766"), signal=signal)
    recognition_add(actor=make_member("GM0867"), signal=signal)
    html = logged_in(client, make_member()).get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "Recognised by 3 people in 3 municipalities" in html and "enough for escalation" in html


def test_recognising_with_htmx_also_updates_the_follow_button(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    page = logged_in(client, make_member("GM0766"))
    html = page.post(reverse("signal_recognise", args=[signal.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="follow" hx-swap-oob="true"' in html and "Stop following" in html


def test_htmx_shows_a_refused_recognition_in_place(client: Client, signal: Signal, make_member: MakeMember) -> None:
    member = make_member("GM0766")
    member.municipalities.clear()
    html = logged_in(client, member).post(reverse("signal_recognise", args=[signal.pk]), HTTP_HX_REQUEST="true")
    assert 'role="alert"' in html.content.decode() and "municipality" in html.content.decode()


def test_a_stale_filter_value_drops_only_that_filter(
    client: Client, many: list[Signal], make_member: MakeMember
) -> None:
    work = Theme.objects.get(slug="work")
    response = logged_in(client, make_member()).get(
        reverse("signal_list"), {"theme": work.pk, "municipality": "999999"}
    )
    assert {s.title for s in response.context["page"].object_list} == {
        "Werkgevers kennen de regels niet",
        "Ik vind geen stage",
    }


def test_lessons_leave_out_signals_that_were_reopened(client: Client, signal: Signal, make_member: MakeMember) -> None:
    moderator, coordinator = make_member(role=Role.MODERATOR), make_member(role=Role.COORDINATOR)
    signal_transition(actor=moderator, signal=signal, to=Status.RESOLVED_LOCALLY, lesson="Afspraak gemaakt.")
    page = logged_in(client, make_member())
    assert signal.title in page.get(reverse("lessons")).content.decode()
    signal_transition(actor=coordinator, signal=signal, to=Status.OPEN, reason="Speelt weer")
    assert signal.title not in page.get(reverse("lessons")).content.decode()
    assert page.get(reverse("lessons"), {"q": "a\x00b"}).status_code == 200


def test_an_escalated_signal_says_why_instead_of_how_far(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="Herkend in vier gemeenten")
    html = logged_in(client, make_member()).get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "Herkend in vier gemeenten" in html and "escalation needs" not in html


def test_liaisons_get_no_follow_button(client: Client, signal: Signal, make_member: MakeMember) -> None:
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="rule")
    signal_transition(actor=None, signal=signal, to=Status.REPORTED)
    html = (
        logged_in(client, make_member(role=Role.LIAISON))
        .get(reverse("signal_detail", args=[signal.pk]))
        .content.decode()
    )
    assert 'id="follow"' not in html


# --- a long discussion, in windows ------------------------------------------------------


def long_discussion(client: Client, signal: Signal, make_member: MakeMember, count: int) -> list[int]:
    """``count`` messages on ``signal`` by a member, who is signed in on ``client``; their ids in order."""
    member = make_member()
    Message.objects.bulk_create(Message(signal=signal, author=member, body=f"bericht {n}") for n in range(count))
    logged_in(client, member)
    return list(Message.objects.filter(signal=signal).order_by("pk").values_list("pk", flat=True))


def shown(html: str, ids: list[int]) -> list[int]:
    return [pk for pk in ids if f'id="entry-{pk}"' in html]


def test_a_long_discussion_opens_on_its_latest_messages_live_with_a_link_to_earlier_ones(
    client: Client, signal: Signal, make_member: MakeMember, django_assert_max_num_queries: Any
) -> None:
    ids = long_discussion(client, signal, make_member, DISCUSSION_PAGE + 20)
    with django_assert_max_num_queries(25):
        html = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert shown(html, ids) == ids[-DISCUSSION_PAGE:]  # the newest, not the first 50
    assert f'data-socket="/ws/signals/{signal.pk}/"' in html
    earlier = ids[-DISCUSSION_PAGE] - 1
    assert f'href="?upto={earlier}#discussion">Earlier messages</a>' in html
    assert "Latest messages" not in html

    # The window before: not live; links onward and back to the latest.
    html = client.get(reverse("signal_detail", args=[signal.pk]), {"upto": earlier}).content.decode()
    assert shown(html, ids) == ids[:20]
    assert "data-socket" not in html and "Earlier messages" not in html
    assert f'href="{reverse("signal_detail", args=[signal.pk])}#discussion">Latest messages</a>' in html
    assert "Later messages" not in html  # the next window is the latest


def test_every_message_has_a_link_to_the_window_that_holds_it(
    client: Client, signal: Signal, make_member: MakeMember
) -> None:
    ids = long_discussion(client, signal, make_member, 3 * DISCUSSION_PAGE)
    old = Message.objects.get(pk=ids[7])
    assert old.get_absolute_url() == f"/signals/{signal.pk}/?upto={old.pk}#message-{old.pk}"
    html = client.get(old.get_absolute_url()).content.decode()
    assert shown(html, ids) == ids[:8] and f'id="message-{old.pk}"' in html
    later = ids[7 + DISCUSSION_PAGE]
    assert f'href="?upto={later}#discussion">Later messages</a>' in html
    html = client.get(reverse("signal_detail", args=[signal.pk]), {"upto": later}).content.decode()
    assert shown(html, ids) == ids[8 : 8 + DISCUSSION_PAGE] and "data-socket" not in html
    # A recent message's link opens the latest window, live.
    recent = Message.objects.get(pk=ids[-3])
    html = client.get(recent.get_absolute_url()).content.decode()
    assert shown(html, ids) == ids[-DISCUSSION_PAGE:] and "data-socket" in html


@pytest.mark.parametrize("upto", ["abc", "-5", "1" * 40, "١٢", "0"])
def test_a_window_asked_for_in_a_way_that_makes_no_sense_is_the_latest(
    client: Client, signal: Signal, make_member: MakeMember, upto: str
) -> None:
    ids = long_discussion(client, signal, make_member, DISCUSSION_PAGE + 5)
    response = client.get(reverse("signal_detail", args=[signal.pk]), {"upto": upto})
    assert response.status_code == 200
    assert shown(response.content.decode(), ids) == ids[-DISCUSSION_PAGE:]
