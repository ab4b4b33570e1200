from community.models.audit import AppendOnlyError, AuditEntry, AuditEntryQuerySet
from community.models.core import (
    Community,
    DigestTarget,
    Language,
    Membership,
    Municipality,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    TargetKind,
    User,
    UserKind,
    UserManager,
    Weekday,
    addresses_in,
)
from community.models.joining import INVITATION_VALIDITY, Application, ApplicationStatus, Invitation
from community.models.privacy import DeletionCode
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
    "DeletionCode",
    "DigestTarget",
    "Language",
    "Membership",
    "Municipality",
    "TargetKind",
    "Weekday",
    "addresses_in",
    "Organisation",
    "OrganisationKind",
    "Region",
    "Role",
    "User",
    "UserKind",
    "UserManager",
]
