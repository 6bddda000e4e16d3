"""Writes to the enterprise registry.  Each is atomic, attributed in the change log, and re-checks
that the result is still inside the actor's scope before committing."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from scorehub.accounts.models import Organisation
from scorehub.core.scoping import Action, ensure_visible, forget_scope
from scorehub.core.services import audited_write

from .models import BuyerConsent, ContactPerson, Enterprise


def enterprise_create(*, actor: Any, data: dict[str, Any]) -> Enterprise:
    with audited_write(actor):
        enterprise = Enterprise(**data)
        enterprise.full_clean()
        enterprise.save()
        ensure_visible(enterprise, actor, Action.MANAGE)
    return enterprise


def enterprise_update(*, actor: Any, enterprise: Enterprise, data: dict[str, Any]) -> Enterprise:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.CHANGE)
        for field, value in data.items():
            setattr(enterprise, field, value)
        enterprise.full_clean()
        enterprise.save()
        ensure_visible(enterprise, actor, Action.CHANGE)
    return enterprise


def enterprise_archive(*, actor: Any, enterprise: Enterprise) -> Enterprise:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.MANAGE)
        enterprise.archived_at = timezone.now()
        enterprise.save(update_fields=["archived_at", "updated_at"])
    return enterprise


def enterprise_restore(*, actor: Any, enterprise: Enterprise) -> Enterprise:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.MANAGE)
        enterprise.archived_at = None
        enterprise.save(update_fields=["archived_at", "updated_at"])
    return enterprise


def contact_save(*, actor: Any, enterprise: Enterprise, contact: ContactPerson) -> ContactPerson:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.CHANGE)
        contact.enterprise = enterprise
        contact.full_clean()
        if contact.is_primary:
            enterprise.contacts.exclude(pk=contact.pk).update(is_primary=False)
        contact.save()
    return contact


def contact_delete(*, actor: Any, contact: ContactPerson) -> None:
    with audited_write(actor):
        ensure_visible(contact.enterprise, actor, Action.CHANGE)
        contact.delete()


def consent_grant(*, actor: Any, enterprise: Enterprise, buyer: Organisation) -> BuyerConsent:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.CHANGE)
        existing = BuyerConsent.objects.active().filter(enterprise=enterprise, buyer=buyer).first()
        if existing is not None:
            return existing
        consent = BuyerConsent(enterprise=enterprise, buyer=buyer, granted_by=actor)
        consent.full_clean()
        consent.save()
    return consent


def consent_revoke(*, actor: Any, consent: BuyerConsent) -> BuyerConsent:
    with audited_write(actor):
        ensure_visible(consent.enterprise, actor, Action.CHANGE)
        consent.revoked_at = timezone.now()
        consent.revoked_by = actor
        consent.save(update_fields=["revoked_at", "revoked_by"])
    forget_scope(actor)
    return consent
