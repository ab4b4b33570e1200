from community.models.audit import AppendOnlyError, AuditEntry, AuditEntryQuerySet
from community.models.core import (
    Community,
    Language,
    Membership,
    Municipality,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    User,
    UserKind,
    UserManager,
)
from community.models.joining import INVITATION_VALIDITY, Application, ApplicationStatus, Invitation
from community.models.tokens import ApiToken

__all__ = [
    "INVITATION_VALIDITY",
    "ApiToken",
    "Application",
    "ApplicationStatus",
    "Invitation",
    "AppendOnlyError",
    "AuditEntry",
    "AuditEntryQuerySet",
    "Community",
    "Language",
    "Membership",
    "Municipality",
    "Organisation",
    "OrganisationKind",
    "Region",
    "Role",
    "User",
    "UserKind",
    "UserManager",
]
