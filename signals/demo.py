"""Demo signals for Hart van Brabant, written as practitioners and status holders write them.

Idempotent: a signal whose title already exists in the community is left
alone. Everything goes through the domain functions, so counters, timelines,
lessons and the merge are what the product itself would make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from community.models import Community, Language, Municipality, User
from signals.limits import posting_limits_suspended
from signals.models import Signal, Status, Theme
from signals.services import recognition_add, signal_create, signal_merge
from signals.workflow import signal_transition

NL, EN, AR = Language.DUTCH, Language.ENGLISH, Language.ARABIC
ESCALATES_NEXT = "Huurtoeslag komt pas maanden na de sleuteloverdracht op gang"


@dataclass(frozen=True)
class DemoSignal:
    reporter: str  # the part of the demo address before the @
    theme: str
    municipality: str
    title: str
    description: str
    language: Language = NL
    recognisers: tuple[str, ...] = ()
    days_ago: int = 10
    lesson: str = ""
    closed: str = ""
    escalate: str = ""
    tags: dict[str, str] = field(default_factory=dict)


SIGNALS = [
    DemoSignal("linda", "housing", "GM0855", "Grote gezinnen wachten jaren op een passende woning",
               "Gezinnen met vijf of meer kinderen krijgen een urgentie, maar er zijn bijna geen woningen met vier "
               "slaapkamers. Ze blijven daardoor maanden langer in het azc dan de taakstelling toelaat.",
               recognisers=("jeroen", "karin", "hiwet", "fatma", "eva", "samira"), days_ago=60),
    DemoSignal("jeroen", "housing", "GM0867", "Koppeling aan gemeente zonder woning in zicht",
               "Statushouders worden aan Waalwijk gekoppeld terwijl er de komende maanden geen vrije sociale "
               "huurwoning is. De termijn van tien weken halen we niet.",
               recognisers=("linda", "karin", "bram"), days_ago=45),
    DemoSignal("karin", "housing", "GM0797", "Onzelfstandige woonruimte voor alleenstaanden ontbreekt",
               "Alleenstaande jongeren willen best een kamer delen, maar onze woningcorporatie heeft geen contracten "
               "voor onzelfstandige woonruimte. Daardoor wachten ze op een volledige woning.",
               recognisers=("noor", "eva"), days_ago=30),
    DemoSignal("ahmad", "housing", "GM0855", "لا أجد بيتًا مع عائلتي منذ سنة",
               "نعيش في مركز اللجوء منذ سنة مع ثلاثة أطفال. البلدية تقول إنه لا يوجد بيت مناسب. الأطفال يغيّرون "
               "المدرسة كل مرة ننتقل فيها.",
               language=AR, recognisers=("samira", "hiwet"), days_ago=20),
    DemoSignal("fatma", "housing", "GM0784", "Tijdelijke woonunits worden niet verlengd",
               "De vergunning voor de woonunits loopt af. Bewoners weten niet waar ze straks heen moeten en de "
               "begeleiding moet opnieuw beginnen.",
               recognisers=("jeroen",), days_ago=12),
    DemoSignal("noor", "civic-integration", "GM0809", "Wachtlijst voor de taalschool na de start van de inburgering",
               "Sinds de nieuwe Wet inburgering moeten statushouders snel starten, maar onze taalschool heeft een "
               "wachtlijst van drie maanden. De termijn loopt al terwijl er nog geen les is.",
               recognisers=("linda", "karin", "eva", "bram", "hiwet", "yonas", "samira", "jeroen"), days_ago=50),
    DemoSignal("hiwet", "civic-integration", "GM0766", "Ik kan niet naar taalles, er is geen opvang voor mijn baby",
               "De les is 's ochtends. Er is geen kinderopvang voor mijn baby. Zonder les haal ik mijn examen niet op tijd.",
               recognisers=("samira", "ahmad", "noor", "eva"), days_ago=25),
    DemoSignal("yonas", "civic-integration", "GM0867", "No childcare during Dutch lessons",
               "My wife cannot attend the Dutch course because the lessons are in the morning and there is no "
               "childcare. She wants to learn but has to stay home.",
               language=EN, recognisers=("hiwet",), days_ago=22),
    DemoSignal("noor", "civic-integration", "GM0809", "Lesmateriaal niet beschikbaar voor analfabete deelnemers",
               "Voor deelnemers die niet leren lezen en schrijven in hun eigen taal is er te weinig geschikt materiaal. "
               "De Z-route is daardoor in de praktijk moeilijk in te vullen.",
               recognisers=("karin",), days_ago=15),
    DemoSignal("eva", "civic-integration", "GM0798", "Vervoer naar de taalschool in Tilburg te duur",
               "Vanuit Hilvarenbeek is de bus naar de taalschool duur. Er is geen vergoeding voor deelnemers op de "
               "B1-route, dus sommigen komen niet.",
               recognisers=("noor", "karin", "jeroen"), days_ago=18,
               lesson="De gemeente vergoedt nu een buspas via het inburgeringsbudget; aanvraag via de klantmanager."),
    DemoSignal("bram", "work", "GM0824", "Werkgevers weten niet dat statushouders mogen werken",
               "Bij gesprekken met werkgevers horen we vaak dat ze denken dat er een tewerkstellingsvergunning nodig is. "
               "Dat is voor statushouders niet zo.",
               recognisers=("linda", "jeroen", "fatma", "noor", "eva"), days_ago=40),
    DemoSignal("bram", "work", "GM0824", "Diploma's worden niet op tijd gewaardeerd",
               "De diplomawaardering duurt maanden. Gekwalificeerde mensen werken intussen onder hun niveau of niet.",
               recognisers=("karin", "yonas"), days_ago=28),
    DemoSignal("yonas", "work", "GM0867", "I lose my benefit when I start a part-time job",
               "I found a job for 16 hours, but my benefit stops first and the salary comes later. For one month we "
               "had no money for rent.",
               language=EN, recognisers=("hiwet", "ahmad", "jeroen"), days_ago=14),
    DemoSignal("jeroen", "work", "GM0867", "Werkfit-trajecten botsen met de lestijden van de inburgering",
               "Deelnemers moeten kiezen tussen het werkfit-traject en de taallessen, omdat beide op dezelfde "
               "ochtenden zijn.",
               recognisers=("bram",), days_ago=9,
               lesson="In overleg met de taalschool zijn de lessen voor deze groep naar de middag verplaatst."),
    DemoSignal("samira", "work", "GM0797", "أريد أن أعمل كممرضة لكن شهادتي لا تُقبل",
               "كنت ممرضة في سوريا لمدة عشر سنوات. هنا يقولون إن شهادتي غير كافية ولا أعرف أين أبدأ.",
               language=AR, recognisers=("eva",), days_ago=11),
    DemoSignal("eva", "health", "GM0798", "Geen tolk bij de huisarts",
               "Huisartsen mogen de tolkentelefoon niet meer vergoed krijgen. Patiënten nemen hun kinderen mee als tolk.",
               recognisers=("linda", "karin", "hiwet", "samira", "ahmad", "fatma", "noor"), days_ago=55),
    DemoSignal("karin", "health", "GM0797", "Lange wachttijd voor traumabehandeling",
               "Statushouders met trauma wachten meer dan een half jaar op behandeling. Dat belemmert taal en werk.",
               recognisers=("eva", "fatma"), days_ago=35),
    DemoSignal("ahmad", "health", "GM0855", "طبيب الأسنان لا يقبل مرضى جددًا",
               "اتصلت بخمسة أطباء أسنان في تيلبورخ. كلهم يقولون إنه لا توجد أماكن لمرضى جدد.",
               language=AR, recognisers=("samira",), days_ago=8),
    DemoSignal("fatma", "health", "GM0784", "Zorgverzekering niet geregeld bij uitstroom uit het azc",
               "Bij verhuizing uit het azc vervalt de regeling zorgverzekering asielzoekers. Soms zit er weken "
               "tussen voordat de nieuwe verzekering actief is.",
               recognisers=("linda", "jeroen", "eva"), days_ago=33,
               lesson="Bij de sleuteloverdracht regelt de klantmanager nu samen met de statushouder de zorgverzekering."),
    DemoSignal("linda", "income", "GM0855", "Schulden door te late start van de uitkering",
               "De eerste uitkering komt vaak pas na zes weken. Ondertussen lopen huur en energie door en ontstaan "
               "er schulden.",
               recognisers=("jeroen", "karin", "hiwet", "yonas", "fatma"), days_ago=47),
    # One short of the demo rule (6 people in 3 municipalities and 2 organisations, 1 status holder): 5 people
    # in Tilburg and Waalwijk. When Karin (Heusden) recognises it, the rule escalates it (README, "Try it").
    DemoSignal("linda", "income", "GM0855", ESCALATES_NEXT,
               "Statushouders krijgen de huurtoeslag pas maanden na de sleuteloverdracht. Intussen lopen de "
               "huurachterstanden op en volgt een betalingsregeling bij de corporatie.",
               recognisers=("ahmad", "marieke", "jeroen", "yonas"), days_ago=3),
    DemoSignal("jeroen", "income", "GM0867", "Inrichtingskosten: lening in plaats van gift",
               "De inrichting van de woning wordt in Waalwijk als lening verstrekt. Statushouders beginnen met een "
               "schuld van enkele duizenden euro's.",
               recognisers=("linda", "karin"), days_ago=26),
    DemoSignal("hiwet", "income", "GM0766", "Ik begrijp de brieven van de Belastingdienst niet",
               "Ik krijg brieven over toeslagen. Ik weet niet of ik moet betalen of niet. Niemand kan het uitleggen.",
               recognisers=("ahmad", "yonas", "samira"), days_ago=16),
    DemoSignal("karin", "income", "GM0797", "Toeslagen worden teruggevorderd na verhuizing",
               "Na verhuizing naar een andere gemeente worden toeslagen herberekend en deels teruggevorderd. "
               "Gezinnen weten niet dat ze de wijziging moeten doorgeven.",
               recognisers=("linda",), days_ago=13),
    DemoSignal("fatma", "family-reunification", "GM0784", "Nareizigers komen aan zonder woonruimte",
               "Als het gezin via gezinshereniging komt, is de woning van de referent vaak te klein. Er is geen "
               "snelle oplossing.",
               recognisers=("linda", "jeroen", "karin", "bram"), days_ago=42),
    DemoSignal("samira", "family-reunification", "GM0797", "أنتظر زوجي منذ سنتين",
               "قدّمت طلب لمّ الشمل منذ سنتين. لا أحد يخبرني متى سيأتي. الانتظار صعب على أطفالي.",
               language=AR, recognisers=("ahmad", "hiwet", "yonas"), days_ago=19),
    DemoSignal("linda", "family-reunification", "GM0855", "Leges voor gezinshereniging te hoog voor gezinnen met een uitkering",
               "De kosten voor documenten en reizen zijn voor gezinnen met een bijstandsuitkering niet op te brengen.",
               recognisers=("fatma",), days_ago=7),
    DemoSignal("noor", "education", "GM0809", "Geen plek in de schakelklas",
               "Kinderen van statushouders wachten op een plek in de schakelklas en zitten intussen thuis.",
               recognisers=("eva", "karin", "linda"), days_ago=38),
    DemoSignal("yonas", "education", "GM0867", "No school place for my 17-year-old son",
               "My son is 17. The school says he is too old for the international class and too young for adult "
               "education. He stays at home.",
               language=EN, recognisers=("hiwet", "noor"), days_ago=10),
    DemoSignal("eva", "education", "GM0798", "Ouders missen informatie over het Nederlandse schoolsysteem",
               "Ouders weten niet wat een ouderavond is of hoe het schooladvies werkt. Scholen hebben geen "
               "vertaalde informatie.",
               recognisers=("noor",), days_ago=6,
               lesson="De bibliotheek organiseert nu maandelijks een ouderochtend met een tolk; scholen verwijzen ernaar."),
    DemoSignal("sanne", "guidance", "GM0785", "Maatschappelijke begeleiding stopt na achttien maanden",
               "Na de begeleidingsperiode valt de ondersteuning weg, terwijl veel gezinnen nog hulp nodig hebben bij "
               "post en afspraken.",
               recognisers=("linda", "jeroen", "karin", "fatma", "eva", "hiwet"), days_ago=44),
    DemoSignal("karin", "guidance", "GM0797", "Te veel wisselende contactpersonen",
               "Een gezin heeft soms vijf verschillende contactpersonen bij gemeente, VluchtelingenWerk en "
               "corporatie. Niemand heeft het overzicht.",
               recognisers=("sanne", "linda"), days_ago=24),
    DemoSignal("ahmad", "guidance", "GM0855", "أحتاج مساعدة في فهم الرسائل",
               "تصلني رسائل كثيرة من البلدية والضرائب. لا أفهمها. لا أعرف لمن أذهب.",
               language=AR, recognisers=("samira", "hiwet"), days_ago=5),
    DemoSignal("sanne", "rules", "GM0855", "Kostendelersnorm bij inwonende volwassen kinderen",
               "Zodra een kind 21 wordt, gaat de uitkering van het gezin omlaag. Jongeren voelen zich gedwongen "
               "het huis te verlaten.",
               recognisers=("linda", "jeroen", "fatma", "karin", "bram"), days_ago=52,
               escalate="Speelt in vijf gemeenten; de kostendelersnorm is een landelijke regel."),
    DemoSignal("jeroen", "rules", "GM0867", "Termijn van de taakstelling past niet bij de woningmarkt",
               "De halfjaarlijkse taakstelling houdt geen rekening met de beschikbaarheid van woningen in kleinere "
               "gemeenten.",
               recognisers=("karin",), days_ago=21),
    DemoSignal("bram", "rules", "GM0824", "Bijverdienen tijdens de inburgering wordt ontmoedigd",
               "De regels rond bijverdiensten zijn zo ingewikkeld dat klantmanagers afraden om te werken tijdens de "
               "inburgering.",
               recognisers=("yonas",), days_ago=4),
    DemoSignal("eva", "other", "GM0798", "Geen fietslessen voor volwassen vrouwen",
               "Vrouwen willen graag fietsen om zelfstandig naar werk en school te gaan, maar er is geen aanbod.",
               recognisers=("samira", "hiwet"), days_ago=17,
               closed="solved"),
    DemoSignal("linda", "other", "GM0855", "Bibliotheekpas niet gratis voor statushouders",
               "In Tilburg betalen volwassen statushouders voor de bibliotheekpas, terwijl de bieb juist helpt bij "
               "taal en digitale vaardigheden.",
               recognisers=(), days_ago=3),
    DemoSignal("hiwet", "housing", "GM0766", "Huis is koud en vochtig",
               "Ons huis is koud. Er zit schimmel op de muur. De kinderen zijn vaak ziek. De verhuurder komt niet.",
               recognisers=("ahmad",), days_ago=2),
    DemoSignal("karin", "housing", "GM0797", "Gezinnen met veel kinderen vinden geen woning",
               "In Heusden zijn er geen grote woningen; gezinnen met zes kinderen wachten erg lang.",
               recognisers=("fatma",), days_ago=1),
]  # fmt: skip

# The last one repeats the first: the demo shows how a duplicate is merged.
MERGE = ("Gezinnen met veel kinderen vinden geen woning", "Grote gezinnen wachten jaren op een passende woning")


def _person(part: str) -> User:
    return User.objects.get(email=f"{part}@knooppunt.test")


def _place(user: User) -> Municipality:
    return user.municipalities.order_by("pk").first()  # type: ignore[return-value]


@transaction.atomic
@posting_limits_suspended()
def seed_signals(community: Community) -> int:
    """Create the demo signals that are not there yet; return how many were created. The demo people
    post more in a moment than anyone may (signals.limits): nobody is counted while it loads."""
    existing = set(Signal.objects.filter(community=community).values_list("title", flat=True))
    moderator, coordinator = _person("sanne"), _person("marieke")
    themes = {theme.slug: theme for theme in Theme.objects.all()}
    created = 0
    for demo in SIGNALS:
        if demo.title in existing:
            continue
        reporter = _person(demo.reporter)
        signal = signal_create(
            actor=reporter,
            community=community,
            title=demo.title,
            description=demo.description,
            theme=themes[demo.theme],
            municipality=Municipality.objects.get(cbs_code=demo.municipality),
            language=demo.language,
            recognised_from=_place(reporter),
        )
        for part in demo.recognisers:
            recogniser = _person(part)
            recognition_add(actor=recogniser, signal=signal, municipality=_place(recogniser))
        if demo.lesson:
            signal_transition(actor=moderator, signal=signal, to=Status.RESOLVED_LOCALLY, lesson=demo.lesson)
        if demo.closed:
            signal_transition(actor=coordinator, signal=signal, to=Status.CLOSED, outcome=demo.closed)
        if demo.escalate:
            signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason=demo.escalate)
        when = timezone.now() - timedelta(days=demo.days_ago)
        Signal.objects.filter(pk=signal.pk).update(created_at=when)
        created += 1
    duplicate = Signal.objects.filter(community=community, title=MERGE[0], status=Status.OPEN).first()
    survivor = Signal.objects.filter(community=community, title=MERGE[1]).first()
    if duplicate and survivor:
        signal_merge(actor=moderator, source=duplicate, target=survivor, reason="Hetzelfde knelpunt, ook in Heusden.")
    return created
