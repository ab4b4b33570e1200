"""A benchmark world (issue 13): thousands of people, a hundred thousand signals, a million recognitions.

The domain functions (``signals.services``) make one signal at a time under row
locks and would take hours here, so this module writes the rows the way they
would have left them, with PostgreSQL's COPY: the reporter's own recognition
first, every recogniser following the signal, a CREATED timeline entry per
signal, and for the signals that moved, the transitions, lessons, answers and
audit entries ``signals.workflow`` records. What the app derives is then derived
in bulk with the app's own definitions: the counters in one UPDATE (the same
counts as ``services._recount``), the search vector with ``signals.search.vector``.
The big tables are filled without their foreign keys and secondary indexes, which
are added back (and so checked) before the one transaction commits.

Deterministic for a seed: the same seed gives the same people, titles and
numbers (times are relative to the moment of seeding).
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from community.demo import ORGANISATIONS
from community.models import (
    Community,
    DigestTarget,
    Municipality,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    TargetKind,
    User,
    UserKind,
)
from signals.models import EventKind, Outcome, Signal, Status, Theme
from signals.rules import Counters, Rule, escalation_progress, figures_of
from signals.search import vector
from signals.workflow import AUDIT_ACTIONS

COMMUNITY_SLUG = "bench-midden-brabant"
EMAIL_DOMAIN = "bench.knooppunt.test"
BENCH_PASSWORD = "knooppunt-bench"  # noqa: S105 -- benchmark accounts on a benchmark database
# A regional rule (the product's default breadth), with a status holder's voice required.
RULE = Rule(recognitions=10, municipalities=3, organisations=2, status_holders=1)
# Relative population: Tilburg is several times the size of the others.
MUNICIPALITY_WEIGHTS = {
    "GM0855": 5.0, "GM0867": 1.5, "GM0797": 1.5, "GM0824": 1.0, "GM0766": 1.0,
    "GM0784": 1.0, "GM0785": 1.0, "GM0798": 0.7, "GM0809": 0.8,
}  # fmt: skip
# Of every hundred signals; "open" includes the escalation candidates and a few hidden ones.
STATUS_WEIGHTS = {
    Status.OPEN: 84.0, Status.RESOLVED_LOCALLY: 5.0, Status.ESCALATED: 4.0, Status.REPORTED: 2.5,
    Status.ANSWERED: 1.5, Status.CLOSED: 3.0,
}  # fmt: skip
# How each status is reached from ``open`` (signals.workflow.MOVES).
PATHS: dict[Status, list[tuple[Status, Status]]] = {
    Status.OPEN: [],
    Status.RESOLVED_LOCALLY: [(Status.OPEN, Status.RESOLVED_LOCALLY)],
    Status.ESCALATED: [(Status.OPEN, Status.ESCALATED)],
    Status.REPORTED: [(Status.OPEN, Status.ESCALATED), (Status.ESCALATED, Status.REPORTED)],
    Status.ANSWERED: [
        (Status.OPEN, Status.ESCALATED), (Status.ESCALATED, Status.REPORTED), (Status.REPORTED, Status.ANSWERED)
    ],
    Status.CLOSED: [(Status.OPEN, Status.CLOSED)],
}  # fmt: skip
STATUS_HOLDER_SHARE = 0.15
BUSY_MIN_MESSAGES = 50
# An open signal below the rule has 1..9 recognitions, mostly few (mean about 3).
OPEN_RECOGNITION_WEIGHTS = [30, 22, 15, 10, 8, 6, 4, 3, 2]


class Refused(Exception):
    """The database is not one to seed (wrong backend, or it already holds signals)."""


@dataclass(frozen=True)
class Plan:
    users: int
    signals: int
    recognitions: int
    messages: int
    candidates: int
    """Open signals that meet the rule but are not escalated yet: work for the escalation sweep."""
    busy: int
    """Signals with a long discussion (at least ``BUSY_MIN_MESSAGES`` messages each)."""

    @classmethod
    def at_scale(cls, scale: float) -> Plan:
        """Issue 13's sizes times ``scale``, never below a data set worth measuring."""
        if scale <= 0:
            raise ValueError("scale must be positive")
        busy = max(20, round(40 * scale))
        return cls(
            users=max(100, round(5_000 * scale)),
            signals=max(2_000, round(100_000 * scale)),
            recognitions=max(20_000, round(1_000_000 * scale)),
            messages=max(busy * BUSY_MIN_MESSAGES * 2, round(200_000 * scale)),
            candidates=max(10, round(300 * scale)),
            busy=busy,
        )

    @classmethod
    def tiny(cls) -> Plan:
        """Small enough for a test to seed in a second or two, with every feature present."""
        return cls(users=80, signals=400, recognitions=4_000, messages=1_500, candidates=6, busy=20)


class Progress(Protocol):
    def begin(self, total: int) -> None: ...
    def stage(self, name: str) -> None: ...
    def advance(self, rows: int) -> None: ...


class NoProgress:
    def begin(self, total: int) -> None:
        pass

    def stage(self, name: str) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


@dataclass(frozen=True)
class Summary:
    community: Community
    rows: dict[str, int]
    candidates: int


# --- Words -----------------------------------------------------------------------------------------

