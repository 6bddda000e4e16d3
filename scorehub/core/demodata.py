"""The demo data set: reproducible, realistic, synthetic.

``scorehub demo`` builds a :class:`DemoContext` and hands it to the ``build(ctx)`` function of every
SCORE Hub app that has a ``demo.py`` module, in ``INSTALLED_APPS`` order; each app adds its records and
may read what earlier apps left in the context (personas, organisations, enterprises).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import transaction
from django.utils import timezone

#: Every demo persona signs in with this password (listed in the README).
DEMO_PASSWORD = "score-demo"  # noqa: S105 - public demo credential, printed by `make run`


@dataclass
class DemoContext:
    seed: int
    enterprise_count: int
    rng: random.Random
    today: dt.date
    users: dict[str, Any] = field(default_factory=dict)
    organisations: dict[str, Any] = field(default_factory=dict)
    enterprises: list[Any] = field(default_factory=list)
    #: Free-form notes that apps leave for later apps (e.g. "persona_enterprise").
    notes: dict[str, Any] = field(default_factory=dict)

    def aware(self, day: dt.date, hour: int = 9) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour=hour)))


def demo_modules() -> list[Any]:
    modules = []
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("scorehub."):
            continue
        try:
            modules.append(import_module(f"{app_config.name}.demo"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{app_config.name}.demo":
                raise
    return modules


def build_demo(*, enterprise_count: int = 60, seed: int = 2017, today: dt.date | None = None) -> DemoContext:
    ctx = DemoContext(
        seed=seed,
        enterprise_count=enterprise_count,
        rng=random.Random(seed),  # noqa: S311 - reproducible synthetic data, not security
        today=today or timezone.localdate(),
    )
    from auditlog.context import disable_auditlog

    # The demo is one transaction: it loads whole or not at all.  Its records are not "changes" by
    # anyone, so they stay out of the change log.
    with transaction.atomic(), disable_auditlog():
        for module in demo_modules():
            module.build(ctx)
    return ctx
