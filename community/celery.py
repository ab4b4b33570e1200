"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

app = Celery("knooppunt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def keep_bodies_out_of_worker_logs(logger: Any, **kwargs: Any) -> None:
    """A worker replaces the root logger's handlers with its own: they get the filter of our console handler."""
    from community.logfilters import NoQueryValues

    for handler in logger.handlers:
        handler.addFilter(NoQueryValues())
