"""Print everything Knooppunt keeps about one person as JSON (the same document as their download)."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from community.models import User, UserManager
from community.personal_data import personal_data_export


class Command(BaseCommand):
    help = "Print the personal-data export of the person with this email address (as /settings/privacy/ gives it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="The person's email address (any case).")

    def handle(self, *args: Any, **options: Any) -> None:
        email = UserManager.normalize_email(options["email"])
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"No account has the email address {email!r}.")
        document = personal_data_export(user)
        self.stdout.write(json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