OPENERS = [
    "Wachtlijst voor", "Problemen met", "Vertraging bij", "Onduidelijkheid over", "Te weinig aanbod voor",
    "Lange wachttijd voor", "Hoge drempel bij", "Geen maatwerk bij", "Knelpunt rond", "Gebrek aan informatie over",
    "Hoge kosten van", "Versnippering bij",
]  # fmt: skip
GROUPS = [
    "grote gezinnen", "alleenstaande jongeren", "nareizigers", "alleenstaande moeders", "oudere statushouders",
    "analfabete deelnemers", "gezinnen met jonge kinderen", "jongeren boven de achttien", "statushouders met trauma",
    "hoogopgeleide statushouders",
]  # fmt: skip
# Per theme: subjects for the title, and sentences for the description; the first sentence is always used,
# so every housing signal says "huisvesting" and every civic-integration one "taalles" and "inburgering".
THEME_WORDS: dict[str, tuple[list[str], list[str]]] = {
    "housing": (
        ["huisvesting", "passende huisvesting", "sociale huurwoningen", "woonruimte", "tijdelijke woonunits",
         "de sleuteloverdracht", "onzelfstandige woonruimte", "de koppeling aan een gemeente"],
        ["De huisvesting van {group} loopt in {muni} maanden vertraging op.",
         "Er zijn te weinig sociale huurwoningen, dus mensen blijven langer in het azc.",
         "De corporatie heeft geen passende woning en de taakstelling komt in gevaar.",
         "Zonder woning kan de inburgering niet goed beginnen."]),
    "civic-integration": (
        ["taalles", "de inburgering", "het inburgeringsexamen", "taalles met kinderopvang", "de Z-route",
         "de B1-route", "taalcoaches", "het persoonlijk plan inburgering"],
        ["De wachtlijst voor taalles is in {muni} opgelopen tot {n} weken, terwijl de inburgering al loopt.",
         "Zonder kinderopvang kunnen ouders niet naar de les.",
         "Het examen wordt daardoor vaak uitgesteld.",
         "Er is te weinig lesmateriaal voor wie niet kan lezen en schrijven."]),
    "work": (
        ["werk", "stages", "diplomawaardering", "werkervaringsplaatsen", "bijverdienen naast de inburgering",
         "werkfit-trajecten", "vakopleidingen", "vrijwilligerswerk met behoud van uitkering"],
        ["Werkgevers in {muni} weten niet dat statushouders mogen werken.",
         "De diplomawaardering duurt maanden, intussen werken mensen onder hun niveau.",
         "Werk is lastig te combineren met taalles overdag.",
         "Een parttime baan leidt tot een gat in het inkomen."]),
    "education": (
        ["de schakelklas", "onderwijs voor zestienplussers", "leerlingenvervoer", "de internationale schakelklas",
         "informatie over het schoolsysteem", "toelating tot het mbo"],
        ["Kinderen van {group} wachten in {muni} op een plek in de schakelklas.",
         "Jongeren van zestien en zeventien vallen tussen wal en schip.",
         "Ouders missen vertaalde informatie over het schoolsysteem.",
         "Het leerlingenvervoer wordt niet vergoed."]),
    "health": (
        ["tolken bij de huisarts", "traumabehandeling", "tandartszorg", "de zorgverzekering", "GGZ-zorg",
         "zwangerschapszorg", "medicatie na verhuizing"],
        ["Er is in {muni} geen tolk bij de huisarts, dus kinderen vertalen voor hun ouders.",
         "De wachttijd voor traumabehandeling is meer dan een half jaar.",
         "Bij vertrek uit het azc zit er een gat in de zorgverzekering.",
         "Tandartsen nemen geen nieuwe patiënten aan."]),
    "income": (
        ["de eerste uitkering", "huurtoeslag", "inrichtingskosten", "schuldhulpverlening", "toeslagen",
         "de bijzondere bijstand", "terugvorderingen"],
        ["De eerste uitkering komt in {muni} pas na {n} weken, waardoor schulden ontstaan.",
         "De huurtoeslag komt maanden na de sleuteloverdracht op gang.",
         "Inrichtingskosten worden als lening verstrekt.",
         "Na een verhuizing worden toeslagen teruggevorderd."]),
    "family-reunification": (
        ["gezinshereniging", "nareis", "leges voor documenten", "huisvesting voor nareizigers", "DNA-onderzoek",
         "de nareisprocedure"],
        ["Gezinshereniging duurt lang en gezinnen in {muni} weten niet waar ze aan toe zijn.",
         "Bij aankomst van nareizigers is de woning vaak te klein en is nieuwe huisvesting nodig.",
         "De leges voor documenten zijn met een uitkering niet op te brengen.",
         "De inburgering van nareizigers begint veel later."]),
    "guidance": (
        ["maatschappelijke begeleiding", "casemanagement", "hulp bij post", "de brede intake",
         "de warme overdracht", "digitale zaken"],
        ["Na achttien maanden stopt de maatschappelijke begeleiding van {group} in {muni}.",
         "Gezinnen hebben te veel wisselende contactpersonen.",
         "Niemand helpt met de brieven van de Belastingdienst.",
         "De brede intake sluit niet aan op het plan voor de inburgering."]),
    "rules": (
        ["de kostendelersnorm", "de taakstelling", "de regels voor bijverdiensten", "de Wet inburgering",
         "de ontheffing van de inburgeringsplicht", "de termijn van de inburgering"],
        ["Een landelijke regel werkt in {muni} slecht uit voor {group}.",
         "De kostendelersnorm maakt dat jongeren het huis verlaten.",
         "De taakstelling houdt geen rekening met de woningmarkt.",
         "De regels voor bijverdiensten ontmoedigen werk."]),
    "other": (
        ["fietslessen", "de bibliotheekpas", "sportverenigingen", "openbaar vervoer", "zwemles",
         "vrijwilligerswerk"],
        ["Voor {group} in {muni} is hier geen aanbod.",
         "Vrouwen willen fietsen om zelfstandig naar taalles te gaan.",
         "De bibliotheekpas is niet gratis, terwijl de bibliotheek helpt bij taal.",
         "Sportverenigingen vragen contributie die gezinnen niet kunnen betalen."]),
}  # fmt: skip
GENERAL = [
    "We zien dit bij {n} huishoudens in onze regio.", "Klantmanagers in {muni} lopen hier dagelijks tegenaan.",
    "Dit speelt ook in andere gemeenten van Midden-Brabant.", "Een landelijke oplossing zou veel schelen.",
    "Het vertraagt de inburgering en de start van werk.", "Graag horen we hoe andere gemeenten dit oplossen.",
]  # fmt: skip
MESSAGES = [
    "Herkenbaar, in {muni} speelt dit ook.", "Wij hebben goede ervaringen met een vast aanspreekpunt.",
    "Is er al contact geweest met de woningcorporatie?", "Ik heb dit besproken met de klantmanager.",
    "Dit zou in de volgende digest moeten.", "Bij ons duurt het inmiddels {n} weken.",
    "Wie heeft een contactpersoon bij COA?", "De wachtlijst voor taalles is hier ook gegroeid.",
    "Goed dat dit gesignaleerd wordt.", "We proberen het nu op te lossen met vrijwilligers.",
    "Hebben jullie dit al bij de regio aangekaart?", "Ik stuur de notitie van ons overleg door.",
    "Voor de huisvesting hebben we een tijdelijke oplossing gevonden.", "Ook bij de inburgering zien we dit terug.",
    "Dank voor het delen, dit helpt ons verder.",
]  # fmt: skip
LESSONS = [
    "De gemeente heeft een vast aanspreekpunt voor statushouders aangesteld.",
    "Met de taalschool is afgesproken dat er middaglessen komen.",
    "Vrijwilligers helpen nu wekelijks bij de post.",
    "De corporatie houdt een deel van de grote woningen vrij voor gezinnen.",
    "De klantmanager regelt dit nu bij de sleuteloverdracht.",
]
ANSWERS = [
    ("Het ministerie neemt dit mee in de evaluatie van de Wet inburgering.", "het ministerie van SZW, via de regio"),
    ("Divosa zet dit op de agenda van het landelijk overleg.", "Divosa"),
    ("De VNG onderzoekt een landelijke regeling.", "de VNG"),
]
FIRST_NAMES = [
    "Anna", "Bram", "Daan", "Eva", "Fatma", "Hiwet", "Jeroen", "Karin", "Linda", "Mohammed", "Noor", "Pieter",
    "Ruben", "Samira", "Sanne", "Thijs", "Yonas", "Zeynep", "Lotte", "Sem", "Julia", "Lucas", "Fleur", "Ahmad",
    "Amal", "Daniel", "Esra", "Omar", "Rania", "Tesfay",
]  # fmt: skip
LAST_NAMES = [
    "de Vries", "Jansen", "van Dijk", "Bakker", "Smits", "Verhoeven", "Smulders", "Peeters", "El Amrani",
    "Yılmaz", "van den Berg", "Mertens", "van Gils", "de Bruijn", "Hendriks", "Vermeulen", "Willems", "de Wit",
]  # fmt: skip


