"""The ASGI application under a real uvicorn: pages over HTTP, sockets only from our own origin."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.servers import app_server


@pytest.fixture
def uvicorn_server(server_env: dict[str, str]) -> Iterator[str]:
    with app_server("uvicorn", server_env) as url:
        yield url


@pytest.mark.django_db(transaction=True)
def test_uvicorn_serves_django_over_http(uvicorn_server: str) -> None:
    response = httpx.get(f"{uvicorn_server}/healthz", headers={"Host": "localhost"}, timeout=30)
    assert response.status_code == 200
    assert response.json() == {"database": True, "cache": True, "channel_layer": True, "broker": True}


@pytest.mark.django_db(transaction=True)
def test_sockets_from_another_origin_are_refused(uvicorn_server: str) -> None:
    ws_url = uvicorn_server.replace("http://", "ws://") + "/ws/signals/1/"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, origin="https://evil.example", additional_headers={"Host": "localhost"}, open_timeout=10)
    assert refused.value.response.status_code == 403


@pytest.mark.django_db(transaction=True)
def test_sockets_without_an_origin_are_refused(uvicorn_server: str) -> None:
    ws_url = uvicorn_server.replace("http://", "ws://") + "/ws/signals/1/"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, additional_headers={"Host": "localhost"}, open_timeout=10)
    assert refused.value.response.status_code == 403
