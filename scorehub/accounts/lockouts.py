"""Sign-in lockouts: who is locked out, and the official way to unlock.

django-axes counts failed sign-ins per account *and* client address (``AXES_LOCKOUT_PARAMETERS``; the
address from ``scorehub.core.clientip``) and locks that pair for ``AXES_COOLOFF_TIME`` after
``AXES_FAILURE_LIMIT`` failures.  Whoever may change an organisation (its officials, the programme office,
an enterprise's manager; the same people who add and remove its members) may lift the lock of any of its
members early; the change log keeps who did it, when, and which addresses were locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from scorehub.core.scoping import Action, OutOfScope, ensure_visible
from scorehub.core.services import audited_write

from .models import Organisation, User


@dataclass(frozen=True)
class FailedSignIns:
    """Recent failed sign-ins of one account from one address, as axes counts them."""

    username: str
    ip_address: str | None
    failures: int
    last_failure: dt.datetime
    #: When the lock ends (None: not locked, the failures are below the limit).
    locked_until: dt.datetime | None

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None


def failed_sign_ins(usernames: list[str]) -> list[FailedSignIns]:
    """The failed sign-ins that still count (inside the cool-off) for these accounts, one per address."""
    cool_off = get_cool_off() or dt.timedelta(0)
    threshold = timezone.now() - cool_off
    rows = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=threshold)
        .values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
        .order_by("username", "-last_failure")
    )
    return [
        FailedSignIns(
            username=row["username"],
            ip_address=row["ip_address"],
            failures=row["failures"],
            last_failure=row["last_failure"],
            # Failures during a lock are not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the
            # last recorded failure is the one that locked.
            locked_until=row["last_failure"] + cool_off if row["failures"] >= settings.AXES_FAILURE_LIMIT else None,
        )
        for row in rows
    ]


def lockout_reset(*, actor: Any, organisation: Organisation, username: str) -> int:
    """Unlock a member of ``organisation`` from every address; returns how many attempt records went."""
    with audited_write(actor):
        ensure_visible(organisation, actor, Action.CHANGE)
        user = User.objects.filter(memberships__organisation=organisation, username=username).first()
        if user is None:
            raise OutOfScope
        addresses = sorted(
            {
                str(address)
                for address in AccessAttempt.objects.filter(username=user.username).values_list("ip_address", flat=True)
            }
        )
        removed = axes_reset(username=user.username)
        LogEntry.objects.log_create(
            user,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes={"sign-in lockout": ["locked", "unlocked"]},
            actor=actor,
            additional_data={"unlocked_addresses": addresses, "attempt_records": removed},
        )
    return removed