# --- The plan of the world, drawn before anything is written -----------------------------------------


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    municipality: int
    organisation: int | None
    status_holder: bool


@dataclass(slots=True)
class Planned:
    """One signal as drawn: who, where, what state, how much gathers around it."""

    id: int
    author: int  # index into the members
    status: Status
    created_at: datetime
    last_activity_at: datetime
    recognitions: int
    messages: int = 0
    meets_rule: bool = False  # a candidate or escalated: its recognisers must satisfy RULE
    hidden: bool = False
    recognisers: list[int] = field(default_factory=list)
    counters: Counters | None = None
    outcome: str = ""
    moves: list[tuple[Status, Status, datetime]] = field(default_factory=list)
    """The transitions from ``open`` to ``status``, with their times."""


def distribute(total: int, floors: Sequence[int], caps: Sequence[int], weights: Sequence[float]) -> list[int]:
    """Integers between ``floors`` and ``caps`` summing to exactly ``total``, roughly in proportion to ``weights``."""
    counts = list(floors)
    remaining = total - sum(counts)
    if remaining < 0 or total > sum(caps):
        raise ValueError(f"{total} cannot be split between {sum(floors)} and {sum(caps)}")
    while remaining > 0:
        room = [i for i, count in enumerate(counts) if count < caps[i]]
        weight = sum(weights[i] for i in room)
        given = 0
        for i in room:
            add = min(caps[i] - counts[i], int(remaining * weights[i] / weight))
            counts[i] += add
            given += add
        if not given:  # only rounding left: one more each, in order
            for i in room[:remaining]:
                counts[i] += 1
                given += 1
        remaining -= given
    return counts


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + (end - start) * rng.random()


