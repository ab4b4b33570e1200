from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications.personal_data import notifications_sections_register

        # Its sections of the personal-data export, its eraser and its retention purge (community.personal_data).
        notifications_sections_register()
