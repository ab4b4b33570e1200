from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from community import receivers  # noqa: F401 -- connects the receivers
        from community.personal_data import community_sections_register
        from community.retention import community_purges_register

        # The first sections of the personal-data export, and the account erasure's own purges.
        community_sections_register()
        community_purges_register()
