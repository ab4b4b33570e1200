from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from allauth.mfa import admin as mfa_admin
from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as celery_beat_admin
from django_celery_beat.models import ClockedSchedule, PeriodicTask

from community.memberships import (
    membership_add_by_staff,
    membership_change_role_by_staff,
    membership_remove_by_staff,
)
from community.models import AuditEntry, Community, Membership, Municipality, Organisation, Region, Role, User
from community.services import profile_changes_record, profile_snapshot, user_deactivate

_ModelT = TypeVar("_ModelT", bound=models.Model)


class LabelledSplitDateTime(AdminSplitDateTime):
    """Django's split date and time inputs, with their "Date:" and "Time:" captions as the inputs' labels:
    the field's own label (a MultiWidget's) points at neither input, so without these they have no name."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        date, time = context["widget"]["subwidgets"]
        for caption, subwidget in (("date_label", date), ("time_label", time)):
            if subwidget["attrs"].get("id"):
                context[caption] = format_html('<label for="{}">{}</label>', subwidget["attrs"]["id"], context[caption])
        return context


LABELLED_DATETIMES: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
    models.DateTimeField: {"widget": LabelledSplitDateTime}
}


class AccessibleAdmin(admin.ModelAdmin[_ModelT]):
    """The base of the project's admins: every input has a name a screen reader can say."""

    formfield_overrides = LABELLED_DATETIMES

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> type[ModelForm[_ModelT]]:
        form_class = super().get_changelist_form(request, **kwargs)
        # A list_editable input sits in a table cell, under its column's header, with no label of its own.
        editable = set(self.list_editable)

        class LabelledRowForm(form_class):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                for name in editable & set(self.fields):
                    field = self.fields[name]
                    field.widget.attrs["aria-label"] = f"{capfirst(field.label)}: {self.instance}"

        return LabelledRowForm


@admin.register(Region)
class RegionAdmin(AccessibleAdmin[Region]):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Municipality)
class MunicipalityAdmin(AccessibleAdmin[Municipality]):
    list_display = ["name", "cbs_code", "region"]
    list_filter = ["region"]
    search_fields = ["name", "cbs_code"]


@admin.register(Organisation)
class OrganisationAdmin(AccessibleAdmin[Organisation]):
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
class MembershipAdmin(AccessibleAdmin[Membership]):
    """Staff start a community here (its first coordinator); every change goes through
    community.memberships, so it is audited and keeps the last-coordinator rule."""

    list_display = ["user", "community", "role", "created_at"]
    list_filter = ["community", "role"]
    search_fields = ["user__email", "user__display_name"]
    # A plain id box with Django's lookup pop-up: the select2 box of autocomplete_fields has no accessible name.
    raw_id_fields = ["user"]

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
class CommunityAdmin(AccessibleAdmin[Community]):
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
    formfield_overrides = LABELLED_DATETIMES
    # Plain multiple selects: the filter_horizontal widget's search icons carry ARIA their element may not have.
    filter_horizontal = ()
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
        deactivating = False
        if change:
            form._profile_before = profile_snapshot(User.objects.get(pk=obj.pk))  # type: ignore[attr-defined]
            # Unticking "active" goes through user_deactivate: signed out everywhere, sockets closed, audited.
            deactivating = "is_active" in form.changed_data and not obj.is_active
            if deactivating:
                obj.is_active = True
        super().save_model(request, obj, form, change)
        if deactivating:
            user_deactivate(actor=request.user, user=obj, reason="in the admin")  # type: ignore[arg-type]

    def save_related(self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool) -> None:
        # Municipalities are written here, after the user row: compare once both are saved.
        super().save_related(request, form, formsets, change)
        before = getattr(form, "_profile_before", None)
        if before is not None:
            profile_changes_record(actor=request.user, user=form.instance, before=before)  # type: ignore[arg-type]


@admin.register(AuditEntry)
class AuditEntryAdmin(AccessibleAdmin[AuditEntry]):
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


# --- Other apps' admins, registered again with the same fixes ---------------------------------------
# Their admin modules are imported above, so their models are registered before these lines replace them.

admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(auth_admin.GroupAdmin):
    filter_horizontal = ()  # a plain multiple select, as on the user admin


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(celery_beat_admin.PeriodicTaskAdmin):  # type: ignore[misc]
    formfield_overrides = LABELLED_DATETIMES
    # Django's change form: django_celery_beat's adds an inline script, which the Content-Security-Policy
    # blocks (it would hide the crontab's readable translation, shown as a field instead).
    change_form_template = None


admin.site.unregister(ClockedSchedule)


@admin.register(ClockedSchedule)
class ClockedScheduleAdmin(celery_beat_admin.ClockedScheduleAdmin):  # type: ignore[misc]
    formfield_overrides = LABELLED_DATETIMES


admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(mfa_admin.AuthenticatorAdmin):  # type: ignore[misc]
    formfield_overrides = LABELLED_DATETIMES
