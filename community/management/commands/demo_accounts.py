from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from community.demo import DEMO_PASSWORD, demo_accounts


class Command(BaseCommand):
    help = "Print the demo accounts, with TOTP secrets and recovery codes of demo coordinators and liaisons."

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = demo_accounts()
        if not accounts:
            self.stdout.write("No demo accounts (run manage.py seed_demo).")
            return
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts"))
        if settings.DEBUG:
            self.stdout.write(f"  Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write("  Or sign in with a code by email: the mail is printed in this console.")
        for account in accounts:
            self.stdout.write(f"  {account.email:<26} {account.name:<20} {account.role}")
            if account.totp_secret:
                self.stdout.write(f"      TOTP secret: {account.totp_secret}  (add it to an authenticator app)")
                self.stdout.write(f"      recovery codes: {' '.join(account.recovery_codes)}")
        self.stdout.write("")
