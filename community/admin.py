from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community.memberships import (
    membership_add_by_staff,
    membership_change_role_by_staff,
    membership_remove_by_staff,
)
from community.models import AuditEntry, Community, Membership, Municipality, Organisation, Region, Role, User
from community.services import profile_changes_record, profile_snapshot


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin[Region]):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin[Municipality]):
    list_display = ["name", "cbs_code", "region"]
    list_filter = ["region"]
    search_fields = ["name", "cbs_code"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "kind", "municipality"]
    list_filter = ["kind"]
    search_fields = ["name"]


class MembershipInline(admin.TabularInline[Membership, Community]):
    """Shown, not edited here: memberships change through MembershipAdmin, which audits."""

    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Community | None = None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    """Staff start a community here (its first coordinator); every change goes through
    community.memberships, so it is audited and keeps the last-coordinator rule."""

    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["community", "role"]
    search_fields = ["user__email", "user__display_name"]
    autocomplete_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> list[str]:
        return ["user", "community"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Membership, form: ModelForm[Any], change: bool) -> None:
        actor: User = request.user  # type: ignore[assignment]
        try:
            if change:
                membership_change_role_by_staff(actor=actor, membership=obj, role=Role(obj.role))
            else:
                saved = membership_add_by_staff(
                    actor=actor, user=obj.user, community=obj.community, role=Role(obj.role)
                )
                obj.pk = saved.pk
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        try:
            membership_remove_by_staff(actor=request.user, membership=obj)  # type: ignore[arg-type]
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset:
            self.delete_model(request, membership)


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin[Community]):
    list_display = ["name", "slug", "region", "language"]
    list_filter = ["region", "language"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(User)
# The stubs bind UserAdmin to AbstractUser; ours is an AbstractBaseUser with the same admin needs.
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    ordering = ["email"]
    list_display = ["email", "display_name", "kind", "is_active", "is_staff"]
    list_filter = ["kind", "is_active", "is_staff"]
    search_fields = ["email", "display_name"]
    filter_horizontal = ["municipalities", "groups", "user_permissions"]
    fieldsets = (
        (None, {"fields": ["email", "password"]}),
        (
            _("Profile"),
            {
                "fields": [
                    "display_name",
                    "kind",
                    "pseudonymous",
                    "pseudonym_label",
                    "municipalities",
                    "organisation",
                    "preferred_language",
                ]
            },
        ),
        (_("Access"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    )
    add_fieldsets = (
        (None, {"classes": ["wide"], "fields": ["email", "display_name", "kind", "password1", "password2"]}),
    )

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm[Any], change: bool) -> None:
        if change:
            form._profile_before = profile_snapshot(User.objects.get(pk=obj.pk))  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool) -> None:
        # Municipalities are written here, after the user row: compare once both are saved.
        super().save_related(request, form, formsets, change)
        before = getattr(form, "_profile_before", None)
        if before is not None:
            profile_changes_record(actor=request.user, user=form.instance, before=before)  # type: ignore[arg-type]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ["created_at", "action", "actor", "community", "subject_type", "subject_id"]
    list_filter = ["action", "community"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        return super().get_queryset(request).select_related("actor", "community", "subject_type")