def _text(rng: random.Random, template: str, municipality: str) -> str:
    return template.format(muni=municipality, group=rng.choice(GROUPS), n=rng.randint(3, 40))


class World:
    """Every draw comes from one ``random.Random`` and happens in the order the rows are written, so a seed
    gives the same world each time."""

    def __init__(self, plan: Plan, seed: int, now: datetime, places: list[Municipality], orgs: list[Organisation]):
        self.plan, self.now = plan, now
        self.rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
        self.places = places
        self.place_weights = [MUNICIPALITY_WEIGHTS.get(m.cbs_code, 1.0) for m in places]
        self.orgs = orgs
        self.local_org = {o.municipality_id: o.pk for o in orgs if o.kind == OrganisationKind.MUNICIPALITY}
        self.regional_orgs = [o.pk for o in orgs if o.kind != OrganisationKind.MUNICIPALITY]

    def person(self, user_id: int) -> tuple[Person, str, str, datetime]:
        """A member: the person, a display name, a preferred language, when they joined."""
        rng = self.rng
        place = rng.choices(self.places, self.place_weights)[0]
        holder = rng.random() < STATUS_HOLDER_SHARE
        if holder:
            org, name, language = None, rng.choice(FIRST_NAMES), rng.choice(["nl", "nl", "en", "ar", "ar"])
        else:
            local = self.local_org.get(place.pk)
            org = local if local and rng.random() < 0.5 else rng.choice(self.regional_orgs)
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            language = "en" if rng.random() < 0.1 else "nl"
        joined = self.now - timedelta(days=rng.uniform(760, 1000))
        return Person(user_id, place.pk, org, holder), name, language, joined

    def signals(self, first_id: int, members: list[Person]) -> list[Planned]:
        rng, plan = self.rng, self.plan
        statuses = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()), k=plan.signals)
        open_ids = [i for i, status in enumerate(statuses) if status == Status.OPEN]
        if len(open_ids) < plan.candidates:
            raise ValueError("too few open signals for the escalation candidates")
        candidates = set(rng.sample(open_ids, plan.candidates))
        planned: list[Planned] = []
        for i, status in enumerate(statuses):
            age = rng.uniform(0.05, 180) if status == Status.OPEN else rng.uniform(30, 720)
            created = self.now - timedelta(days=age)
            meets_rule = i in candidates or status in (Status.ESCALATED, Status.REPORTED, Status.ANSWERED)
            count = 0
            if status == Status.OPEN and not meets_rule:
                count = rng.choices(range(1, len(OPEN_RECOGNITION_WEIGHTS) + 1), OPEN_RECOGNITION_WEIGHTS)[0]
            elif i in candidates:
                count = rng.randint(RULE.recognitions, 3 * RULE.recognitions)
            last = _between(rng, created, self.now)
            times = sorted(_between(rng, created, last) for _ in PATHS[status])
            planned.append(
                Planned(
                    id=first_id + i,
                    author=rng.randrange(len(members)),
                    status=status,
                    created_at=created,
                    last_activity_at=last,
                    recognitions=count,
                    meets_rule=meets_rule,
                    hidden=status == Status.OPEN and not meets_rule and rng.random() < 0.003,
                    outcome=rng.choice(Outcome.values) if status == Status.CLOSED else "",
                    moves=[(a, b, when) for (a, b), when in zip(PATHS[status], times, strict=True)],
                )
            )
        # The rest of the million goes to the signals that moved on: they gathered the most evidence.
        moved = [p for p in planned if not p.recognitions]
        budget = plan.recognitions - sum(p.recognitions for p in planned)
        floors = [RULE.recognitions if p.meets_rule else 1 for p in moved]
        weights = [rng.lognormvariate(0, 1) for _ in moved]
        for p, count in zip(moved, distribute(budget, floors, [len(members)] * len(moved), weights), strict=True):
            p.recognitions = count
        self._messages(planned)
        return planned

    def _messages(self, planned: list[Planned]) -> None:
        """A few long discussions (recently active) and the rest spread thin."""
        rng, plan = self.rng, self.plan
        busy = rng.sample(planned, plan.busy)
        busy_total = max(plan.busy * BUSY_MIN_MESSAGES, plan.messages // 4)
        weights = [rng.paretovariate(1.5) for _ in busy]
        counts = distribute(busy_total, [BUSY_MIN_MESSAGES] * len(busy), [busy_total] * len(busy), weights)
        for p, count in zip(busy, counts, strict=True):
            p.messages = count
            p.last_activity_at = max(p.last_activity_at, self.now - timedelta(minutes=rng.uniform(1, 600)))
        for _ in range(plan.messages - busy_total):
            planned[rng.randrange(len(planned))].messages += 1

    def recognisers(self, p: Planned, members: list[Person], holders: list[int]) -> list[int]:
        """The reporter first, then distinct others; for a signal at the rule, a draw that meets it."""
        rng = self.rng
        for _attempt in range(100):
            others = [x + (x >= p.author) for x in rng.sample(range(len(members) - 1), p.recognitions - 1)]
            chosen = [p.author, *others]
            if not p.meets_rule:
                return chosen
            if not any(members[i].status_holder for i in chosen):
                spare = [h for h in holders if h not in chosen]
                if spare:
                    chosen[-1] = rng.choice(spare)
            counters = counters_of([members[i] for i in chosen])
            if escalation_progress(counters, RULE).met:
                p.counters = counters
                return chosen
        raise ValueError("the members are too alike to meet the escalation rule; seed more people")

    def title(self, theme: str, municipality: str) -> str:
        rng = self.rng
        subject = rng.choice(THEME_WORDS[theme][0])
        where = f"voor {rng.choice(GROUPS)}" if rng.random() < 0.5 else f"in {municipality}"
        return f"{rng.choice(OPENERS)} {subject} {where}"[:140]

    def description(self, theme: str, municipality: str) -> str:
        rng = self.rng
        first, *more = THEME_WORDS[theme][1]
        sentences = [first, *rng.sample(more, rng.randint(1, 2)), rng.choice(GENERAL)]
        return " ".join(_text(rng, sentence, municipality) for sentence in sentences)

    def message(self, municipality: str) -> str:
        rng = self.rng
        return " ".join(_text(rng, s, municipality) for s in rng.sample(MESSAGES, rng.randint(1, 3)))


def counters_of(people: Iterable[Person]) -> Counters:
    """The counters ``signals.services._recount`` keeps, for recognitions by these people."""
    people = list(people)
    return Counters(
        recognitions=len(people),
        municipalities=len({p.municipality for p in people}),
        organisations=len({p.organisation for p in people if p.organisation is not None}),
        status_holders=sum(p.status_holder for p in people),
    )


# --- Writing -----------------------------------------------------------------------------------------


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], progress: Progress) -> int:
    """COPY ``rows`` into ``table``; the caller's transaction holds them until commit."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    written = 0
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor under Django's wrapper, in the same transaction
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
                if not written % 10_000:
                    progress.advance(10_000)
    progress.advance(written % 10_000)
    return written


def _execute(statement: str, params: Sequence[Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return int(cursor.rowcount)


def check_database(*, force: bool) -> None:
    """Refuse what this generator must not touch. Raises Refused."""
    if connection.vendor != "postgresql":
        raise Refused(f"bench_seed needs PostgreSQL (COPY, full-text search); this database is {connection.vendor}.")
    if Community.objects.filter(slug=COMMUNITY_SLUG).exists():
        raise Refused("This database already holds bench data; drop it and create a fresh one.")
    if not force and Signal.objects.exists():
        raise Refused("This database already holds signals; use --force to seed next to them.")


def _reference() -> tuple[Community, list[Municipality], list[Organisation], dict[str, Theme]]:
    """The region and themes from the data migrations, the demo's organisations, and the bench community."""
    region = Region.objects.get(slug="hart-van-brabant")
    places = list(Municipality.objects.filter(region=region).order_by("cbs_code"))
    by_code = {m.cbs_code: m for m in places}
    orgs = [
        Organisation.objects.get_or_create(
            name=f"Gemeente {m.name}", defaults={"kind": OrganisationKind.MUNICIPALITY, "municipality": m}
        )[0]
        for m in places
    ]
    for name, kind, code in ORGANISATIONS:
        if kind != OrganisationKind.MUNICIPALITY:
            org, _ = Organisation.objects.get_or_create(
                name=name, defaults={"kind": kind, "municipality": by_code.get(code) if code else None}
            )
            orgs.append(org)
    community = Community.objects.create(
        region=region,
        slug=COMMUNITY_SLUG,
        name="Regio Midden-Brabant bench",
        description="Benchmarkgegevens (manage.py bench_seed): geen echte mensen of signalen.",
        min_recognitions=RULE.recognitions,
        min_municipalities=RULE.municipalities,
        min_organisations=RULE.organisations,
        min_status_holder_recognitions=RULE.status_holders,
        open_data=True,
    )
    DigestTarget.objects.create(
        community=community, name="Ministerie van SZW", kind=TargetKind.MINISTRY, emails=f"szw@{EMAIL_DOMAIN}"
    )
    themes = {t.slug: t for t in Theme.objects.filter(slug__in=THEME_WORDS)}
    return community, places, orgs, themes


