from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from community.demo import seed_demo
from community.models import User
from signals.demo import seed_signals


class Command(BaseCommand):
    help = "Load the demo region, organisations, community, people and signals (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Only when the database has no people yet.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has people; demo data not loaded.")
            return
        community = seed_demo()
        created = seed_signals(community)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {community.name}, {created} new signals."))
