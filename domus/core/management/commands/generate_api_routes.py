"""``manage.py generate_api_routes``: write docs/API_ROUTES.md from the live URL conf."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from domus.core.route_table import render_markdown, route_table


class Command(BaseCommand):
    help = "Write the API route reference (docs/API_ROUTES.md) and the original systems' aliases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "docs" / "API_ROUTES.md"),
            help="File to write or check (default: docs/API_ROUTES.md).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--check", action="store_true", help="Exit non-zero when the file is missing or stale.")
        mode.add_argument(
            "--stdout", action="store_true", dest="print_only", help="Print the reference instead of writing it."
        )

    def handle(self, *args, output: str, check: bool, print_only: bool, **options) -> None:
        content = render_markdown(route_table())
        if print_only:
            self.stdout.write(content, ending="")
            return
        path = Path(output)
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != content:
                raise CommandError(f"{path} is stale: run `python manage.py generate_api_routes`.")
            self.stdout.write(f"{path} is up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
