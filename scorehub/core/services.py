"""Shared helpers for services: the atomic write with audit actor and scope re-check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from auditlog.context import auditlog_value, set_actor
from django.db import transaction


@contextlib.contextmanager
def audited_write(actor: Any) -> Iterator[None]:
    """One atomic write, attributed to ``actor`` in the change log.

    Services wrap their work in this and call ``ensure_visible(obj, actor, action)`` before leaving
    the block, so a write that would put a record outside the actor's scope is rolled back whole.
    """
    # auditlog's context manager overwrites its context variable and never restores it; inside a
    # request (whose middleware already set one) that would orphan the outer context, so the outer
    # value is put back afterwards.
    outer = auditlog_value.get(None)
    # The request's client address (set by scorehub.core.middleware.AuditlogMiddleware) stays on the entries.
    remote_addr = outer.get("remote_addr") if outer else None
    remote_port = outer.get("remote_port") if outer else None
    try:
        with transaction.atomic(), set_actor(actor, remote_addr=remote_addr, remote_port=remote_port):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)
