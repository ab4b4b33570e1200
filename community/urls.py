from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from community.views import account, csp, health, joining, members, privacy

# Staff sign in through allauth too: its rate limits and, where enrolled, the second factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("csp-report/", csp.csp_report, name="csp_report"),
    path("invitations/<str:token>/", joining.invitation, name="invitation"),
    path("invitations/mine/<int:pk>/accept/", joining.invitation_accept_mine, name="invitation_accept_mine"),
    path("communities/<slug:slug>/apply/", joining.community_apply, name="community_apply"),
    path("communities/<slug:slug>/members/", members.members, name="community_members"),
    path("communities/<slug:slug>/members/invite/", members.member_invite, name="community_invite"),
    path(
        "communities/<slug:slug>/invitations/<int:pk>/withdraw/",
        members.invitation_withdraw,
        name="community_invitation_withdraw",
    ),
    path(
        "communities/<slug:slug>/applications/<int:pk>/decide/",
        members.application_decision,
        name="community_application_decide",
    ),
    path("communities/<slug:slug>/members/<int:pk>/role/", members.member_role, name="community_member_role"),
    path("communities/<slug:slug>/members/<int:pk>/remove/", members.member_remove, name="community_member_remove"),
    path("communities/<slug:slug>/settings/", members.community_settings, name="community_settings"),
    path("communities/<slug:slug>/audit/", members.audit_log, name="community_audit"),
    path("communities/<slug:slug>/settings/targets/", members.digest_target_new, name="digest_target_new"),
    path(
        "communities/<slug:slug>/settings/targets/<int:pk>/delete/",
        members.digest_target_delete,
        name="digest_target_delete",
    ),
    path("settings/", account.account_settings, name="account_settings"),
    path("settings/tokens/", account.api_token_new, name="api_token_new"),
    path("settings/tokens/<int:pk>/revoke/", account.api_token_delete, name="api_token_revoke"),
    path("settings/privacy/", privacy.privacy_settings, name="privacy_settings"),
    path("settings/privacy/export/", privacy.privacy_export, name="privacy_export"),
    path("settings/privacy/delete/", privacy.privacy_delete_request, name="privacy_delete_request"),
    path("settings/privacy/delete/confirm/", privacy.privacy_delete_confirm, name="privacy_delete_confirm"),
    path("privacy/", privacy.privacy_statement, name="privacy_statement"),
    path("", include("signals.urls")),
    path("", include("notifications.urls")),
    path("api/v1/", include("api.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "api.exceptions.server_error"
