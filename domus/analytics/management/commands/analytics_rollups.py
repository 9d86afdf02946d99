"""Rebuild the dashboards' roll-ups from the source tables, or check them against a recount."""

from django.core.management.base import BaseCommand, CommandError

from domus.analytics import rollups


class Command(BaseCommand):
    help = "Rebuild the dashboard roll-ups (default), or --check that they equal a full recount."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare with a recount; exit 1 when they differ.")

    def handle(self, *args, check: bool = False, **options) -> None:
        if check:
            stored, recount = rollups.rollup_stored(), rollups.rollup_recount()
            if stored != recount:
                missing, extra = set(recount) - set(stored), set(stored) - set(recount)
                raise CommandError(f"Roll-ups differ from a recount: {len(missing)} missing, {len(extra)} stale.")
            self.stdout.write(f"Roll-ups equal a recount ({len(stored)} counters).")
            return
        self.stdout.write(f"Rebuilt {rollups.rollup_rebuild()} counters.")
