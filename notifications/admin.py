from __future__ import annotations

from django.contrib import admin

from community.admin import AccessibleAdmin
from notifications.models import MailStatus, Notification, Preference


@admin.register(Notification)
class NotificationAdmin(AccessibleAdmin[Notification]):
    list_display = ["recipient", "kind", "title", "count", "email_frequency", "updated_at", "read_at", "emailed_at"]
    list_filter = ["kind", "email_frequency"]
    search_fields = ["recipient__email", "title"]
    raw_id_fields = ["recipient", "actor", "community"]
    readonly_fields = ["created_at", "updated_at", "emailed_at"]


@admin.register(Preference)
class PreferenceAdmin(AccessibleAdmin[Preference]):
    list_display = ["user", "kind", "frequency"]
    list_filter = ["kind", "frequency"]
    raw_id_fields = ["user"]


@admin.register(MailStatus)
class MailStatusAdmin(AccessibleAdmin[MailStatus]):
    list_display = ["user", "hard_failures", "disabled_at", "last_error"]
    raw_id_fields = ["user"]