def _scalar(query: sql.Composable, params: Sequence[Any] = ()) -> Any:
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        cursor.execute(query, params)
        row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None


def _next_id(table: str) -> int:
    return int(_scalar(sql.SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM {}").format(sql.Identifier(table))))


def _sequence_catch_up(table: str) -> None:
    """Rows were copied with explicit ids: move the identity sequence past them."""
    _scalar(
        sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {}))").format(
            sql.Identifier(table)
        ),
        [table],
    )


USER_COLUMNS = [
    "id", "password", "last_login", "is_superuser", "email", "display_name", "kind", "pseudonymous",
    "pseudonym_label", "preferred_language", "is_active", "is_staff", "date_joined", "organisation_id", "erased_at",
    "session_generation",
]  # fmt: skip
SIGNAL_COLUMNS = [
    "id", "title", "description", "language", "status", "outcome", "escalated_at", "reported_at", "hidden",
    "hidden_reason", "recognition_count", "municipality_count", "organisation_count", "status_holder_count",
    "created_at", "updated_at", "last_activity_at", "author_id", "community_id", "merged_into_id", "municipality_id",
    "theme_id",
]  # fmt: skip
RECOGNITION_COLUMNS = [
    "by_status_holder", "people_affected", "tried_locally", "tried_locally_note", "created_at", "municipality_id",
    "organisation_id", "user_id", "signal_id",
]  # fmt: skip
MESSAGE_COLUMNS = [
    "body", "language", "created_at", "deleted_at", "hidden", "hidden_reason", "key_point", "author_id",
    "hidden_by_id", "signal_id",
]  # fmt: skip
EVENT_COLUMNS = ["kind", "from_status", "to_status", "reason", "created_at", "actor_id", "signal_id", "figures"]
AUDIT_COLUMNS = ["created_at", "action", "subject_id", "reason", "data", "actor_id", "subject_type_id", "community_id"]


