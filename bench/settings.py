"""The project's own settings, plus what a benchmark needs and production must not have.

- A "hello" view beside the site's URLs (the baseline of S1 and S7), through the same middleware.
- No posting limits or API write throttle: a benchmark posts far more than a person may, and it
  measures the cost of a write, not how fast the limiter says no.
"""

from community.settings import *  # noqa: F403
from community.settings import POSTING_LIMITS, REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"

POSTING_LIMITS = {kind: {**limit, "limit": 10**9, "new": 10**9} for kind, limit in POSTING_LIMITS.items()}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
