"""Writes to organisations, people and memberships: atomic, audited, scope re-checked."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from scorehub.core.scoping import Action, ensure_visible
from scorehub.core.services import audited_write
from scorehub.enterprises.models import Enterprise

from .models import Membership, Organisation, ProviderAssignment, User
from .second_factor import check_code, confirmed_device, device_name

logger = logging.getLogger(__name__)


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


# --- Passwords and second factors (docs/accounts.md) -----------------------------------------------------
# A reset link holds no state of its own (Django's token generator signs the user's password hash, last
# sign-in and the time), so these events are written to the change log explicitly, on the person concerned.


def account_event_log(*, person: User, actor: Any, event: str, **details: Any) -> None:
    """One change-log entry on ``person``: ``event`` done by ``actor`` (who did what for whom)."""
    LogEntry.objects.log_create(
        person,
        force_log=True,
        action=LogEntry.Action.UPDATE,
        changes={},
        actor=actor if getattr(actor, "pk", None) else None,
        additional_data={"event": event, **details},
    )


def password_reset_link_create(*, actor: Any, person: User) -> tuple[str, str]:
    """A one-time link for ``person`` to set a new password: ``(uidb64, token)`` for the set-password URL.

    For an organisation's admin (whoever may change every organisation the person belongs to).  The link
    stops working once used, once the password changes otherwise, and after ``PASSWORD_RESET_TIMEOUT``.
    """
    with audited_write(actor):
        ensure_visible(person, actor, Action.CHANGE)
        if person.pk == actor.pk:
            raise ValidationError(_("Change your own password on My account instead."))
        if not person.is_active:
            raise ValidationError(_("This account is deactivated."))
        uidb64 = urlsafe_base64_encode(force_bytes(person.pk))
        token = default_token_generator.make_token(person)
        account_event_log(person=person, actor=actor, event="password reset link created")
    return uidb64, token


def password_reset_link_mail(*, person: User, link: str, valid_until: dt.datetime) -> bool:
    """E-mail a reset link to ``person`` (in Chinese and English: we do not know which they read).

    The mail holds the link, never a password.  False if it could not be sent (the admin is told to pass
    the link on themselves).
    """
    context = {"person": person, "link": link, "valid_until": timezone.localtime(valid_until)}
    subjects, bodies = [], []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            subjects.append(render_to_string("accounts/email/password_reset_link_subject.txt", context).strip())
            bodies.append(render_to_string("accounts/email/password_reset_link.txt", context).strip())
    try:
        send_mail(" / ".join(subjects), "\n\n----\n\n".join(bodies), None, [person.email])
    except (OSError, smtplib.SMTPException):
        logger.exception("The password reset link for user %s could not be mailed", person.pk)
        return False
    return True


def second_factor_enrol(*, actor: Any, key: str, last_time_step: int) -> TOTPDevice:
    """Keep the actor's own new TOTP device, confirmed with a code (``last_time_step``: that code's step,
    so the same code cannot be used again to sign in)."""
    with audited_write(actor):
        if TOTPDevice.objects.filter(user_id=actor.pk, confirmed=True).exists():
            raise ValidationError(_("You already have a second factor. Remove it before setting up another."))
        TOTPDevice.objects.filter(user_id=actor.pk).delete()
        device = TOTPDevice(user_id=actor.pk, name=device_name(), key=key, confirmed=True, last_t=last_time_step)
        device.full_clean()
        device.save()
        account_event_log(person=actor, actor=actor, event="second factor set up")
    return device


def second_factor_remove(*, actor: Any, person: User, code: str = "") -> int:
    """Remove every second-factor device of ``person``: one's own with a current code, or someone else's as
    their admin (a lost phone).  The person then signs in with the password alone, or sets up a new device
    if their role must use one."""
    if person.pk == actor.pk:
        # Checked before the write: a wrong code must still count towards django-otp's throttle.
        device = confirmed_device(actor)
        problem = _("There is no second factor to remove.") if device is None else check_code(device, code)
        if problem:
            raise ValidationError(problem)
    with audited_write(actor):
        if person.pk != actor.pk:
            ensure_visible(person, actor, Action.CHANGE)
        removed, _counts = TOTPDevice.objects.filter(user_id=person.pk).delete()
        if not removed:
            raise ValidationError(_("There is no second factor to remove."))
        account_event_log(person=person, actor=actor, event="second factor removed")
    return removed


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