@dataclass(frozen=True)
class Staff:
    coordinators: tuple[int, int]
    moderator: int


@dataclass(frozen=True, slots=True)
class Account:
    person: Person
    email: str
    name: str
    language: str
    joined: datetime
    role: Role


def _accounts(world: World, first_id: int) -> tuple[list[Account], Staff]:
    """The members (role MEMBER), then two coordinators and a moderator."""
    plan = world.plan
    accounts = []
    for i in range(plan.users):
        person, name, language, joined = world.person(first_id + i)
        accounts.append(Account(person, f"member-{i + 1:05d}@{EMAIL_DOMAIN}", name, language, joined, Role.MEMBER))
    tilburg = next(m for m in world.places if m.cbs_code == "GM0855")
    joined = world.now - timedelta(days=1000)
    staff = Staff(coordinators=(first_id + plan.users, first_id + plan.users + 1), moderator=first_id + plan.users + 2)
    for number, user_id in enumerate(staff.coordinators, start=1):
        person = Person(user_id, tilburg.pk, world.local_org.get(tilburg.pk), status_holder=False)
        email = f"coordinator-{number}@{EMAIL_DOMAIN}"
        accounts.append(Account(person, email, f"Coördinator {number}", "nl", joined, Role.COORDINATOR))
    person = Person(staff.moderator, tilburg.pk, world.regional_orgs[0], status_holder=False)
    accounts.append(Account(person, f"moderator@{EMAIL_DOMAIN}", "Moderator", "nl", joined, Role.MODERATOR))
    return accounts, staff


def _write_people(world: World, community: Community, accounts: list[Account], progress: Progress) -> int:
    """Active, verified, one membership each; coordinators with TOTP enrolled."""
    progress.stage("people")
    password = make_password(BENCH_PASSWORD)  # once: hashing it for each of 5,000 people would take minutes
    written = _copy(
        "community_user",
        USER_COLUMNS,
        (
            (a.person.id, password, None, False, a.email, a.name,
             UserKind.STATUS_HOLDER if a.person.status_holder else UserKind.PROFESSIONAL,
             a.person.status_holder, "", a.language, True, False, a.joined, a.person.organisation, None, 0)
            for a in accounts
        ),
        progress,
    )  # fmt: skip
    places = ((a.person.id, a.person.municipality) for a in accounts)
    _copy("community_user_municipalities", ["user_id", "municipality_id"], places, progress)
    addresses = ((a.email, True, True, a.person.id) for a in accounts)
    _copy("account_emailaddress", ["email", "verified", "primary", "user_id"], addresses, progress)
    memberships = ((a.role, a.joined, a.joined, community.pk, a.person.id) for a in accounts)
    _copy(
        "community_membership", ["role", "created_at", "updated_at", "community_id", "user_id"], memberships, progress
    )
    _sequence_catch_up("community_user")
    # A coordinator's role is in force only with a second factor (community.permissions); the secret is
    # drawn from the seed, so a benchmark can compute the codes.
    for account in accounts:
        if account.role == Role.COORDINATOR:
            user = User.objects.get(pk=account.person.id)
            TOTP.activate(user, base64.b32encode(world.rng.randbytes(20)).decode())
            RecoveryCodes.activate(user)
    return written


def _signal_rows(
    world: World, community: Community, planned: list[Planned], members: list[Person], themes: dict[str, Theme]
) -> Iterator[tuple[Any, ...]]:
    rng = world.rng
    names = {m.pk: m.name for m in world.places}
    slugs = sorted(themes)
    for p in planned:
        author = members[p.author]
        place = author.municipality if rng.random() < 0.7 else rng.choices(world.places, world.place_weights)[0].pk
        slug = rng.choice(slugs)
        moved_at = {to: when for _source, to, when in p.moves}
        yield (
            p.id, world.title(slug, names[place]), world.description(slug, names[place]), "nl", p.status, p.outcome,
            moved_at.get(Status.ESCALATED), moved_at.get(Status.REPORTED), p.hidden,
            "Bevat persoonsgegevens." if p.hidden else "", 0, 0, 0, 0, p.created_at, p.last_activity_at,
            p.last_activity_at, author.id, community.pk, None, place, themes[slug].pk,
        )  # fmt: skip


