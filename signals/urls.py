from django.urls import path

from signals import discussion_views, follows, home, moderation_views, views

urlpatterns = [
    path("", home.home, name="home"),
    path("settings/follows/", follows.follow_settings, name="follow_settings"),
    path("signals/", views.signal_list, name="signal_list"),
    path("signals/new/", views.signal_new, name="signal_new"),
    path("signals/similar/", views.signal_similar, name="signal_similar"),
    path("signals/<int:pk>/", views.signal_detail, name="signal_detail"),
    path("signals/<int:pk>/edit/", views.signal_edit, name="signal_edit"),
    path("signals/<int:pk>/recognise/", views.signal_recognise, name="signal_recognise"),
    path("signals/<int:pk>/withdraw/", views.signal_withdraw, name="signal_withdraw"),
    path("signals/<int:pk>/follow/", views.signal_follow, name="signal_follow"),
    path("signals/<int:pk>/status/", views.signal_move, name="signal_move"),
    path("signals/<int:pk>/visibility/", views.signal_visibility, name="signal_visibility"),
    path("signals/<int:pk>/merge/", views.signal_merge, name="signal_merge"),
    path("signals/<int:pk>/reveal/", views.signal_reveal, name="signal_reveal"),
    path("signals/<int:pk>/flag/", moderation_views.signal_flag, name="signal_flag"),
    path("signals/<int:pk>/messages/", discussion_views.message_post, name="message_post"),
    path("signals/<int:pk>/messages/<int:message_pk>/", discussion_views.message_action, name="message_action"),
    path("signals/<int:pk>/messages/<int:message_pk>/edit/", discussion_views.message_edit, name="message_edit"),
    path("lessons/", views.lessons, name="lessons"),
    path("moderation/", moderation_views.queue, name="moderation"),
    path("moderation/<str:kind>/<int:pk>/", moderation_views.queue_action, name="moderation_action"),
]
