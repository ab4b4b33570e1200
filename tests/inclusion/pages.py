"""Every URL pattern of the project, and what a browser shows there for whom.

The accessibility scan reads this table; ``test_every_url_pattern_is_in_the_table`` enumerates the URL
configuration, so a pattern added later without a line here fails the build instead of going unscanned.
A ``Screen`` is a page: the roles who are shown it (status 200) and how to get there. ``NotAPage``
says why a pattern has nothing to scan of its own (it answers POST only, or with JSON, a file or a
redirect); the pages those answers lead back to are scanned as pages, and their error states by
``test_forms_in_their_error_state_have_no_violations``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.inclusion.world import MEMBERS, ROLES, SIGNED_IN, World

Paths = Callable[[World, str], list[str]]


def at(name: str, *args: object) -> Paths:
    return lambda world, role: [reverse(name, args=[arg(world) if callable(arg) else arg for arg in args])]


@dataclass(frozen=True)
class Screen:
    roles: tuple[str, ...]
    paths: Paths


@dataclass(frozen=True)
class NotAPage:
    why: str


POST_ONLY = NotAPage("answers POST only; the page it returns to is scanned, and its form in the error state")
JSON = NotAPage("JSON for scripts (issue 12 checks its answers against the OpenAPI schema)")


def _community(world: World) -> str:
    return world.community


def _signal_for(world: World, role: str) -> list[str]:
    # A liaison reads a community's signals from "reported" on.
    pk = world.reported_signal if role == "liaison" else world.signal
    return [reverse("signal_detail", args=[pk])]


def _digests_for(world: World, role: str) -> list[str]:
    paths = [reverse("digest_detail", args=[world.sent_digest])]
    if role == "coordinator":  # drafts are for the coordinators' eyes only
        paths.append(reverse("digest_detail", args=[world.draft_digest]))
    return paths


PAGES: dict[str, Screen | NotAPage] = {
    # community
    "healthz": NotAPage("JSON for the monitoring"),
    "csp_report": NotAPage("answers POST only: browsers' Content Security Policy reports"),
    "invitation": Screen(("anonymous", "applicant"), at("invitation", lambda w: w.invitation_token)),
    "invitation_accept_mine": POST_ONLY,
    "community_apply": POST_ONLY,
    "community_members": Screen(("coordinator",), at("community_members", _community)),
    "community_invite": POST_ONLY,
    "community_invitation_withdraw": POST_ONLY,
    "community_application_decide": POST_ONLY,
    "community_member_role": POST_ONLY,
    "community_member_remove": POST_ONLY,
    "community_settings": Screen(("coordinator",), at("community_settings", _community)),
    "community_audit": Screen(("coordinator",), at("community_audit", _community)),
    "digest_target_new": POST_ONLY,
    "digest_target_delete": POST_ONLY,
    "account_settings": Screen(SIGNED_IN, at("account_settings")),
    "api_token_new": POST_ONLY,
    "api_token_revoke": POST_ONLY,
    "privacy_settings": Screen(SIGNED_IN, at("privacy_settings")),
    "privacy_statement": Screen(ROLES, at("privacy_statement")),
    "privacy_export": NotAPage("a JSON file (the person's data)"),
    "privacy_delete_request": POST_ONLY,
    "privacy_delete_confirm": POST_ONLY,
    # signals
    "home": Screen(ROLES, at("home")),
    "follow_settings": Screen(MEMBERS, at("follow_settings")),
    "signal_list": Screen(MEMBERS, at("signal_list")),
    "signal_new": Screen(("member", "status_holder", "moderator", "coordinator"), at("signal_new")),
    "signal_similar": NotAPage("an htmx fragment of signals/new/, scanned there after typing a title"),
    "signal_detail": Screen(MEMBERS, _signal_for),
    "signal_edit": Screen(("moderator",), at("signal_edit", lambda w: w.signal)),
    "signal_recognise": POST_ONLY,
    "signal_withdraw": POST_ONLY,
    "signal_follow": POST_ONLY,
    "signal_move": POST_ONLY,
    "signal_visibility": POST_ONLY,
    "signal_merge": POST_ONLY,
    "signal_reveal": POST_ONLY,
    "signal_flag": POST_ONLY,
    "message_post": POST_ONLY,
    "message_action": POST_ONLY,
    "message_edit": Screen(("member",), at("message_edit", lambda w: w.signal, lambda w: w.own_message)),
    "signal_check_back": POST_ONLY,
    "check_back_answer": Screen(("anonymous",), at("check_back_answer", lambda w: w.check_back_token)),
    "lessons": Screen(MEMBERS, at("lessons")),
    "dashboard": Screen(("coordinator", "liaison"), at("dashboard")),
    "dashboard_csv": NotAPage("a CSV file"),
    "digest_list": Screen(MEMBERS, at("digest_list")),
    "digest_detail": Screen(MEMBERS, _digests_for),
    "digest_pdf": NotAPage("a PDF file (its text is checked in the digest tests)"),
    "digest_csv": NotAPage("a CSV file"),
    "digest_approve": POST_ONLY,
    "digest_hold_back": POST_ONLY,
    "digest_include": POST_ONLY,
    "digest_preview": Screen(("coordinator",), at("digest_preview", _community)),
    "digest_compile_now": POST_ONLY,
    "moderation": Screen(("moderator", "coordinator"), at("moderation")),
    "moderation_action": POST_ONLY,
    # notifications
    "notifications:list": Screen(SIGNED_IN, at("notifications:list")),
    "notifications:read": POST_ONLY,
    "notifications:read_all": POST_ONLY,
    "notifications:unsubscribe": Screen(("anonymous",), at("notifications:unsubscribe", lambda w: w.unsubscribe_token)),
    "notifications:mail_state": POST_ONLY,
    "notifications:settings": Screen(SIGNED_IN, at("notifications:settings")),
    # api
    "api_signals": JSON,
    "api_signal": JSON,
    "api_recognitions": JSON,
    "api_transitions": JSON,
    "api_follow": JSON,
    "api_messages": JSON,
    "api_open_data_json": JSON,
    "api_open_data_csv": NotAPage("a CSV file"),
    "api_digests": JSON,
    "api_digest": JSON,
    "api_notifications": JSON,
    "api_notifications_read_all": JSON,
    "api_notification_read": JSON,
    "api_themes": JSON,
    "api_municipalities": JSON,
    "api_communities": JSON,
    "api_schema": NotAPage("the OpenAPI document (YAML)"),
    "api_docs": Screen(("member",), at("api_docs")),
    "api/v1/^.*$": NotAPage("the API's JSON 404 for any other path"),
    # allauth (accounts)
    "account_login": Screen(("anonymous",), at("account_login")),
    "account_logout": Screen(("member",), at("account_logout")),
    "account_inactive": Screen(("anonymous",), at("account_inactive")),
    "account_signup": Screen(("anonymous",), at("account_signup")),
    "account_reauthenticate": Screen(("member",), at("account_reauthenticate")),
    "account_request_reauthentication_code": Screen(("member",), at("account_request_reauthentication_code")),
    "account_confirm_reauthentication_code": NotAPage(
        "a step of the re-authentication flow; reached and scanned by test_flow_steps_have_no_violations"
    ),
    "account_email": Screen(SIGNED_IN, at("account_email")),
    "account_email_verification_sent": NotAPage(
        "a step of sign-up; reached and scanned by test_flow_steps_have_no_violations"
    ),
    "account_change_password": Screen(("member",), at("account_change_password")),
    "account_set_password": Screen(("member",), at("account_set_password")),
    "account_reset_password": Screen(("anonymous",), at("account_reset_password")),
    "account_confirm_login_code": NotAPage(
        "a step of signing in by code; reached and scanned by test_flow_steps_have_no_violations"
    ),
    "account_reset_password_from_key_done": Screen(("anonymous",), at("account_reset_password_from_key_done")),
    "account_reset_password_from_key": Screen(
        ("anonymous",), lambda world, role: [reverse("account_reset_password_from_key", args=["0", "expired-key"])]
    ),
    "account_reset_password_done": Screen(("anonymous",), at("account_reset_password_done")),
    "account_request_login_code": Screen(("anonymous",), at("account_request_login_code")),
    "mfa_index": Screen(("member", "coordinator"), at("mfa_index")),
    "mfa_authenticate": NotAPage(
        "a step of signing in with TOTP; reached and scanned by test_flow_steps_have_no_violations"
    ),
    "mfa_reauthenticate": Screen(("coordinator",), at("mfa_reauthenticate")),
    "mfa_activate_totp": Screen(("member",), at("mfa_activate_totp")),
    "mfa_deactivate_totp": Screen(("coordinator",), at("mfa_deactivate_totp")),
    "mfa_view_recovery_codes": Screen(("coordinator",), at("mfa_view_recovery_codes")),
    "mfa_generate_recovery_codes": Screen(("coordinator",), at("mfa_generate_recovery_codes")),
    "mfa_download_recovery_codes": NotAPage("a text file"),
    "set_language": NotAPage("Django's language switch: POST, then back to the page"),
}

# The admin's patterns come from its registered models; each kind of admin page is scanned through
# admin_paths below, for every model, so a model registered later is scanned too.
ADMIN_KINDS: dict[str, Screen | NotAPage] = {
    "index": Screen(("staff",), at("admin:index")),
    "app_list": Screen(("staff",), lambda world, role: admin_paths("app_list")),
    "changelist": Screen(("staff",), lambda world, role: admin_paths("changelist")),
    "add": Screen(("staff",), lambda world, role: admin_paths("add")),
    "change": Screen(("staff",), lambda world, role: admin_paths("change")),
    "history": Screen(("staff",), lambda world, role: admin_paths("history")[:2]),
    "delete": Screen(("staff",), lambda world, role: admin_paths("delete")[:2]),
    "auth_user_password_change": Screen(
        ("staff",), lambda world, role: [reverse("admin:auth_user_password_change", args=[world.users["member"]])]
    ),
    "login": NotAPage("staff sign in through allauth's pages (scanned above); it redirects there"),
    "logout": NotAPage("POST only"),
    "password_change": NotAPage("redirects to allauth's password page (scanned above)"),
    "password_change_done": NotAPage("redirects to allauth's password page (scanned above)"),
    "autocomplete": NotAPage("JSON for the admin's select boxes"),
    "jsi18n": NotAPage("JavaScript"),
    "view_on_site": NotAPage("a redirect to the object on the site"),
    "?": NotAPage("an old admin URL that redirects to the change form, or the admin's catch-all 404"),
}


def admin_kind(name: str) -> str:
    """``admin:signals_signal_changelist`` → ``changelist``; ``admin:index`` → ``index``."""
    short = name.removeprefix("admin:")
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if short.startswith(prefix):
            return short.removeprefix(prefix)
    return short


def admin_paths(kind: str) -> list[str]:
    """Every registered model's page of ``kind`` (for change, history and delete: its first object)."""
    paths: list[str] = []
    apps_seen: set[str] = set()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        if kind == "app_list":
            if meta.app_label not in apps_seen:
                apps_seen.add(meta.app_label)
                paths.append(reverse("admin:app_list", args=[meta.app_label]))
            continue
        if kind == "add" and not model_admin.has_add_permission(_staff_request()):
            continue
        if kind in ("changelist", "add"):
            paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_{kind}"))
            continue
        first = model._default_manager.order_by("pk").first()
        if first is None or (kind == "delete" and not model_admin.has_delete_permission(_staff_request(), first)):
            continue
        paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_{kind}", args=[first.pk]))
    return paths