def _recognition_rows(world: World, planned: list[Planned], members: list[Person]) -> Iterator[tuple[Any, ...]]:
    rng = world.rng
    holders = [i for i, m in enumerate(members) if m.status_holder]
    for p in planned:
        p.recognisers = world.recognisers(p, members, holders)
        # An answered or closed signal takes no more recognitions (services.RECOGNISABLE).
        until = p.moves[-1][2] if p.status in (Status.ANSWERED, Status.CLOSED) else p.last_activity_at
        for position, index in enumerate(p.recognisers):
            m = members[index]
            when = p.created_at if position == 0 else _between(rng, p.created_at, until)
            affected = rng.randint(1, 30) if rng.random() < 0.2 else None
            tried = rng.random() < 0.1
            yield m.status_holder, affected, tried, "", when, m.municipality, m.organisation, m.id, p.id


def _message_rows(
    world: World, planned: list[Planned], members: list[Person], staff: Staff
) -> Iterator[tuple[Any, ...]]:
    rng = world.rng
    names = {m.pk: m.name for m in world.places}
    for p in planned:
        times = sorted(_between(rng, p.created_at, p.last_activity_at) for _ in range(p.messages))
        for when in times:
            index = rng.choice(p.recognisers) if rng.random() < 0.7 else rng.randrange(len(members))
            author = members[index]
            hidden = rng.random() < 0.002
            deleted = when + timedelta(minutes=5) if rng.random() < 0.003 else None
            yield (
                world.message(names[author.municipality]), "nl", when, deleted, hidden,
                "Niet respectvol." if hidden else "", rng.random() < 0.01, author.id,
                staff.moderator if hidden else None, p.id,
            )  # fmt: skip


@dataclass
class Timeline:
    """What ``signals.workflow.signal_transition`` leaves besides the new status."""

    subject_type: int
    audit: list[tuple[Any, ...]] = field(default_factory=list)
    lessons: list[tuple[Any, ...]] = field(default_factory=list)
    answers: list[tuple[Any, ...]] = field(default_factory=list)


def _event_rows(
    world: World, community: Community, planned: list[Planned], members: list[Person], staff: Staff, kept: Timeline
) -> Iterator[tuple[Any, ...]]:
    """Each signal's CREATED entry and its transitions; the audit rows, lessons and answers go to ``kept``.

    Runs inside a COPY, which holds the connection: no query may be made from here.
    """
    rng = world.rng
    subject_type = kept.subject_type
    for p in planned:
        yield EventKind.CREATED, "", Status.OPEN, "", p.created_at, members[p.author].id, p.id, None
        for source, to, when in p.moves:
            actor: int | None = rng.choice(staff.coordinators)
            reason, figures = "", None
            details: dict[str, Any] = {"from": source.value, "to": to.value}
            if to == Status.RESOLVED_LOCALLY:
                actor, reason = staff.moderator, rng.choice(LESSONS)
                kept.lessons.append((reason, when, actor, p.id))
            elif to == Status.ESCALATED and p.counters is not None and rng.random() < 0.8:
                actor, figures = None, figures_of(p.counters, RULE)
                details["by_rule"] = figures
            elif to == Status.ESCALATED:
                reason = "Speelt in meerdere gemeenten; de regel is landelijk."
            elif to == Status.REPORTED:
                actor = None
            elif to == Status.ANSWERED:
                reason, on_behalf_of = rng.choice(ANSWERS)
                details["on_behalf_of"] = on_behalf_of
                kept.answers.append((reason, on_behalf_of, when, actor, p.id))
            elif to == Status.CLOSED:
                details["outcome"] = p.outcome
            yield (
                EventKind.TRANSITION, source, to, reason, when, actor, p.id,
                json.dumps(figures) if figures else None,
            )  # fmt: skip
            kept.audit.append(
                (when, AUDIT_ACTIONS[to], str(p.id), reason, json.dumps(details), actor, subject_type, community.pk)
            )


COUNTERS_UPDATE = """
UPDATE signals_signal AS s
SET recognition_count = c.recognitions, municipality_count = c.municipalities,
    organisation_count = c.organisations, status_holder_count = c.status_holders
FROM (
    SELECT signal_id, COUNT(*) AS recognitions, COUNT(DISTINCT municipality_id) AS municipalities,
           COUNT(DISTINCT organisation_id) AS organisations, COUNT(*) FILTER (WHERE by_status_holder) AS status_holders
    FROM signals_recognition WHERE signal_id BETWEEN %s AND %s GROUP BY signal_id
) AS c
WHERE s.id = c.signal_id
"""
# signals.services follows the signal for the reporter and for every recogniser.
FOLLOWS_INSERT = """
INSERT INTO signals_follow (user_id, community_id, signal_id, created_at)
SELECT user_id, %s, signal_id, created_at FROM signals_recognition WHERE signal_id BETWEEN %s AND %s
ORDER BY id
"""
# Loaded without their foreign keys and secondary indexes (``_bulk_load``).
BULK_LOADED = [
    "signals_signal",
    "signals_recognition",
    "signals_follow",
    "signals_message",
    "signals_signalevent",
]
TABLES = [
    "community_user", "community_user_municipalities", "account_emailaddress", "community_membership",
    "signals_signal", "signals_recognition", "signals_follow", "signals_message", "signals_signalevent",
    "signals_lesson", "signals_answer", "community_auditentry",
]  # fmt: skip


