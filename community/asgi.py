"""ASGI entry point: uvicorn serves the sockets (and, in embedded mode, the pages too).

Run with ``uvicorn community.asgi:application --ws-max-size 65536`` so a frame
over 64 KiB closes the socket (code 1009).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

# Django must be set up before anything imports models (consumers, routing).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from community.routing import websocket_urlpatterns  # noqa: E402

# Import every URL module now, not on the first ``reverse()`` a socket makes: that took over a second in
# the one thread for database work, and every socket's messages waited behind it (docs/performance.md).
get_resolver().url_patterns  # noqa: B018

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
