from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from community.models import Community
from signals import escalation
from signals.models import Signal


class Command(BaseCommand):
    help = (
        "Evaluate open signals against their community's escalation rule now, and print what was decided and why. "
        "The same evaluation as the Celery task after a recognition and the sweep on beat; safe to run any time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--signal", type=int, metavar="ID", help="Only this signal.")
        parser.add_argument("--community", metavar="SLUG", help="Only this community's open signals.")
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="The language of the reasons (default: the site's).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            if options["signal"] is not None:
                decision = escalation.signal_evaluate(options["signal"])
                if decision is None:
                    raise CommandError(f"There is no signal {options['signal']}.")
                decisions = [decision]
            else:
                community_id = None
                if options["community"]:
                    community = Community.objects.filter(slug=options["community"]).first()
                    if community is None:
                        raise CommandError(f"There is no community {options['community']!r}.")
                    community_id = community.pk
                decisions = list(escalation.signals_evaluate(escalation.open_signals(community_id)))
        titles = dict(Signal.objects.filter(pk__in=[d.signal_id for d in decisions]).values_list("pk", "title"))
        for decision in decisions:
            verdict = self.style.SUCCESS("escalated") if decision.escalated else "not escalated"
            title = titles.get(decision.signal_id, "")
            self.stdout.write(f"#{decision.signal_id} {title!r}: {verdict}. {decision.why}")
        escalated = sum(d.escalated for d in decisions)
        self.stdout.write(f"{len(decisions)} evaluated, {escalated} escalated.")