@contextmanager
def _bulk_load(tables: Sequence[str], progress: Progress) -> Iterator[None]:
    """PostgreSQL's advice for filling tables: without their foreign keys and secondary indexes, added back
    after the block. One validating join per key instead of a deferred trigger per row (at a million rows
    the commit took minutes), one index build instead of a million insertions. Unique indexes stay, so
    the load is checked for duplicates as it goes. The caller's transaction makes it all or nothing: a
    broken reference fails the ADD and rolls everything back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [list(tables)],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique ORDER BY 1",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        # Rows the transaction already wrote have their checks queued, and PostgreSQL will not alter a table
        # with queued checks: run them now. Django's keys are all DEFERRABLE INITIALLY DEFERRED, so
        # "deferred" afterwards is the state the transaction began in.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table, name, _definition in keys:
        _scalar(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    for name, _definition in indexes:
        _scalar(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))  # regclass text: already quoted as needed
    yield
    progress.stage("indexes")
    for _name, definition in indexes:
        _scalar(sql.SQL(definition))
    for table, name, definition in keys:
        _scalar(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )
    _scalar(sql.SQL("SET CONSTRAINTS ALL DEFERRED"))


def seed_bench(*, plan: Plan, seed: int, force: bool = False, progress: Progress | None = None) -> Summary:
    """Write the benchmark world in one transaction: all of it, or (on any error) nothing."""
    from signals.escalation import escalation_candidates

    progress = progress or NoProgress()
    check_database(force=force)
    rows: dict[str, int] = {}
    with transaction.atomic(), _bulk_load(BULK_LOADED, progress):
        # Ids are given here (COPY), so nobody else may take one until the sequences have caught up.
        _scalar(sql.SQL("LOCK TABLE community_user, signals_signal IN SHARE ROW EXCLUSIVE MODE"))
        community, places, orgs, themes = _reference()
        world = World(plan, seed, timezone.now(), places, orgs)
        accounts, staff = _accounts(world, _next_id("community_user"))
        members = [a.person for a in accounts[: plan.users]]
        planned = world.signals(_next_id("signals_signal"), members)
        moves = sum(len(p.moves) for p in planned)
        lessons_and_answers = sum(p.status in (Status.RESOLVED_LOCALLY, Status.ANSWERED) for p in planned)
        progress.begin(
            4 * len(accounts) + 4 * plan.signals + 2 * plan.recognitions + plan.messages + 2 * moves
            + lessons_and_answers
        )  # fmt: skip
        rows["users"] = _write_people(world, community, accounts, progress)
        progress.stage("signals")
        rows["signals"] = _copy(
            "signals_signal", SIGNAL_COLUMNS, _signal_rows(world, community, planned, members, themes), progress
        )
        _sequence_catch_up("signals_signal")
        progress.stage("recognitions")
        rows["recognitions"] = _copy(
            "signals_recognition", RECOGNITION_COLUMNS, _recognition_rows(world, planned, members), progress
        )
        progress.stage("follows")
        first, last = planned[0].id, planned[-1].id
        rows["follows"] = _execute(FOLLOWS_INSERT, [community.pk, first, last])
        progress.advance(rows["follows"])
        progress.stage("messages")
        rows["messages"] = _copy(
            "signals_message", MESSAGE_COLUMNS, _message_rows(world, planned, members, staff), progress
        )
        progress.stage("timeline")
        kept = Timeline(subject_type=ContentType.objects.get_for_model(Signal, for_concrete_model=False).pk)
        rows["events"] = _copy(
            "signals_signalevent", EVENT_COLUMNS, _event_rows(world, community, planned, members, staff, kept), progress
        )
        rows["audit"] = _copy("community_auditentry", AUDIT_COLUMNS, kept.audit, progress)
        rows["lessons"] = _copy(
            "signals_lesson", ["text", "created_at", "author_id", "signal_id"], kept.lessons, progress
        )
        rows["answers"] = _copy(
            "signals_answer",
            ["text", "on_behalf_of", "created_at", "recorded_by_id", "signal_id"],
            kept.answers,
            progress,
        )
        progress.stage("counters")
        progress.advance(_execute(COUNTERS_UPDATE, [first, last]))
        progress.stage("search")
        progress.advance(Signal.objects.filter(community=community).update(search_vector=vector()))
        candidates = escalation_candidates(community.pk).count()
    return Summary(community=community, rows=rows, candidates=candidates)


def analyze() -> None:
    """Fresh planner statistics for the tables just filled; VACUUM too (visibility map for index-only scans)
    when not inside a transaction, where PostgreSQL does not allow it."""
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    for table in TABLES:
        _scalar(sql.SQL(verb + " {}").format(sql.Identifier(table)))
