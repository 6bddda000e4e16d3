"""The ``scorehub`` console command: administrative work and Django's management commands.

scorehub demo [--enterprises N] [--seed S]   load the demo data set
scorehub import regions FILE                 add regions from a CSV
scorehub import enterprises FILE [--dry-run] import enterprises (all rows or none)
scorehub bench ...                           measure dashboards against a raw-SQL floor
scorehub <any Django command>                e.g. migrate, runserver, check --deploy
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scorehub.settings")
    # "scorehub import <kind> FILE" maps onto the management command "import_<kind>".
    if len(args) >= 3 and args[1] == "import":
        args = [args[0], f"import_{args[2].replace('-', '_')}", *args[3:]]
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads the settings: a refused configuration is one line, no traceback
    except ImproperlyConfigured as exc:
        sys.exit(f"scorehub: {exc}")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
