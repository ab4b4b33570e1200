"""WebSocket routes, gathered from the apps named in ``settings.WEBSOCKET_ROUTES``.

Like ``ROOT_URLCONF``, by name: ``community`` imports no other app of ours.
"""

from importlib import import_module

from django.conf import settings
from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = [
    pattern for module in settings.WEBSOCKET_ROUTES for pattern in import_module(module).websocket_urlpatterns
]
