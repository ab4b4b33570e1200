"""The authorisation matrix: for every URL pattern and method, what each role is answered.

A cell is the set of answers allowed (almost always one). Answers are status codes, ``LOGIN`` (a redirect
to the sign-in page), ``"back"`` (a redirect to the same path, with a message: the action was refused or
failed as a form does) or ``"→name"`` (a redirect to that URL name: the action was done).

Reading guide (PRODUCT.md, "Who uses it"; docs/architecture.md, "Permissions"): the signed-out and the
deactivated are sent to sign in (pages) or answered 401 (API); someone without a membership in the
community is answered 404 (unknown and not-yours are the same); a member of it who may not do the
action, 403; a coordinator without TOTP acts as a member; a liaison reads only reported signals and
sent digests. Every path names the community's own open signal, sent digest, etc. (tests/security/paths.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tests.security.harness import LOGIN, Outcome
from tests.security.world import ROLES

Answers = dict[str, frozenset[Outcome]]

SIGNED_OUT = ("anonymous", "deactivated")
SIGNED_IN = tuple(role for role in ROLES if role not in SIGNED_OUT)
NO_MEMBERSHIP = ("unverified", "applicant", "outsider")  # none in the community the paths name
PARTICIPANTS = ("member", "status_holder", "moderator", "coordinator_no_mfa", "coordinator")
MODERATORS = ("moderator", "coordinator")


def answers(default: Outcome | Iterable[Outcome], overrides: Mapping[str | tuple[str, ...], object] = {}) -> Answers:
    """Every role answered ``default`` except those named (a role, or a tuple of roles) in ``overrides``."""

    def allowed(value: object) -> frozenset[Outcome]:
        if isinstance(value, int | str):
            return frozenset({value})
        return frozenset(value)  # type: ignore[arg-type]

    cells = dict.fromkeys(ROLES, allowed(default))
    for roles, value in overrides.items():
        for role in (roles,) if isinstance(roles, str) else roles:
            assert role in cells, f"unknown role {role!r}"
            cells[role] = allowed(value)
    return cells


TABLE: dict[str, dict[str, Answers]] = {
    "healthz": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "csp_report": {  # browsers' reports: anyone's, no CSRF token; an empty form is not a report
        "GET": answers(405),
        "POST": answers(400),
    },
    "invitation": {
        "GET": answers(200),
        "POST": answers("back", {SIGNED_OUT: LOGIN, "applicant": "→home"}),
    },
    "invitation_accept_mine": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN, "applicant": "→home"}),
    },
    "community_apply": {
        "GET": answers(405),
        "POST": answers("→home", {SIGNED_OUT: LOGIN}),
    },
    "community_members": {
        "GET": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": 200}),
        "POST": answers(405),
    },
    "community_invite": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": "→community_members"}),
    },
    "community_invitation_withdraw": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": "→community_members"}),
    },
    "community_application_decide": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": "→community_members"}),
    },
    "community_member_role": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": "→community_members"}),
    },
    "community_member_remove": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": "→community_members"}),
    },
    "community_audit": {
        "GET": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": 200}),
        "POST": answers(405),
    },
    "community_settings": {
        "GET": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": 200}),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": 200}),
    },
    "digest_target_new": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": 400}),
    },
    "digest_target_delete": {
        "GET": answers(405),
        "POST": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": "→community_settings"}),
    },
    "account_settings": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "api_token_new": {
        "GET": answers(405),
        "POST": answers(LOGIN),
    },
    "api_token_revoke": {
        "GET": answers(405),
        "POST": answers(LOGIN),
    },
    "privacy_settings": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(405),
    },
    "privacy_export": {
        "GET": answers(405),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "privacy_delete_request": {
        "GET": answers(405),
        "POST": answers("→privacy_settings", {SIGNED_OUT: LOGIN}),
    },
    "privacy_delete_confirm": {
        "GET": answers(405),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "privacy_statement": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "home": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "follow_settings": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers("back", {SIGNED_OUT: LOGIN}),
    },
    "signal_list": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(405),
    },
    "signal_new": {
        "GET": answers(200, {SIGNED_OUT: LOGIN, ("unverified", "applicant", "liaison"): 403}),
        "POST": answers(200, {SIGNED_OUT: LOGIN, ("unverified", "applicant", "liaison"): 403}),
    },
    "signal_similar": {
        "GET": answers(405),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "signal_detail": {
        "GET": answers(200, {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
        "POST": answers(405),
    },
    "signal_edit": {
        "GET": answers(
            404, {SIGNED_OUT: LOGIN, (*MODERATORS, "member"): 200, ("status_holder", "coordinator_no_mfa"): 403}
        ),
        "POST": answers(
            404, {SIGNED_OUT: LOGIN, (*MODERATORS, "member"): 200, ("status_holder", "coordinator_no_mfa"): 403}
        ),
    },
    "signal_recognise": {
        "GET": answers(405),
        "POST": answers("→signal_detail", {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "signal_withdraw": {
        "GET": answers(405),
        "POST": answers("→signal_detail", {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "signal_follow": {
        "GET": answers(405),
        "POST": answers("→signal_detail", {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "signal_move": {
        "GET": answers(405),
        "POST": answers("→signal_detail", {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "signal_visibility": {
        "GET": answers(405),
        "POST": answers(
            404,
            {SIGNED_OUT: LOGIN, ("member", "status_holder", "coordinator_no_mfa"): 403, MODERATORS: "→signal_detail"},
        ),
    },
    "signal_merge": {
        "GET": answers(405),
        "POST": answers(
            404,
            {SIGNED_OUT: LOGIN, ("member", "status_holder", "coordinator_no_mfa"): 403, MODERATORS: "→signal_detail"},
        ),
    },
    "signal_reveal": {
        "GET": answers(405),
        "POST": answers(
            404,
            {
                SIGNED_OUT: LOGIN,
                ("member", "status_holder", "moderator", "coordinator_no_mfa"): 403,
                "coordinator": "→signal_detail",
            },
        ),
    },
    "signal_flag": {
        "GET": answers(405),
        "POST": answers("→signal_detail", {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "message_post": {
        "GET": answers(405),
        "POST": answers(200, {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "message_action": {
        "GET": answers(405),
        "POST": answers("→signal_detail", {SIGNED_OUT: LOGIN, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "message_edit": {
        "GET": answers(
            404, {SIGNED_OUT: LOGIN, "member": 200, (*MODERATORS, "status_holder", "coordinator_no_mfa"): 403}
        ),
        "POST": answers(
            404, {SIGNED_OUT: LOGIN, "member": 400, (*MODERATORS, "status_holder", "coordinator_no_mfa"): 403}
        ),
    },
    "signal_check_back": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN}),
    },
    "check_back_answer": {
        "GET": answers(200),
        "POST": answers(200),
    },
    "lessons": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(405),
    },
    "dashboard": {
        "GET": answers(404, {SIGNED_OUT: LOGIN, ("coordinator", "liaison"): 200}),
        "POST": answers(405),
    },
    "dashboard_csv": {
        "GET": answers(404, {SIGNED_OUT: LOGIN, ("coordinator", "liaison"): 200}),
        "POST": answers(405),
    },
    "digest_list": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(405),
    },
    "digest_detail": {
        "GET": answers(200, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404}),
        "POST": answers(405),
    },
    "digest_pdf": {
        "GET": answers(200, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404}),
        "POST": answers(405),
    },
    "digest_csv": {
        "GET": answers(200, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404}),
        "POST": answers(405),
    },
    "digest_approve": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN, "coordinator": "→digest_detail"}),
    },
    "digest_hold_back": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN, "coordinator": "→digest_detail"}),
    },
    "digest_include": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN, "coordinator": "→digest_detail"}),
    },
    "digest_preview": {
        "GET": answers(403, {SIGNED_OUT: LOGIN, NO_MEMBERSHIP: 404, "coordinator": 200}),
        "POST": answers(405),
    },
    "digest_compile_now": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN}),
    },
    "moderation": {
        "GET": answers(403, {SIGNED_OUT: LOGIN, MODERATORS: 200}),
        "POST": answers(405),
    },
    "moderation_action": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN, MODERATORS: "→moderation"}),
    },
    "notifications:list": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(405),
    },
    "notifications:read": {
        "GET": answers(405),
        "POST": answers(404, {SIGNED_OUT: LOGIN, "member": "→notifications:list"}),
    },
    "notifications:read_all": {
        "GET": answers(405),
        "POST": answers("→notifications:list", {SIGNED_OUT: LOGIN}),
    },
    "notifications:unsubscribe": {
        "GET": answers(200),
        "POST": answers(200),
    },
    "notifications:mail_state": {
        "GET": answers(405),
        "POST": answers("→notifications:list", {SIGNED_OUT: LOGIN}),
    },
    "notifications:settings": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "api_signals": {
        "GET": answers(200, {SIGNED_OUT: 401}),
        "POST": answers(201, {SIGNED_OUT: 401, NO_MEMBERSHIP: 404, "liaison": 403}),
    },
    "api_signal": {
        "GET": answers(200, {SIGNED_OUT: 401, (*NO_MEMBERSHIP, "liaison"): 404}),
        "POST": answers(405, {SIGNED_OUT: 401}),
        "PATCH": answers(
            404, {SIGNED_OUT: 401, (*MODERATORS, "member"): 200, ("status_holder", "coordinator_no_mfa"): 403}
        ),
    },
    "api_recognitions": {
        "GET": answers(405, {SIGNED_OUT: 401}),
        "POST": answers(
            404, {SIGNED_OUT: 401, "member": 409, (*MODERATORS, "status_holder", "coordinator_no_mfa"): 201}
        ),
        "DELETE": answers(400, {SIGNED_OUT: 401, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "api_transitions": {
        "GET": answers(405, {SIGNED_OUT: 401}),
        "POST": answers(
            404, {SIGNED_OUT: 401, ("member", "status_holder", "coordinator_no_mfa"): 403, MODERATORS: 200}
        ),
    },
    "api_follow": {
        "GET": answers(405, {SIGNED_OUT: 401}),
        "POST": answers(204, {SIGNED_OUT: 401, (*NO_MEMBERSHIP, "liaison"): 404}),
        "DELETE": answers(204, {SIGNED_OUT: 401}),
    },
    "api_messages": {
        "GET": answers(200, {SIGNED_OUT: 401, (*NO_MEMBERSHIP, "liaison"): 404}),
        "POST": answers(201, {SIGNED_OUT: 401, (*NO_MEMBERSHIP, "liaison"): 404}),
    },
    "api_open_data_json": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "api_open_data_csv": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "api_digests": {
        "GET": answers(200, {SIGNED_OUT: 401}),
        "POST": answers(405, {SIGNED_OUT: 401}),
    },
    "api_digest": {
        "GET": answers(200, {SIGNED_OUT: 401, NO_MEMBERSHIP: 404}),
        "POST": answers(405, {SIGNED_OUT: 401}),
    },
    "api_notifications": {
        "GET": answers(200, {SIGNED_OUT: 401}),
        "POST": answers(405, {SIGNED_OUT: 401}),
    },
    "api_notifications_read_all": {
        "GET": answers(405, {SIGNED_OUT: 401}),
        "POST": answers(200, {SIGNED_OUT: 401}),
    },
    "api_notification_read": {
        "GET": answers(405, {SIGNED_OUT: 401}),
        "POST": answers(404, {SIGNED_OUT: 401, "member": 200}),
    },
    "api_themes": {
        "GET": answers(200, {SIGNED_OUT: 401}),
        "POST": answers(405, {SIGNED_OUT: 401}),
    },
    "api_municipalities": {
        "GET": answers(200, {SIGNED_OUT: 401}),
        "POST": answers(405, {SIGNED_OUT: 401}),
    },
    "api_communities": {
        "GET": answers(200, {SIGNED_OUT: 401}),
        "POST": answers(405, {SIGNED_OUT: 401}),
    },
    "api_schema": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "api_docs": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "api/v1/^.*$": {
        "GET": answers(404),
        "POST": answers(404),
    },
    "account_login": {
        "GET": answers("→home", {SIGNED_OUT: 200}),
        "POST": answers("→home", {SIGNED_OUT: 200}),
    },
    "account_logout": {
        "GET": answers(200, {SIGNED_OUT: "→home"}),
        "POST": answers("→home"),
    },
    "account_inactive": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "account_signup": {
        "GET": answers("→home", {SIGNED_OUT: 200}),
        "POST": answers("→home", {SIGNED_OUT: 200}),
    },
    "account_reauthenticate": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "account_request_reauthentication_code": {
        "GET": answers(200, {SIGNED_OUT: LOGIN, "unverified": "→account_reauthenticate"}),
        "POST": answers(200, {SIGNED_OUT: LOGIN, "unverified": "→account_reauthenticate"}),
    },
    "account_confirm_reauthentication_code": {
        "GET": answers("→account_request_reauthentication_code", {SIGNED_OUT: LOGIN}),
        "POST": answers("→account_request_reauthentication_code", {SIGNED_OUT: LOGIN}),
    },
    "account_email": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers("back", {SIGNED_OUT: LOGIN}),
    },
    "account_email_verification_sent": {
        "GET": answers("→account_email", {SIGNED_OUT: LOGIN}),
        "POST": answers("→account_email", {SIGNED_OUT: LOGIN}),
    },
    "account_change_password": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(200, {SIGNED_OUT: LOGIN}),
    },
    "account_set_password": {
        "GET": answers("→account_change_password", {SIGNED_OUT: LOGIN}),
        "POST": answers("→account_change_password", {SIGNED_OUT: LOGIN}),
    },
    "account_reset_password": {
        "GET": answers(200),
        "POST": answers(200),
    },
    "account_confirm_login_code": {
        "GET": answers("→home", {SIGNED_OUT: "→account_request_login_code"}),
        "POST": answers("→home", {SIGNED_OUT: "→account_request_login_code"}),
    },
    "account_reset_password_from_key_done": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "account_reset_password_from_key": {
        "GET": answers(200),
        "POST": answers(200),
    },
    "account_reset_password_done": {
        "GET": answers(200),
        "POST": answers(405),
    },
    "account_request_login_code": {
        "GET": answers("→home", {SIGNED_OUT: 200}),
        "POST": answers("→home", {SIGNED_OUT: 200}),
    },
    "mfa_index": {
        "GET": answers(200, {SIGNED_OUT: LOGIN}),
        "POST": answers(405, {SIGNED_OUT: LOGIN}),
    },
    "mfa_authenticate": {
        "GET": answers("→home", {SIGNED_OUT: LOGIN}),
        "POST": answers("→home", {SIGNED_OUT: LOGIN}),
    },
    "mfa_reauthenticate": {
        "GET": answers("→account_reauthenticate", {SIGNED_OUT: LOGIN, ("coordinator", "liaison"): 200}),
        "POST": answers("→account_reauthenticate", {SIGNED_OUT: LOGIN, ("coordinator", "liaison"): 200}),
    },
    "mfa_activate_totp": {
        "GET": answers("→account_reauthenticate", {SIGNED_OUT: LOGIN, "unverified": "→mfa_index"}),
        "POST": answers("→account_reauthenticate", {SIGNED_OUT: LOGIN, "unverified": "→mfa_index"}),
    },
    "mfa_deactivate_totp": {
        "GET": answers(404, {SIGNED_OUT: LOGIN, ("coordinator", "liaison"): "→account_reauthenticate"}),
        "POST": answers(404, {SIGNED_OUT: LOGIN, ("coordinator", "liaison"): "→account_reauthenticate"}),
    },
    "mfa_view_recovery_codes": {
        "GET": answers(404, {SIGNED_OUT: LOGIN}),
        "POST": answers(405, {SIGNED_OUT: LOGIN}),
    },
    "mfa_generate_recovery_codes": {
        "GET": answers("→account_reauthenticate", {SIGNED_OUT: LOGIN}),
        "POST": answers("→account_reauthenticate", {SIGNED_OUT: LOGIN}),
    },
    "mfa_download_recovery_codes": {
        "GET": answers(404, {SIGNED_OUT: LOGIN}),
        "POST": answers(404, {SIGNED_OUT: LOGIN}),
    },
    "set_language": {
        "GET": answers("→home"),
        "POST": answers("→home"),
    },
}


# --- WebSockets (CONTRACT.md, "WebSocket protocol") -------------------------------------------------------
# Connecting: "accept", or the close code (4401 not signed in, 4404 not yours to see).
# Targets of ws/signals/<id>/: the community's open signal, its reported one, a hidden one, one elsewhere.
ACCEPT = "accept"
WS_CONNECT: dict[str, dict[str, Answers]] = {
    "ws/signals/<int:pk>/": {
        "own": answers(4404, {PARTICIPANTS: ACCEPT, SIGNED_OUT: 4401}),
        "reported": answers(4404, {(*PARTICIPANTS, "liaison"): ACCEPT, SIGNED_OUT: 4401}),
        "hidden": answers(4404, {MODERATORS: ACCEPT, SIGNED_OUT: 4401}),
        "other": answers(4404, {"outsider": ACCEPT, SIGNED_OUT: 4401}),
    },
    "ws/notifications/": {
        "mine": answers(4401, {SIGNED_IN: ACCEPT}),
    },
}

# Each client message type, sent on the role's first accepted socket of the route (for ws/signals/: the
# open signal; the reported one for a liaison; its own community's for the outsider), and what comes back
# within a moment, presence counts aside: the event types in order (a run of one type once), "error:<code>"
# for an error event, "close:<code>" when the socket closes. Roles whose socket is refused have no cell.
WS_MESSAGES: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "ws/signals/<int:pk>/": {
        # The open signal's discussion: three messages, one hidden (a placeholder for all but moderators).
        "sync": {**dict.fromkeys((*PARTICIPANTS, "outsider"), ("message.new",)), "liaison": ()},
        "typing": dict.fromkeys((*PARTICIPANTS, "liaison", "outsider"), ()),  # only the others hear it
        "unknown": dict.fromkeys((*PARTICIPANTS, "liaison", "outsider"), ("error:bad_type",)),
        "message.send": {
            **dict.fromkeys((*PARTICIPANTS, "outsider"), ("message.new",)),
            "liaison": ("close:4404",),  # may read, not discuss
        },
    },
    "ws/notifications/": {
        "ping": dict.fromkeys(SIGNED_IN, ("notification.unread",)),
        "message.send": dict.fromkeys(SIGNED_IN, ("error:bad_type",)),
        "typing": dict.fromkeys(SIGNED_IN, ("error:bad_type",)),
        "sync": dict.fromkeys(SIGNED_IN, ("error:bad_type",)),
        "unknown": dict.fromkeys(SIGNED_IN, ("error:bad_type",)),
    },
}

# The admin: every pattern, asked by the signed-out and by a coordinator with TOTP (the most a non-staff
# person can be), sends them to sign in or refuses; a few concrete pages are asked by every role too.
ADMIN_REFUSED = frozenset({LOGIN, 403, 404})
ADMIN_EXCEPTIONS: dict[str, frozenset[Outcome]] = {
    "admin:logout": frozenset({"→admin:index", 405}),  # signs nobody out on GET
}
