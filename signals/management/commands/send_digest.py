from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from community.models import Community
from signals import digests
from signals.models import DigestStatus


class Command(BaseCommand):
    help = (
        "Compile the digest now (outside the schedule) for every community or one; with --dry-run, only print "
        "what would be in it. A community that needs approval gets a draft for its coordinators; otherwise it "
        "is approved and sent at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", metavar="SLUG", help="Only this community.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would be in it; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        communities = Community.objects.order_by("name")
        if options["community"]:
            communities = communities.filter(slug=options["community"])
            if not communities:
                raise CommandError(f"There is no community {options['community']!r}.")
        now = timezone.now().replace(second=0, microsecond=0)
        for community in communities:
            if options["dry_run"]:
                self._would(community)
                continue
            digest = digests.digest_compile(community, now)
            if digest is None:
                self.stdout.write(f"{community.name}: nothing to compile.")
                continue
            digest.refresh_from_db()
            state = "awaiting approval" if digest.status == DigestStatus.DRAFT else digest.get_status_display()
            count = digest.items.filter(held_back=False).count()
            self.stdout.write(
                self.style.SUCCESS(f"{community.name}: digest #{digest.pk} with {count} signals ({state}).")
            )

    def _would(self, community: Community) -> None:
        signals = digests.candidates(community)
        held = digests.held_back(community)
        self.stdout.write(f"{community.name}: {len(signals)} signals would be in the digest.")
        for signal in signals:
            self.stdout.write(
                f"  #{signal.pk} {signal.title!r} ({signal.theme.slug}, {signal.recognition_count} recognitions)"
            )
        for item in held:
            self.stdout.write(
                f"  held back earlier, for a decision: #{item.signal_id} {item.signal.title!r}: {item.held_back_reason}"
            )
