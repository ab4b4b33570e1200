from django.contrib import admin
from django.http import HttpRequest

from community.admin import AccessibleAdmin
from signals.models import Flag, Signal, SignalEvent, Theme


@admin.register(Theme)
class ThemeAdmin(AccessibleAdmin[Theme]):
    """Themes are global data that staff edit (PRODUCT.md)."""

    list_display = ["slug", "name_nl", "name_en", "name_ar", "position"]
    list_editable = ["position"]


class SignalEventInline(admin.TabularInline[SignalEvent, Signal]):
    model = SignalEvent
    fk_name = "signal"
    extra = 0
    can_delete = False
    # No actor: for the first entry that is the reporter, who may be pseudonymous (revealing is audited,
    # on the signal's page, for coordinators).
    fields = ("created_at", "kind", "from_status", "to_status", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Signal | None = None) -> bool:
        return False


@admin.register(Signal)
class SignalAdmin(AccessibleAdmin[Signal]):
    """For looking up; signals change through the pages, where the rules and the timeline apply."""

    list_display = ["title", "community", "status", "recognition_count", "municipality_count", "created_at"]
    list_filter = ["community", "status", "theme"]
    search_fields = ["title"]
    exclude = ["author", "search_vector"]
    inlines = [SignalEventInline]

    def has_change_permission(self, request: HttpRequest, obj: Signal | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Signal | None = None) -> bool:
        return False


@admin.register(Flag)
class FlagAdmin(AccessibleAdmin[Flag]):
    """For looking up; flags are handled in the moderation queue, where hiding and dismissing are audited."""

    list_display = ["pk", "message", "signal", "created_at", "handled_at", "outcome"]
    list_filter = ["outcome", ("handled_at", admin.EmptyFieldListFilter)]
    # No flagger: who reported what stays between them and the moderators.
    fields = ("message", "signal", "reason", "created_at", "handled_at", "handled_by", "outcome")
    readonly_fields = fields

    def has_change_permission(self, request: HttpRequest, obj: Flag | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Flag | None = None) -> bool:
        return False
