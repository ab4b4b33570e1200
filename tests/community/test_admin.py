"""Staff in the admin: signed in through allauth, membership changes audited and ruled like any other; every
form control named and no table header empty (axe-core scans every admin page in tests/inclusion)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, PeriodicTask

from community.models import AuditEntry, Community, Membership, Role, User
from signals.models import Theme
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> User:
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_admin_sign_in_is_allauths(client: Client) -> None:
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_start_a_community_with_its_first_coordinator_audited(client: Client, staff: User) -> None:
    community = CommunityFactory()
    coordinator = UserFactory()
    response = client.post(
        reverse("admin:community_membership_add"),
        {
            "user": coordinator.pk,
            "community": community.pk,
            "role": "coordinator",
            "created_at_0": "2026-11-22",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=coordinator, community=community).role == Role.COORDINATOR
    entry = AuditEntry.objects.get(action="membership.added")
    assert (entry.actor, entry.community, entry.data) == (staff, community, {"role": "coordinator"})


def test_staff_cannot_remove_the_last_coordinator(
    client: Client, staff: User, alice: User, community: Community
) -> None:
    membership = Membership.objects.get(user=alice, community=community)
    client.post(reverse("admin:community_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEntry.objects.filter(action="membership.removed").exists()


def test_staff_role_changes_are_audited(client: Client, staff: User, bob: User, community: Community) -> None:
    membership = Membership.objects.get(user=bob, community=community)
    response = client.post(
        reverse("admin:community_membership_change", args=[membership.pk]),
        {"role": "moderator", "created_at_0": "2026-11-22", "created_at_1": "10:00:00"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.MODERATOR
    assert AuditEntry.objects.get(action="membership.role_changed").actor == staff


def test_the_community_page_shows_memberships_without_editing_them(
    client: Client, staff: User, alice: User, community: Community
) -> None:
    html = client.get(reverse("admin:community_community_change", args=[community.pk])).content.decode()
    assert "Alice Coordinator" in html
    assert 'name="memberships-0-role"' not in html


# --- Accessibility of the admin pages (axe-core scans them all in tests/inclusion; these pin the fixes) ---


class _Elements(HTMLParser):
    """The form controls (each with an aria-label when a <label> holds it), labels and table headers of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labelled_ids: set[str] = set()
        self.headers: list[str] = []
        self._header: list[str] | None = None
        self._in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit", "button"):
            self.controls.append(attributes | ({"aria-label": "(its label)"} if self._in_label else {}))
        elif tag == "label":
            self._in_label += 1
            if attributes.get("for"):
                self.labelled_ids.add(str(attributes["for"]))
        elif tag == "th":
            self._header = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._in_label = max(0, self._in_label - 1)
        elif tag == "th" and self._header is not None:
            self.headers.append("".join(self._header).strip())
            self._header = None

    def handle_data(self, data: str) -> None:
        if self._header is not None:
            self._header.append(data)

    def unnamed_controls(self) -> list[str | None]:
        return [
            control.get("id") or control.get("name")
            for control in self.controls
            if control.get("id") not in self.labelled_ids and not control.get("aria-label")
        ]


def elements(client: Client, path: str) -> _Elements:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = _Elements()
    parser.feed(response.content.decode())
    return parser


ADD_FORMS_WITH_DATES = [
    "admin:community_membership_add",
    "admin:community_community_add",
    "admin:notifications_notification_add",
    "admin:notifications_mailstatus_add",
    "admin:django_celery_beat_periodictask_add",
    "admin:django_celery_beat_clockedschedule_add",
    "admin:mfa_authenticator_add",
]


@pytest.mark.parametrize("url_name", ADD_FORMS_WITH_DATES)
def test_split_date_and_time_inputs_are_labelled_on_add_forms(client: Client, staff: User, url_name: str) -> None:
    page = elements(client, reverse(url_name))
    dates = [control["id"] for control in page.controls if "vDateField" in (control.get("class") or "")]
    assert dates, "the form has a date and time field"
    assert page.unnamed_controls() == []


def test_every_input_of_the_user_form_is_labelled(client: Client, staff: User, bob: User) -> None:
    page = elements(client, reverse("admin:community_user_change", args=[bob.pk]))
    assert {"id_last_login_0", "id_last_login_1", "id_date_joined_0"} <= page.labelled_ids
    assert page.unnamed_controls() == []


def test_many_to_many_fields_are_plain_multiple_selects(client: Client, staff: User, bob: User) -> None:
    # SelectFilter2's search icons carry aria attributes their element may not have.
    for path in (reverse("admin:community_user_change", args=[bob.pk]), reverse("admin:auth_group_add")):
        html = client.get(path).content.decode()
        assert "selectfilter" not in html
        assert "multiple" in html


def test_a_membership_names_its_person_by_id_not_in_a_select2_box(client: Client, staff: User) -> None:
    html = client.get(reverse("admin:community_membership_add")).content.decode()
    assert "vForeignKeyRawIdAdminField" in html
    assert "admin-autocomplete" not in html


@pytest.mark.parametrize(
    "path",
    [
        lambda community: reverse("admin:community_community_change", args=[community.pk]),
        lambda community: reverse("admin:community_community_add"),
        lambda community: reverse("admin:django_celery_beat_crontabschedule_add"),
    ],
    ids=["community-change", "community-add", "crontab-add"],
)
def test_tabular_inline_column_headers_are_not_empty(
    client: Client, staff: User, alice: User, community: Community, path: Callable[[Community], str]
) -> None:
    headers = elements(client, path(community)).headers
    assert headers
    assert "" not in headers


def test_editable_list_cells_are_named_by_column_and_row(client: Client, staff: User) -> None:
    page = elements(client, reverse("admin:signals_theme_changelist"))
    labels = {control.get("aria-label") for control in page.controls if str(control.get("name")).endswith("-position")}
    assert labels == {f"Volgorde: {theme}" for theme in Theme.objects.all()}
    assert page.unnamed_controls() == []


def test_the_periodic_task_form_runs_no_inline_script(client: Client, staff: User) -> None:
    # The Content-Security-Policy allows scripts from files only.
    html = client.get(reverse("admin:django_celery_beat_periodictask_add")).content.decode()
    assert "<script>" not in html
    assert '<script id="periodic-task-overrides">' not in html


def test_admin_pages_link_the_stylesheet_that_underlines_breadcrumb_links(client: Client, staff: User) -> None:
    html = client.get(reverse("admin:app_list", args=["community"])).content.decode()
    assert re.search(r'<link rel="stylesheet" href="/static/css/admin\.[0-9a-f]+\.css">', html)
    assert re.search(r'<link rel="icon" href="/static/favicon\.[0-9a-f]+\.svg"', html)
    assert '<div class="breadcrumbs">' in html
    stylesheet = (settings.BASE_DIR / "static" / "css" / "admin.css").read_text()
    assert re.search(r"div\.breadcrumbs a,[^{]*\{\s*text-decoration: underline;", stylesheet)


def test_tabular_inline_links_keep_djangos_translation(client: Client, staff: User) -> None:
    clocked = ClockedSchedule.objects.create(clocked_time=timezone.now())
    PeriodicTask.objects.create(name="once", task="community.tasks.example", clocked=clocked, one_off=True)
    html = client.get(reverse("admin:django_celery_beat_clockedschedule_change", args=[clocked.pk])).content.decode()
    assert 'class="inlinechangelink">Wijzigen</a>' in html
