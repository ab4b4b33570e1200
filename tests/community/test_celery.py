"""The Celery app reaches the Redis broker: a real worker process answers."""

from __future__ import annotations

import time
import uuid

from django.conf import settings

from community.celery import app
from tests.servers import celery_worker


def test_celery_is_configured_for_real_work() -> None:
    conf = app.conf
    assert conf.broker_url == settings.CELERY_BROKER_URL
    assert (conf.task_serializer, conf.accept_content) == ("json", ["json"])
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]
    assert conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_a_real_worker_connects_to_the_broker_and_answers(server_env: dict[str, str]) -> None:
    with celery_worker(server_env, f"test-{uuid.uuid4().hex[:8]}") as worker:
        node = worker.node
        deadline = time.monotonic() + 30
        replies: list[dict[str, object]] = []
        while time.monotonic() < deadline:
            replies = app.control.ping(destination=[node], timeout=1.0) or []
            if replies:
                break
        assert replies == [{node: {"ok": "pong"}}]