def _staff_request() -> object:
    from django.test import RequestFactory

    from community.models import User

    request = RequestFactory().get("/admin/")
    request.user = User.objects.filter(is_superuser=True).first() or User.objects.filter(is_staff=True).first()
    return request


def url_names() -> Iterator[str]:
    """Every URL pattern of the project as ``namespace:name`` (its route where it has no name)."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str | None) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            else:
                name = pattern.name or prefix + str(pattern.pattern)
                if namespace == "admin" and not pattern.name:
                    name = "?"
                yield f"{namespace}:{name}" if namespace else name

    yield from walk(get_resolver().url_patterns, "", None)


def entry_for(name: str) -> Screen | NotAPage | None:
    if name.startswith("admin:"):
        return ADMIN_KINDS.get(admin_kind(name))
    return PAGES.get(name)


def screens_for(role: str, world: World) -> list[tuple[str, str]]:
    """(pattern name, path) of every page ``role`` is shown, each path once."""
    found: dict[str, str] = {}
    names = {name if not name.startswith("admin:") else f"admin:{admin_kind(name)}" for name in url_names()}
    for name in sorted(names):
        entry = entry_for(name)
        if isinstance(entry, Screen) and role in entry.roles:
            for path in entry.paths(world, role):
                found.setdefault(path, name)
    return [(name, path) for path, name in found.items()]
