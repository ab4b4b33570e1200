from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from api import views
from api.exceptions import not_found

urlpatterns = [
    path("signals/", views.SignalListView.as_view(), name="api_signals"),
    path("signals/<int:pk>/", views.SignalDetailView.as_view(), name="api_signal"),
    path("signals/<int:pk>/recognitions/", views.RecognitionView.as_view(), name="api_recognitions"),
    path("signals/<int:pk>/transitions/", views.TransitionView.as_view(), name="api_transitions"),
    path("signals/<int:pk>/follow/", views.FollowView.as_view(), name="api_follow"),
    path("signals/<int:pk>/messages/", views.MessageListView.as_view(), name="api_messages"),
    path("open-data/signals.json", views.OpenDataJsonView.as_view(), name="api_open_data_json"),
    path("open-data/signals.csv", views.OpenDataCsvView.as_view(), name="api_open_data_csv"),
    path("digests/", views.DigestListView.as_view(), name="api_digests"),
    path("digests/<int:pk>/", views.DigestDetailView.as_view(), name="api_digest"),
    path("notifications/", views.NotificationListView.as_view(), name="api_notifications"),
    path("notifications/read/", views.NotificationReadAllView.as_view(), name="api_notifications_read_all"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="api_notification_read"),
    path("themes/", views.ThemeListView.as_view(), name="api_themes"),
    path("municipalities/", views.MunicipalityListView.as_view(), name="api_municipalities"),
    path("communities/", views.CommunityListView.as_view(), name="api_communities"),
    # The description of the API is public; the data behind it is not.
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="api_schema",
    ),
    # Server-rendered from the same schema, without script (api/reference.py).
    path("docs/", views.api_docs, name="api_docs"),
    re_path(r"^.*$", not_found),  # anything else under /api/v1/: JSON, not an HTML page
]
