"""``manage.py ledger_verify``: every transaction balances and each company's debits equal its credits."""

import json

from django.core.management.base import BaseCommand, CommandError

from domus.finance.services import ledger_verify


class Command(BaseCommand):
    help = "Verify the double-entry ledger (exit status 1 when something does not balance)."

    def handle(self, *args, **options) -> None:
        report = ledger_verify()
        self.stdout.write(json.dumps(report, indent=2))
        if not report["ok"]:
            raise CommandError("The ledger does not balance.")
