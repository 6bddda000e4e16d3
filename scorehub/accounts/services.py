"""Writes to organisations, people and memberships: atomic, audited, scope re-checked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scorehub.core.scoping import Action, ensure_visible
from scorehub.core.services import audited_write
from scorehub.enterprises.models import Enterprise

from .models import Membership, Organisation, ProviderAssignment, User


def organisation_create(*, actor: Any, data: dict[str, Any]) -> Organisation:
    with audited_write(actor):
        organisation = Organisation(**data)
        organisation.full_clean()
        organisation.save()
        ensure_visible(organisation, actor, Action.MANAGE)
    return organisation


def member_add(
    *,
    actor: Any,
    organisation: Organisation,
    username: str,
    display_name: str,
    role: str,
    password: str,
    email: str = "",
    phone: str = "",
) -> Membership:
    """Create a person's account and make them a member with a role (officials and managers do this)."""
    with audited_write(actor):
        ensure_visible(organisation, actor, Action.CHANGE)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This user name is taken.")})
        user = User(username=username, display_name=display_name, email=email, phone=phone)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        membership = Membership(user=user, organisation=organisation, role=role)
        membership.full_clean()
        membership.save()
    return membership


def member_remove(*, actor: Any, membership: Membership) -> None:
    with audited_write(actor):
        ensure_visible(membership.organisation, actor, Action.CHANGE)
        if membership.user_id == actor.pk:
            raise ValidationError(_("You cannot remove your own membership."))
        membership.delete()


def provider_assign(*, actor: Any, provider: Organisation, enterprise: Enterprise) -> ProviderAssignment:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.MANAGE)
        ensure_visible(provider, actor, Action.VIEW)
        assignment, _created = ProviderAssignment.objects.get_or_create(provider=provider, enterprise=enterprise)
    return assignment


def provider_unassign(*, actor: Any, assignment: ProviderAssignment) -> None:
    with audited_write(actor):
        ensure_visible(assignment.enterprise, actor, Action.MANAGE)
        assignment.delete()
