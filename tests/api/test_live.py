"""A script's view of the API: plain HTTP with tokens against a real gunicorn, nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from community.models import Role
from community.tokens import api_token_create
from tests.servers import app_server
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_api(server_env: dict[str, str]) -> Iterator[str]:
    with app_server("gunicorn", {**server_env, "ALLOWED_HOSTS": "127.0.0.1,localhost"}) as url:
        yield f"{url}/api/v1"


def test_report_recognise_and_read_the_progress_over_http(live_api: str, make_member: MakeMember) -> None:
    _token, reporter_key = api_token_create(user=make_member("GM0855", role=Role.MEMBER), name="script")
    _token, colleague_key = api_token_create(user=make_member("GM0766", organisation="COA"), name="script")
    headers = {"Accept-Language": "en"}

    auth = {**headers, "Authorization": f"Bearer {reporter_key}"}
    with httpx.Client(base_url=live_api, headers=auth, timeout=30) as reporter:
        community = reporter.get("/communities/").json()[0]["slug"]
        created = reporter.post(
            "/signals/",
            json={
                "community": community,
                "title": "Wachtlijst taalschool",
                "description": "Statushouders wachten drie maanden op een plek.",
                "theme": "civic-integration",
                "municipality": "GM0855",
            },
        )
        assert created.status_code == 201, created.text
        signal_id = created.json()["id"]

    auth = {**headers, "Authorization": f"Token {colleague_key}"}
    with httpx.Client(base_url=live_api, headers=auth, timeout=30) as colleague:
        recognised = colleague.post(f"/signals/{signal_id}/recognitions/", json={"people_affected": 12})
        assert recognised.status_code == 201, recognised.text
        progress = colleague.get(f"/signals/{signal_id}/").json()["progress"]
    assert progress == (
        "Recognised by 2 people in 2 municipalities and 2 organisations; escalation needs 10 people, 3 municipalities."
    )
    assert httpx.get(f"{live_api}/signals/{signal_id}/", timeout=30).status_code == 401
