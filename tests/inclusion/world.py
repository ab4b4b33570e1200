"""One community with an object behind every URL pattern: the demo data plus what the demo lacks
(messages, a flag, a draft and a sent digest, a check-back question, an invitation, a token).

Built once for the browser tests through the domain functions, so each page shows what it shows in use.
"""

from __future__ import annotations

import datetime
import importlib
from dataclasses import dataclass, field

from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from community.demo import COMMUNITY_SLUG
from community.joining import invitation_create
from community.models import Community, Role, User
from community.tokens import api_token_create
from notifications.services import unsubscribe_token
from signals import checkbacks, digests
from signals.demo import ESCALATES_NEXT
from signals.discussion import message_post
from signals.models import CheckBackAnswer, Signal, Status
from signals.moderation import signal_flag
from signals.workflow import signal_transition
from tests.factories import session_key

# Who looks at the pages: a demo person for every role (PRODUCT.md, "Who uses it").
PERSONAS = {
    "applicant": "tom@knooppunt.test",  # applied, waits for a coordinator
    "member": "jeroen@knooppunt.test",  # a professional in Waalwijk
    "status_holder": "hiwet@knooppunt.test",  # pseudonymous by default
    "moderator": "sanne@knooppunt.test",
    "coordinator": "marieke@knooppunt.test",  # with TOTP
    "liaison": "pieter@knooppunt.test",  # with TOTP
    "staff": "beheer@knooppunt.test",  # the Django admin
}
ROLES = ("anonymous", *PERSONAS)
FLOW_PASSWORD = "een wachtwoord voor de test"  # the coordinator's, to reach the second-factor step
SIGNED_IN = tuple(PERSONAS)
# Those with a membership that lets them read the community's signals.
MEMBERS = ("member", "status_holder", "moderator", "coordinator", "liaison")


@dataclass
class World:
    community: str
    signal: int  # open, with a discussion; the member wrote in it a moment ago
    reported_signal: int  # in the sent digest; a liaison sees it
    own_message: int  # the member's message on ``signal``
    draft_digest: int
    sent_digest: int
    invitation_token: str
    check_back_token: str
    unsubscribe_token: str
    sessions: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)


def load_reference_data() -> None:
    for module in ("community.migrations.0002_hart_van_brabant", "signals.migrations.0002_themes"):
        importlib.import_module(module).load(apps, None)


def build_world() -> World:
    load_reference_data()
    call_command("seed_demo", verbosity=0)
    community = Community.objects.get(slug=COMMUNITY_SLUG)
    people = {role: User.objects.get(email=email) for role, email in PERSONAS.items()}
    member, coordinator, moderator = people["member"], people["coordinator"], people["moderator"]
    coordinator.set_password(FLOW_PASSWORD)
    coordinator.save(update_fields=["password"])

    # A sent digest holding the signals the demo escalated, then a draft for one escalated by hand.
    slot = timezone.now() - datetime.timedelta(days=7)
    sent = digests.digest_compile(community, slot)
    assert sent is not None
    digests.digest_approve(actor=coordinator, digest=sent)  # tasks run in-process: the mails go, it is sent
    sent.refresh_from_db()
    reported = Signal.objects.filter(digest_item__digest=sent, status=Status.REPORTED).first()
    assert reported is not None
    next_up = Signal.objects.get(community=community, title=ESCALATES_NEXT)
    signal_transition(actor=coordinator, signal=next_up, to=Status.ESCALATED, reason="Speelt in de hele regio.")
    draft = digests.digest_compile(community, timezone.now())
    assert draft is not None

    # A discussion on an open signal: messages from several people, a key point, a flag for the queue.
    signal = Signal.objects.filter(community=community, status=Status.OPEN).exclude(pk=next_up.pk).first()
    assert signal is not None
    message_post(actor=people["status_holder"], signal=signal, body="Bij ons in Dongen ook, al een half jaar.")
    message_post(actor=moderator, signal=signal, body="Wie heeft hier een **oplossing** voor gevonden?")
    signal_flag(actor=member, signal=reported, reason="Dubbel met een ander signaal?")
    own, _ = message_post(
        actor=member, signal=signal, body="In Waalwijk helpt een vast contactpersoon bij de corporatie."
    )

    # A local solution four weeks old, so its reporter is asked "is this still a problem?".
    solved = Signal.objects.filter(community=community, status=Status.RESOLVED_LOCALLY).first()
    if solved is None:
        solved = Signal.objects.filter(community=community, status=Status.OPEN).exclude(pk=signal.pk).first()
        assert solved is not None
        signal_transition(actor=moderator, signal=solved, to=Status.RESOLVED_LOCALLY, lesson="Een vast loket.")
    for resolution in checkbacks.resolutions_due(timezone.now() + datetime.timedelta(weeks=5)):
        checkbacks.checkback_ask(resolution)
    answer = CheckBackAnswer.objects.filter(answered_at=None).select_related("check_back").first()
    assert answer is not None

    _, invitation = invitation_create(
        actor=coordinator, community=community, email="nieuw@knooppunt.test", role=Role.MEMBER
    )
    api_token_create(user=member, name="Rapportagescript")
    return World(
        community=community.slug,
        signal=signal.pk,
        reported_signal=reported.pk,
        own_message=own.pk,
        draft_digest=draft.pk,
        sent_digest=sent.pk,
        invitation_token=invitation,
        check_back_token=checkbacks.token_for(answer, True),
        unsubscribe_token=unsubscribe_token(member, ["message"]),
        sessions={role: session_key(person) for role, person in people.items()},
        users={role: person.pk for role, person in people.items()},
    )
