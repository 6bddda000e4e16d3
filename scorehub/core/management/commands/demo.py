from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from scorehub.core.demodata import DEMO_PASSWORD, build_demo
from scorehub.enterprises.models import Enterprise


class Command(BaseCommand):
    help = "Load the reproducible demo data set (personas, organisations, enterprises and programme records)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enterprises", type=int, default=60, help="number of enterprises (default 60)")
        parser.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (and succeed) when the database already has data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Enterprise.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; the demo data set was not loaded.")
                return
            raise CommandError("The database already has enterprises. Load the demo into an empty database.")
        if options["enterprises"] < 10:
            raise CommandError("The demo needs at least 10 enterprises.")
        ctx = build_demo(enterprise_count=options["enterprises"], seed=options["seed"])
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {len(ctx.enterprises)} enterprises."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, user in ctx.users.items():
            roles = ", ".join(f"{m.get_role_display()} @ {m.organisation.name_zh}" for m in user.memberships.all())
            self.stdout.write(f"  {username:<18} {roles}")
