"""Settings for the Celery workers of the crash tests (DJANGO_SETTINGS_MODULE=tests.worker_settings).

Production keeps a task a killed worker had taken for 900 s before the broker
hands it out again (community/settings.py). Here it is 5 s, and the restarted
worker looks for such tasks every second, so the test waits seconds, not 15
minutes, for the same recovery. Likewise a digest delivery left "sending" by the
killed worker counts as interrupted after 2 s instead of 900 s.
"""

from community.settings import *  # noqa: F403
from community.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "visibility_timeout": 5,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": 10,
}
DIGEST_SENDING_STALE_SECONDS = 2
