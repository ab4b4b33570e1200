"""Two communities with an object behind every URL pattern and a person for every role of the matrix.

Built through the domain functions (the production path), inside the test's transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.test import TestCase
from django.utils import timezone

from community.joining import application_submit, invitation_create
from community.models import Community, DigestTarget, Municipality, Region, Role, User, UserKind
from community.tokens import api_token_create
from notifications.models import Notification
from notifications.services import unsubscribe_token
from signals import checkbacks, digests
from signals.discussion import message_post, message_set_hidden
from signals.models import CheckBackAnswer, Signal, Status, Theme
from signals.moderation import signal_flag
from signals.services import signal_create, signal_hide
from signals.workflow import signal_transition
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, session_key

# The people of the matrix (PRODUCT.md, "Who uses it"), in the order the table lists them.
ROLES = (
    "anonymous",
    "unverified",  # signed up, address not confirmed, no community
    "applicant",  # applied to the community, no membership yet
    "member",
    "status_holder",
    "moderator",
    "coordinator_no_mfa",  # the coordinator role without TOTP: acts as a member (community.permissions)
    "coordinator",
    "liaison",
    "outsider",  # a member of another community
    "deactivated",  # is_active=False, with a session from before
)


def LONG_AGO() -> datetime.datetime:
    """Accounts a year old: the stricter posting limits of new accounts (signals.limits) stay out of the way."""
    return timezone.now() - datetime.timedelta(days=365)


@dataclass
class World:
    community: str  # slug of the community everyone but the outsider belongs to
    other_community: str
    signal: int  # open; the member reported it; a discussion and a flag on it
    reported_signal: int  # in the sent digest: a liaison reads it
    hidden_signal: int
    other_signal: int  # in the other community
    message: int  # the member's own message on ``signal``
    hidden_message: int
    other_message: int
    draft_digest: int
    draft_item: int
    sent_digest: int
    other_digest: int  # sent, in the other community
    notification: int  # the member's
    other_notification: int  # the outsider's
    invitation: int  # pending, to the applicant's address
    invitation_token: str
    application: int
    target: int  # a digest target of the community
    check_back_token: str
    unsubscribe_token: str
    flag: int
    users: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _person(role: str, community: Community, tilburg: Municipality, **fields: object) -> User:
    user = UserFactory(
        email=f"{role.replace('_', '-')}@example.org", display_name=role.title(), date_joined=LONG_AGO(), **fields
    )
    user.municipalities.set([tilburg])
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=role != "unverified")
    return user


def build_world(*, digests_too: bool = True) -> World:
    """The world; ``digests_too=False`` leaves out what only the pages need (digests, check-backs), for speed."""
    region = Region.objects.get(slug="hart-van-brabant")
    tilburg = Municipality.objects.get(cbs_code="GM0855")
    housing = Theme.objects.get(slug="housing")
    community = CommunityFactory(region=region, slug="cop-hvb", name="CoP HvB", open_for_applications=True)
    other = CommunityFactory(region=region, slug="cop-elders", name="CoP Elders")

    roles = {
        "member": Role.MEMBER,
        "status_holder": Role.MEMBER,
        "moderator": Role.MODERATOR,
        "coordinator_no_mfa": Role.COORDINATOR,
        "coordinator": Role.COORDINATOR,
        "liaison": Role.LIAISON,
        "deactivated": Role.MEMBER,
    }
    people: dict[str, User] = {}
    for role in ROLES[1:]:
        fields: dict[str, object] = {"mfa": role in ("coordinator", "liaison")}
        if role == "status_holder":
            fields["kind"] = UserKind.STATUS_HOLDER
        people[role] = _person(role, community, tilburg, **fields)
        if role in roles:
            MembershipFactory(user=people[role], community=community, role=roles[role])
    MembershipFactory(user=people["outsider"], community=other, role=Role.MEMBER)
    application = application_submit(user=people["applicant"], community=community, message="Mag ik meedoen?")
    member, moderator, coordinator = people["member"], people["moderator"], people["coordinator"]

    with TestCase.captureOnCommitCallbacks(execute=True):
        signal = _signal(member, community, "Wachtlijst sociale huurwoningen", tilburg, housing)
        message, _ = message_post(actor=member, signal=signal, body="Bij ons in Tilburg ook.")
        message_post(actor=people["status_holder"], signal=signal, body="Al een half jaar.")
        hidden_message, _ = message_post(actor=people["status_holder"], signal=signal, body="Weg ermee.")
        message_set_hidden(actor=moderator, message=hidden_message, hidden=True, reason="Buiten het onderwerp.")
        flag = signal_flag(actor=people["status_holder"], signal=signal, reason="Dubbel?")
        hidden = _signal(member, community, "Verborgen signaal", tilburg, housing)
        signal_hide(actor=moderator, signal=hidden, reason="Persoonsgegevens.")
        other_signal = _signal(people["outsider"], other, "Elders", tilburg, housing)
        other_message, _ = message_post(actor=people["outsider"], signal=other_signal, body="Ook hier.")
        target = DigestTarget.objects.create(community=community, name="Ministerie", emails="szw@example.org")
        invitation, invitation_token = invitation_create(
            actor=coordinator, community=community, email=people["applicant"].email, role=Role.MEMBER
        )
        reported = sent = draft = other_digest = None
        check_back_token = "no-such-token"
        if digests_too:
            reported, sent = _sent_digest(community, coordinator, tilburg, housing)
            escalated = _signal(member, community, "Geen taalles", tilburg, housing)
            signal_transition(actor=coordinator, signal=escalated, to=Status.ESCALATED, reason="Breed.")
            draft = digests.digest_compile(community, timezone.now())
            other_coordinator = UserFactory(mfa=True, date_joined=LONG_AGO())
            other_coordinator.municipalities.set([tilburg])
            MembershipFactory(user=other_coordinator, community=other, role=Role.COORDINATOR)
            DigestTarget.objects.create(community=other, name="VNG", emails="vng@example.org")
            _, other_digest = _sent_digest(other, other_coordinator, tilburg, housing)
            solved = _signal(member, community, "Opgelost", tilburg, housing)
            signal_transition(actor=moderator, signal=solved, to=Status.RESOLVED_LOCALLY, lesson="Een vast loket.")
            for resolution in checkbacks.resolutions_due(timezone.now() + datetime.timedelta(weeks=5)):
                checkbacks.checkback_ask(resolution)
            answer = CheckBackAnswer.objects.get(user=member)
            check_back_token = checkbacks.token_for(answer, True)

    notification = Notification.objects.filter(recipient=member).order_by("pk").first()
    other_notification = Notification.objects.filter(recipient=people["outsider"]).order_by("pk").first()
    deactivated = people["deactivated"]
    world = World(
        community=community.slug,
        other_community=other.slug,
        signal=signal.pk,
        reported_signal=reported.pk if reported else signal.pk,
        hidden_signal=hidden.pk,
        other_signal=other_signal.pk,
        message=message.pk,
        hidden_message=hidden_message.pk,
        other_message=other_message.pk,
        draft_digest=draft.pk if draft else 0,
        draft_item=draft.items.get().pk if draft else 0,
        sent_digest=sent.pk if sent else 0,
        other_digest=other_digest.pk if other_digest else 0,
        notification=notification.pk if notification else 0,
        other_notification=other_notification.pk if other_notification else 0,
        invitation=invitation.pk,
        invitation_token=invitation_token,
        application=application.pk,
        target=target.pk,
        check_back_token=check_back_token,
        unsubscribe_token=unsubscribe_token(member, ["message"]),
        flag=flag.pk,
        users={role: person.pk for role, person in people.items()},
        sessions={role: session_key(person) for role, person in people.items()},
        tokens={role: api_token_create(user=person, name="matrix")[1] for role, person in people.items()},
    )
    # Deactivated after signing in and making a token: the session and the token are from before.
    deactivated.is_active = False
    deactivated.save(update_fields=["is_active"])
    return world


def _signal(author: User, community: Community, title: str, place: Municipality, theme: Theme) -> Signal:
    return signal_create(
        actor=author,
        community=community,
        title=title,
        description=f"{title}: een beschrijving.",
        theme=theme,
        municipality=place,
    )


def _sent_digest(community: Community, coordinator: User, place: Municipality, theme: Theme) -> tuple[Signal, object]:
    """A signal escalated by hand and sent in a digest (tasks run in-process): it is ``reported``."""
    signal = _signal(coordinator, community, f"Gerapporteerd in {community.name}", place, theme)
    signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason="Speelt breed.")
    digest = digests.digest_compile(community, timezone.now() - datetime.timedelta(days=7))
    assert digest is not None
    digests.digest_approve(actor=coordinator, digest=digest)
    return signal, digest
