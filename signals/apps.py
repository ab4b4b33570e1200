from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SignalsConfig(AppConfig):
    name = "signals"
    verbose_name = _("Signals")

    def ready(self) -> None:
        from signals import receivers  # noqa: F401 -- connects the receivers
        from signals.personal_data import signals_sections_register

        # Its sections of the personal-data export, its eraser and its retention purge (community.personal_data).
        signals_sections_register()
