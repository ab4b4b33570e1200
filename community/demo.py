"""Demo data for region Hart van Brabant: organisations, the community and people of every role.

Idempotent: running it again creates what is missing and leaves the rest
(including anything a person changed) alone. Passwords are only set while
``DEBUG`` is on; without them the demo people sign in by email code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from community.models import (
    Application,
    ApplicationStatus,
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
)

DEMO_PASSWORD = "knooppunt-demo"  # noqa: S105 -- only ever set with DEBUG on
COMMUNITY_SLUG = "cop-statushouders-hvb"

ORGANISATIONS = [
    ("Gemeente Tilburg", OrganisationKind.MUNICIPALITY, "GM0855"),
    ("Gemeente Waalwijk", OrganisationKind.MUNICIPALITY, "GM0867"),
    ("Gemeente Dongen", OrganisationKind.MUNICIPALITY, "GM0766"),
    ("COA Gilze en Rijen", OrganisationKind.COA, "GM0784"),
    ("VluchtelingenWerk Zuid-Nederland", OrganisationKind.VLUCHTELINGENWERK, None),
    ("WonenBreburg", OrganisationKind.HOUSING_CORPORATION, "GM0855"),
    ("Taalschool Tilburg", OrganisationKind.LANGUAGE_SCHOOL, "GM0855"),
    ("Werkgeversservicepunt Midden-Brabant", OrganisationKind.EMPLOYER_SERVICE, None),
    ("GGD Hart voor Brabant", OrganisationKind.GGD, None),
    ("Divosa", OrganisationKind.DIVOSA, None),
    ("Ministerie van Sociale Zaken en Werkgelegenheid", OrganisationKind.MINISTRY, None),
    ("Stichting Welzijn Hart van Brabant", OrganisationKind.OTHER, None),
]


@dataclass(frozen=True)
class DemoPerson:
    email: str
    name: str
    kind: UserKind
    role: Role | None
    organisation: str | None
    municipalities: tuple[str, ...]
    language: Language = Language.DUTCH
    staff: bool = False
    applies: bool = False


PEOPLE = [
    DemoPerson("marieke@knooppunt.test", "Marieke de Vries", UserKind.PROFESSIONAL, Role.COORDINATOR,
               "Gemeente Tilburg", ("GM0855",)),
    DemoPerson("pieter@knooppunt.test", "Pieter Jansen", UserKind.PROFESSIONAL, Role.LIAISON,
               "Ministerie van Sociale Zaken en Werkgelegenheid", ()),
    DemoPerson("sanne@knooppunt.test", "Sanne Bakker", UserKind.PROFESSIONAL, Role.MODERATOR,
               "VluchtelingenWerk Zuid-Nederland", ("GM0855", "GM0785")),
    DemoPerson("jeroen@knooppunt.test", "Jeroen van Dijk", UserKind.PROFESSIONAL, Role.MEMBER,
               "Gemeente Waalwijk", ("GM0867",)),
    DemoPerson("fatma@knooppunt.test", "Fatma Yılmaz", UserKind.PROFESSIONAL, Role.MEMBER,
               "COA Gilze en Rijen", ("GM0784",), Language.ENGLISH),
    DemoPerson("linda@knooppunt.test", "Linda Smits", UserKind.PROFESSIONAL, Role.MEMBER,
               "WonenBreburg", ("GM0855",)),
    DemoPerson("ahmad@knooppunt.test", "Ahmad", UserKind.STATUS_HOLDER, Role.MEMBER, None, ("GM0855",),
               Language.ARABIC),
    DemoPerson("hiwet@knooppunt.test", "Hiwet", UserKind.STATUS_HOLDER, Role.MEMBER, None, ("GM0766",)),
    DemoPerson("karin@knooppunt.test", "Karin Verhoeven", UserKind.PROFESSIONAL, Role.MEMBER,
               "Stichting Welzijn Hart van Brabant", ("GM0797",)),
    DemoPerson("bram@knooppunt.test", "Bram Smulders", UserKind.PROFESSIONAL, Role.MEMBER,
               "Werkgeversservicepunt Midden-Brabant", ("GM0824",)),
    DemoPerson("noor@knooppunt.test", "Noor El Amrani", UserKind.PROFESSIONAL, Role.MEMBER,
               "Taalschool Tilburg", ("GM0809",)),
    DemoPerson("eva@knooppunt.test", "Eva Jansen", UserKind.PROFESSIONAL, Role.MEMBER,
               "GGD Hart voor Brabant", ("GM0798",)),
    DemoPerson("yonas@knooppunt.test", "Yonas", UserKind.STATUS_HOLDER, Role.MEMBER, None, ("GM0867",),
               Language.ENGLISH),
    DemoPerson("samira@knooppunt.test", "Samira", UserKind.STATUS_HOLDER, Role.MEMBER, None, ("GM0797",),
               Language.ARABIC),
    DemoPerson("tom@knooppunt.test", "Tom Peeters", UserKind.PROFESSIONAL, None, "Gemeente Dongen", ("GM0766",),
               applies=True),
    DemoPerson("beheer@knooppunt.test", "Beheerder", UserKind.PROFESSIONAL, None, None, (), staff=True),
]  # fmt: skip


# Who receives the demo community's sent digests (make run prints their mails in its console).
TARGETS = [
    ("Ministerie van SZW, directie Samenleving en Integratie", TargetKind.MINISTRY, "inburgering@szw.knooppunt.test"),
    ("Divosa", TargetKind.DIVOSA, "signalen@divosa.knooppunt.test"),
    ("VNG, team Asiel en Integratie", TargetKind.VNG, "asiel@vng.knooppunt.test, integratie@vng.knooppunt.test"),
]


@transaction.atomic
def seed_demo() -> Community:
    region = Region.objects.get(slug="hart-van-brabant")  # loaded by migration 0002
    municipalities = {m.cbs_code: m for m in Municipality.objects.filter(region=region)}
    organisations = {}
    for name, kind, code in ORGANISATIONS:
        organisations[name], _ = Organisation.objects.get_or_create(
            name=name, defaults={"kind": kind, "municipality": municipalities.get(code) if code else None}
        )
    community, _ = Community.objects.get_or_create(
        slug=COMMUNITY_SLUG,
        defaults={
            "region": region,
            "name": "CoP Statushouders Hart van Brabant",
            "description": (
                "Community of practice van professionals en statushouders in de negen gemeenten van "
                "Hart van Brabant: knelpunten vroeg signaleren, lokaal oplossen of snel opschalen."
            ),
            # A rule for a demo of fifteen people (the default, 10 in 3, suits a real region).
            "min_recognitions": 6,
            "min_municipalities": 3,
            "min_organisations": 2,
            "min_status_holder_recognitions": 1,
            "open_data": True,
        },
    )
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(
                person.email,
                DEMO_PASSWORD if settings.DEBUG else None,
                display_name=person.name,
                kind=person.kind,
                organisation=organisations[person.organisation] if person.organisation else None,
                preferred_language=person.language,
                is_staff=person.staff,
                is_superuser=person.staff,
                # Members for a while, as the demo's signals (up to two months old) suggest: the posting
                # limits of new accounts (signals.limits) would stop the seed halfway.
                date_joined=timezone.now() - timedelta(days=90),
            )
            user.municipalities.set([municipalities[code] for code in person.municipalities])
        EmailAddress.objects.get_or_create(user=user, email=person.email, defaults={"verified": True, "primary": True})
        if person.role is not None:
            Membership.objects.get_or_create(user=user, community=community, defaults={"role": person.role})
        if (
            person.role in (Role.COORDINATOR, Role.LIAISON)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, generate_totp_secret())
            RecoveryCodes.activate(user)
        if person.applies and not Application.objects.filter(user=user, community=community).exists():
            Application.objects.create(
                user=user,
                community=community,
                status=ApplicationStatus.PENDING,
                message="Ik ben de nieuwe klantmanager inburgering in Dongen en wil graag meedoen.",
            )
    for target, target_kind, emails in TARGETS:
        DigestTarget.objects.get_or_create(
            community=community, name=target, defaults={"kind": target_kind, "emails": emails}
        )
    return community


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    role: str
    totp_secret: str | None
    recovery_codes: list[str]


def demo_accounts() -> list[DemoAccount]:
    """The demo people as they are now, with their TOTP secrets and unused recovery codes."""
    adapter = get_mfa_adapter()
    accounts = []
    for person in PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            continue
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        codes = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
        if person.staff:
            role = "staff"
        elif person.applies:
            role = "applicant"
        else:
            role = f"{person.role} ({person.kind})" if person.role else str(person.kind)
        accounts.append(
            DemoAccount(
                email=user.email,
                name=user.display_name,
                role=role,
                totp_secret=adapter.decrypt(totp.data["secret"]) if totp else None,
                recovery_codes=RecoveryCodes(codes).get_unused_codes() if codes else [],
            )
        )
    return accounts
