"""Per-person posting limits (signals.limits): the same counter on pages, the API and sockets, stricter for new
accounts, and exact under parallel requests in several server processes."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Community, Municipality, User
from community.tokens import api_token_create
from signals.discussion import message_post
from signals.limits import TooMany, is_new_account, posting_limit
from signals.models import Message, Recognition, Signal, Theme
from signals.services import recognition_add, signal_create
from tests.api.conftest import client_for
from tests.servers import app_server
from tests.signals.conftest import MakeMember
from tests.signals.test_consumer import connect, receive

ESTABLISHED = {"date_joined": timezone.now() - datetime.timedelta(days=30)}


def _report(user: User, community: Community, theme: Theme, title: str = "Wachtlijst taalschool") -> Signal:
    return signal_create(
        actor=user,
        community=community,
        title=title,
        description="Statushouders wachten maanden op een plek.",
        theme=theme,
        municipality=Municipality.objects.get(cbs_code="GM0855"),
    )


def _admitted(attempt: Callable[[], object], times: int) -> int:
    admitted = 0
    for _ in range(times):
        try:
            attempt()
        except TooMany as refused:
            assert refused.code == "too_many" and refused.retry_after > 0
        else:
            admitted += 1
    return admitted


@pytest.fixture
def small_limits(settings: Any) -> dict[str, dict[str, int]]:
    """Limits small enough to reach in a test: 4 an hour, 2 for a new account."""
    settings.POSTING_LIMITS = {kind: {"limit": 4, "new": 2, "period": 3600} for kind in settings.POSTING_LIMITS}
    return settings.POSTING_LIMITS  # type: ignore[no-any-return]


# --- The domain functions ---------------------------------------------------------------------------


def test_the_limits_are_the_documented_ones(settings: Any) -> None:
    assert settings.POSTING_LIMITS == {
        "signal": {"limit": 10, "new": 3, "period": 3600},
        "recognition": {"limit": 60, "new": 20, "period": 3600},
        "message": {"limit": 30, "new": 10, "period": 600},
    }
    assert settings.NEW_ACCOUNT_DAYS == 7


@pytest.mark.django_db
def test_an_account_is_new_for_its_first_week(make_member: MakeMember) -> None:
    assert is_new_account(make_member())
    assert not is_new_account(make_member(date_joined=timezone.now() - datetime.timedelta(days=7, seconds=1)))


@pytest.mark.django_db
def test_signals_stop_at_ten_an_hour_and_at_three_for_an_account_younger_than_a_week(
    community: Community, housing: Theme, make_member: MakeMember
) -> None:
    established, new = make_member(**ESTABLISHED), make_member()
    assert _admitted(lambda: _report(established, community, housing), 12) == 10
    assert _admitted(lambda: _report(new, community, housing), 5) == 3
    assert Signal.objects.filter(author=new).count() == 3  # a refused report leaves nothing behind


@pytest.mark.django_db
@pytest.mark.usefixtures("small_limits")
def test_recognitions_stop_at_the_limit_and_earlier_for_a_new_account(
    community: Community, housing: Theme, make_member: MakeMember
) -> None:
    established, new = make_member("GM0766", **ESTABLISHED), make_member("GM0766")
    signals = [_report(make_member(**ESTABLISHED), community, housing, f"Signaal {n}") for n in range(5)]
    admitted = [_admitted(lambda s=s, who=who: recognition_add(actor=who, signal=s), 1) for who in (established, new)
                for s in signals]  # fmt: skip
    assert admitted == [1, 1, 1, 1, 0] + [1, 1, 0, 0, 0]
    assert Recognition.objects.filter(user=new).count() == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("small_limits")
def test_messages_stop_at_the_limit_but_a_retry_of_an_admitted_one_is_not_counted(
    signal: Signal, make_member: MakeMember
) -> None:
    new = make_member("GM0766")
    client_id = uuid.uuid4()
    first, created = message_post(actor=new, signal=signal, body="Hier ook.", client_id=client_id)
    for _retry in range(3):
        assert message_post(actor=new, signal=signal, body="Hier ook.", client_id=client_id) == (first, False)
    message_post(actor=new, signal=signal, body="En nog iets.")
    with pytest.raises(ValidationError) as refused:
        message_post(actor=new, signal=signal, body="Nog een keer.")
    assert refused.value.code == "too_many"
    assert Message.objects.filter(author=new).count() == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_twenty_threads_at_once_get_exactly_the_limit(
    community: Community, housing: Theme, make_member: MakeMember, reporter: User
) -> None:
    """Each thread its own database connection, all released at the same moment: no check-then-act race."""
    signal = _report(make_member(**ESTABLISHED), community, housing)
    new = make_member("GM0766")
    limit, _period = posting_limit(new, "message")
    start, outcomes = threading.Barrier(20), []

    def post(number: int) -> None:
        try:
            start.wait()
            message_post(actor=new, signal=signal, body=f"Bericht {number}")
            outcomes.append("posted")
        except TooMany:
            outcomes.append("too_many")
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["posted"] * limit + ["too_many"] * (20 - limit)
    assert Message.objects.filter(author=new).count() == limit == 10


# --- Pages, API and sockets answer with the same refusal --------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_refusal_as_an_error(
    client: Client, community: Community, housing: Theme, make_member: MakeMember
) -> None:
    new = make_member()
    for n in range(3):
        _report(new, community, housing, f"Eerder {n}")
    client.force_login(new)
    client.cookies["django_language"] = "en"
    data = {
        "community": community.pk,
        "title": "Nog een",
        "description": "Statushouders wachten maanden op een plek.",
        "theme": housing.pk,
        "municipality": Municipality.objects.get(cbs_code="GM0855").pk,
        "language": "nl",
    }
    response = client.post(reverse("signal_new"), data)
    assert response.status_code == 200
    assert "You have reported many signals in a short time." in response.content.decode()
    signal = Signal.objects.filter(author=new).first()
    assert signal is not None
    for n in range(10):
        message_post(actor=new, signal=signal, body=f"Bericht {n}")
    response = client.post(reverse("message_post", args=[signal.pk]), {"body": "Nog een bericht"})
    assert "You have posted many messages in a short time." in response.content.decode()


@pytest.mark.django_db
def test_the_api_answers_429_with_retry_after(
    community: Community, housing: Theme, make_member: MakeMember, signal: Signal
) -> None:
    new = make_member("GM0766")
    api = client_for(new)
    for n in range(10):
        message_post(actor=new, signal=signal, body=f"Bericht {n}")
    response = api.post(f"/api/v1/signals/{signal.pk}/messages/", {"body": "Nog een"}, format="json")
    assert response.status_code == 429
    assert response.json() == {
        "detail": "You have posted many messages in a short time. Wait a while before you post again.",
        "code": "too_many",
    }
    assert 0 < int(response["Retry-After"]) <= 600


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
async def test_a_socket_shares_the_counter_with_pages_and_api(signal: Signal, make_member: MakeMember) -> None:
    new = await sync_to_async(make_member)("GM0766")

    @sync_to_async
    def post_elsewhere(times: int) -> None:
        for n in range(times):
            message_post(actor=new, signal=signal, body=f"Via de pagina {n}")

    await post_elsewhere(9)  # the new account's tenth message is the socket's
    socket, connected, _code = await connect(signal.pk, new)
    assert connected
    codes = []
    for number in range(2):
        await socket.send_json_to({"type": "message.send", "body": f"m{number}", "client_id": str(uuid.uuid4())})
        event = await receive(socket)
        codes.append(event.get("code", event["type"]))
    assert codes == ["message.new", "too_many"]
    await socket.disconnect()


# --- Through real servers ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_api_requests_to_two_servers_admit_exactly_the_limit(
    worker_redis_env: dict[str, str], make_member: MakeMember, community: Community
) -> None:
    """Two gunicorns of ten threads each, sharing Redis: a new account gets 3 of 20, an established one 10."""
    env = {**worker_redis_env, "ALLOWED_HOSTS": "127.0.0.1,localhost", "GUNICORN_CMD_ARGS": "--threads 10"}
    people = {"new": make_member(), "established": make_member(**ESTABLISHED)}
    keys = {who: api_token_create(user=person, name="script")[1] for who, person in people.items()}
    body = {
        "community": community.slug,
        "title": "Wachtlijst taalschool",
        "description": "Statushouders wachten drie maanden op een plek.",
        "theme": "civic-integration",
        "municipality": "GM0855",
    }
    with app_server("gunicorn", env) as one, app_server("gunicorn", env) as two:
        statuses: dict[str, list[int]] = {}
        for who, key in keys.items():
            start, codes = threading.Barrier(20), []

            def post(number: int, key: str = key, start: threading.Barrier = start, codes: list[int] = codes) -> None:
                url = f"{(one, two)[number % 2]}/api/v1/signals/"
                with httpx.Client(headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"}) as http:
                    start.wait()
                    codes.append(http.post(url, json=body, timeout=30).status_code)

            threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            statuses[who] = sorted(codes)
    assert statuses == {"new": [201] * 3 + [429] * 17, "established": [201] * 10 + [429] * 10}
    assert Signal.objects.filter(author=people["new"]).count() == 3
    assert Signal.objects.filter(author=people["established"]).count() == 10
