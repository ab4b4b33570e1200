"""A concrete path for every URL pattern of the matrix, in the world of tests/security/world.py.

A pattern about a signal, digest, message or notification names the community's own object (the one
its readers may see); the sweeps in test_authorisation_matrix.py ask every other id.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from tests.security.world import World

Path = Callable[[World], str]


def at(name: str, *args: Callable[[World], object] | object) -> Path:
    return lambda world: reverse(name, args=[arg(world) if callable(arg) else arg for arg in args])


def _slug(world: World) -> str:
    return world.community


def _signal(world: World) -> int:
    return world.signal


PATHS: dict[str, Path] = {
    "healthz": at("healthz"),
    "csp_report": at("csp_report"),
    "invitation": at("invitation", lambda w: w.invitation_token),
    "invitation_accept_mine": at("invitation_accept_mine", lambda w: w.invitation),
    "community_apply": at("community_apply", _slug),
    "community_members": at("community_members", _slug),
    "community_invite": at("community_invite", _slug),
    "community_invitation_withdraw": at("community_invitation_withdraw", _slug, lambda w: w.invitation),
    "community_application_decide": at("community_application_decide", _slug, lambda w: w.application),
    "community_member_role": at("community_member_role", _slug, lambda w: w.users["member"]),
    "community_member_remove": at("community_member_remove", _slug, lambda w: w.users["member"]),
    "community_audit": at("community_audit", _slug),
    "community_settings": at("community_settings", _slug),
    "digest_target_new": at("digest_target_new", _slug),
    "digest_target_delete": at("digest_target_delete", _slug, lambda w: w.target),
    "account_settings": at("account_settings"),
    "api_token_new": at("api_token_new"),
    "api_token_revoke": at("api_token_revoke", 1),
    "privacy_settings": at("privacy_settings"),
    "privacy_export": at("privacy_export"),
    "privacy_delete_request": at("privacy_delete_request"),
    "privacy_delete_confirm": at("privacy_delete_confirm"),
    "privacy_statement": at("privacy_statement"),
    "home": at("home"),
    "follow_settings": at("follow_settings"),
    "signal_list": at("signal_list"),
    "signal_new": at("signal_new"),
    "signal_similar": at("signal_similar"),
    "signal_detail": at("signal_detail", _signal),
    "signal_edit": at("signal_edit", _signal),
    "signal_recognise": at("signal_recognise", _signal),
    "signal_withdraw": at("signal_withdraw", _signal),
    "signal_follow": at("signal_follow", _signal),
    "signal_move": at("signal_move", _signal),
    "signal_visibility": at("signal_visibility", _signal),
    "signal_merge": at("signal_merge", _signal),
    "signal_reveal": at("signal_reveal", _signal),
    "signal_flag": at("signal_flag", _signal),
    "message_post": at("message_post", _signal),
    "message_action": at("message_action", _signal, lambda w: w.message),
    "message_edit": at("message_edit", _signal, lambda w: w.message),
    "signal_check_back": at("signal_check_back", _signal),
    "check_back_answer": at("check_back_answer", lambda w: w.check_back_token),
    "lessons": at("lessons"),
    "dashboard": at("dashboard"),
    "dashboard_csv": at("dashboard_csv"),
    "digest_list": at("digest_list"),
    "digest_detail": at("digest_detail", lambda w: w.sent_digest),
    "digest_pdf": at("digest_pdf", lambda w: w.sent_digest),
    "digest_csv": at("digest_csv", lambda w: w.sent_digest),
    "digest_approve": at("digest_approve", lambda w: w.draft_digest),
    "digest_hold_back": at("digest_hold_back", lambda w: w.draft_digest, lambda w: w.draft_item),
    "digest_include": at("digest_include", lambda w: w.draft_digest, lambda w: w.draft_item),
    "digest_preview": at("digest_preview", _slug),
    "digest_compile_now": at("digest_compile_now", _slug),
    "moderation": at("moderation"),
    "moderation_action": at("moderation_action", "signal", _signal),
    "notifications:list": at("notifications:list"),
    "notifications:read": at("notifications:read", lambda w: w.notification),
    "notifications:read_all": at("notifications:read_all"),
    "notifications:unsubscribe": at("notifications:unsubscribe", lambda w: w.unsubscribe_token),
    "notifications:mail_state": at("notifications:mail_state"),
    "notifications:settings": at("notifications:settings"),
    "api_signals": at("api_signals"),
    "api_signal": at("api_signal", _signal),
    "api_recognitions": at("api_recognitions", _signal),
    "api_transitions": at("api_transitions", _signal),
    "api_follow": at("api_follow", _signal),
    "api_messages": at("api_messages", _signal),
    "api_open_data_json": at("api_open_data_json"),
    "api_open_data_csv": at("api_open_data_csv"),
    "api_digests": at("api_digests"),
    "api_digest": at("api_digest", lambda w: w.sent_digest),
    "api_notifications": at("api_notifications"),
    "api_notifications_read_all": at("api_notifications_read_all"),
    "api_notification_read": at("api_notification_read", lambda w: w.notification),
    "api_themes": at("api_themes"),
    "api_municipalities": at("api_municipalities"),
    "api_communities": at("api_communities"),
    "api_schema": at("api_schema"),
    "api_docs": at("api_docs"),
    "api/v1/^.*$": lambda world: "/api/v1/no-such-endpoint/",
    "account_login": at("account_login"),
    "account_logout": at("account_logout"),
    "account_inactive": at("account_inactive"),
    "account_signup": at("account_signup"),
    "account_reauthenticate": at("account_reauthenticate"),
    "account_request_reauthentication_code": at("account_request_reauthentication_code"),
    "account_confirm_reauthentication_code": at("account_confirm_reauthentication_code"),
    "account_email": at("account_email"),
    "account_email_verification_sent": at("account_email_verification_sent"),
    "account_change_password": at("account_change_password"),
    "account_set_password": at("account_set_password"),
    "account_reset_password": at("account_reset_password"),
    "account_confirm_login_code": at("account_confirm_login_code"),
    "account_reset_password_from_key_done": at("account_reset_password_from_key_done"),
    "account_reset_password_from_key": at("account_reset_password_from_key", "0", "expired-key"),
    "account_reset_password_done": at("account_reset_password_done"),
    "account_request_login_code": at("account_request_login_code"),
    "mfa_index": at("mfa_index"),
    "mfa_authenticate": at("mfa_authenticate"),
    "mfa_reauthenticate": at("mfa_reauthenticate"),
    "mfa_activate_totp": at("mfa_activate_totp"),
    "mfa_deactivate_totp": at("mfa_deactivate_totp"),
    "mfa_view_recovery_codes": at("mfa_view_recovery_codes"),
    "mfa_generate_recovery_codes": at("mfa_generate_recovery_codes"),
    "mfa_download_recovery_codes": at("mfa_download_recovery_codes"),
    "set_language": at("set_language"),
}

# Methods beyond GET and POST that a route accepts (every route is asked GET and POST; a 405's Allow
# header naming a method missing here fails the matrix).
EXTRA_METHODS: dict[str, tuple[str, ...]] = {
    "api_signal": ("PATCH",),
    "api_recognitions": ("DELETE",),
    "api_follow": ("DELETE",),
}

# What an API write sends, so that an authorised write succeeds and the table can tell it from a refusal
# (the other writes need no body; an empty JSON object stands in).
SIGNAL_BODY = {"title": "Geen kinderopvang", "description": "Ouders vinden geen opvang tijdens de taalles."}
BODIES: dict[tuple[str, str], Callable[[World], dict[str, object]]] = {
    ("api_signals", "POST"): lambda w: {
        **SIGNAL_BODY,
        "community": w.community,
        "theme": "housing",
        "municipality": "GM0855",
    },
    ("api_signal", "PATCH"): lambda w: {"title": "Wachtlijst sociale huurwoningen (grote gezinnen)"},
    ("api_transitions", "POST"): lambda w: {"to": "resolved_locally", "lesson": "Een vast loket bij de corporatie."},
    ("api_messages", "POST"): lambda w: {"body": "Ook bij ons in Dongen."},
}
