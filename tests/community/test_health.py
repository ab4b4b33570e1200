"""/healthz: database, cache, channel layer and broker, each really asked; 503 when one is down."""

from __future__ import annotations

import httpx
import pytest
from django.test import Client, override_settings

from tests.servers import app_server, closed_port_url

ALL_UP = {"database": True, "cache": True, "channel_layer": True, "broker": True}


@pytest.mark.django_db
def test_healthz_is_200_when_everything_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == ALL_UP
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_naming_the_cache_when_its_redis_is_down(client: Client) -> None:
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": closed_port_url("redis")}
    with override_settings(CACHES={"default": cache}):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {**ALL_UP, "cache": False}


@pytest.mark.django_db
def test_healthz_is_503_naming_the_channel_layer_when_its_redis_is_down(client: Client) -> None:
    layer = {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [closed_port_url("redis")]},
    }
    with override_settings(CHANNEL_LAYERS={"default": layer}):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {**ALL_UP, "channel_layer": False}


@pytest.mark.django_db
def test_healthz_is_503_naming_the_broker_when_it_is_down(client: Client) -> None:
    with override_settings(CELERY_BROKER_URL=closed_port_url("redis")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {**ALL_UP, "broker": False}


def test_healthz_of_a_real_server_whose_database_is_down_is_503() -> None:
    database = closed_port_url("postgres").rsplit("/", 1)[0] + "/knooppunt"
    with app_server("gunicorn", {"DATABASE_URL": database}) as url:
        response = httpx.get(f"{url}/healthz", timeout=30)
    assert response.status_code == 503
    assert response.json() == {**ALL_UP, "database": False}


def test_healthz_refuses_other_methods(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_and_home_answer_head_requests_from_monitors(client: Client) -> None:
    assert client.head("/healthz").status_code == 200
    assert client.head("/").status_code == 200
