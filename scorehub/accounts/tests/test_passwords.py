"""Passwords: a user changes their own; an organisation's admin creates a one-time reset link for someone in reach.

No password is ever shown or mailed: the admin sees the link once, the person sets the password behind it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from auditlog.models import LogEntry
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from scorehub.accounts.models import Membership, Organisation, User
from scorehub.core.demodata import DEMO_PASSWORD
from scorehub.core.scoping import Role

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Lake-Taihu-Silk-2026"
LINK = re.compile(r"http://testserver/accounts/reset/[\w-]+/[\w-]+/")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def signed_in(client: Client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def account_events(person: User) -> list[tuple[str, str | None]]:
    entries = LogEntry.objects.get_for_object(person).filter(additional_data__has_key="event").order_by("pk")
    return [(e.additional_data["event"], e.actor.username if e.actor else None) for e in entries]


def create_link(client: Client, person: User):
    return client.post(f"/accounts/people/{person.pk}/password-reset-link/")


def link_in(response) -> str:
    found = LINK.search(response.content.decode())
    assert found, "the page shows no reset link"
    return found.group(0)


# --- Changing one's own password -----------------------------------------------------------------------


def test_user_changes_their_password_and_stays_signed_in(client_as, persona):
    client = client_as("huzhou_official")
    page = client.get("/accounts/me/password/")
    assert page.status_code == 200
    assert 'name="old_password"' in page.content.decode()
    response = client.post(
        "/accounts/me/password/",
        {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"
    assert persona("huzhou_official").check_password(NEW_PASSWORD)
    assert signed_in(client)  # update_session_auth_hash kept this session valid
    assert account_events(persona("huzhou_official")) == [("password changed", "huzhou_official")]


def test_password_change_signs_out_the_other_sessions(client_as, persona):
    elsewhere = Client()
    elsewhere.force_login(persona("huzhou_official"))
    assert signed_in(elsewhere)
    client = client_as("huzhou_official")
    client.post(
        "/accounts/me/password/",
        {"old_password": DEMO_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert not signed_in(elsewhere)
    assert signed_in(client)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("wrong-old-password", NEW_PASSWORD, "old_password"),
        (DEMO_PASSWORD, "12345678", "new_password2"),  # too common, entirely numeric
        (DEMO_PASSWORD, "short", "new_password2"),
    ],
)
def test_password_change_needs_the_current_password_and_passes_the_validators(client_as, persona, old, new, field):
    client = client_as("huzhou_official")
    client.cookies["scorehub_language"] = "zh-hans"
    response = client.post("/accounts/me/password/", {"old_password": old, "new_password1": new, "new_password2": new})
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in response.content.decode()
    assert persona("huzhou_official").check_password(DEMO_PASSWORD)
    assert account_events(persona("huzhou_official")) == []


def test_the_account_menu_and_my_account_link_to_password_and_second_factor(client_as):
    client = client_as("trainer")
    home = client.get("/").content.decode()
    assert 'href="/accounts/me/password/"' in home
    profile = client.get("/accounts/me/").content.decode()
    assert 'href="/accounts/me/password/"' in profile
    assert 'href="/accounts/me/second-factor/"' in profile


# --- A reset link from the organisation's admin -----------------------------------------------------------


def test_official_creates_a_one_time_link_that_is_shown_once_and_mailed_without_a_password(client_as, persona):
    inspector = persona("nanxun_inspector")
    inspector.email = "lu.zhiqiang@nanxun.example.cn"
    inspector.save()
    client = client_as("huzhou_official")
    person_page = client.get(f"/accounts/people/{inspector.pk}/")
    assert person_page.status_code == 200
    assert 'data-testid="create-reset-link"' in person_page.content.decode()

    response = create_link(client, inspector)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    link = link_in(response)
    assert DEMO_PASSWORD not in response.content.decode()
    assert 'data-testid="reset-link-mailed"' in response.content.decode()
    # Mailed: the link, in Chinese and English, and no password.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lu.zhiqiang@nanxun.example.cn"]
    assert link in message.body
    assert DEMO_PASSWORD not in message.body
    with translation.override("zh-hans"):
        assert gettext("Set your SCORE Hub password") in message.subject
    assert "Set your SCORE Hub password" in message.subject
    # Who created a link for whom.
    assert account_events(inspector) == [("password reset link created", "huzhou_official")]

    # The person opens it without being signed in: the token moves into the session, then the form.
    anonymous = Client()
    opened = anonymous.get(link)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert form_url.endswith("/set-password/")
    form_page = anonymous.get(form_url)
    assert 'data-testid="set-password-form"' in form_page.content.decode()
    assert "nanxun_inspector" in form_page.content.decode()
    done = anonymous.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    assert persona("nanxun_inspector").check_password(NEW_PASSWORD)
    assert account_events(inspector)[-1] == ("password set with a reset link", "nanxun_inspector")
    assert (
        anonymous.post("/accounts/login/", {"username": "nanxun_inspector", "password": NEW_PASSWORD}).status_code
        == 302
    )

    # Used once: the same link no longer works, and the password stays.
    again = Client().get(link)
    assert again.status_code == 200
    assert 'data-testid="reset-link-invalid"' in again.content.decode()
    assert persona("nanxun_inspector").check_password(NEW_PASSWORD)


def test_a_link_stops_working_when_the_password_changes_otherwise(client_as, persona):
    inspector = persona("nanxun_inspector")
    link = link_in(create_link(client_as("huzhou_official"), inspector))
    inspector.set_password("Another-Good-Pass-77")
    inspector.save()
    response = Client().get(link)
    assert 'data-testid="reset-link-invalid"' in response.content.decode()


def test_a_link_stops_working_when_the_person_signs_in_with_the_old_password(client_as, persona):
    link = link_in(create_link(client_as("huzhou_official"), persona("nanxun_inspector")))
    Client().post("/accounts/login/", {"username": "nanxun_inspector", "password": DEMO_PASSWORD})
    assert 'data-testid="reset-link-invalid"' in Client().get(link).content.decode()


def test_a_link_expires_after_three_days(client_as, persona):
    assert dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT) == dt.timedelta(days=3)
    inspector = persona("nanxun_inspector")
    with time_machine.travel(START, tick=False) as traveller:
        link = link_in(create_link(client_as("huzhou_official"), inspector))
        traveller.shift(dt.timedelta(days=3) - dt.timedelta(minutes=1))
        assert Client().get(link).status_code == 302  # still valid: on to the form
        traveller.shift(dt.timedelta(minutes=1, seconds=1))
        expired = Client().get(link)
    assert expired.status_code == 200
    assert 'data-testid="reset-link-invalid"' in expired.content.decode()


@pytest.mark.parametrize(
    "path", ["/accounts/reset/Mg/not-a-token/", "/accounts/reset/%E2%9C%93/x-y/", "/accounts/reset/99999/set-password/"]
)
def test_a_made_up_link_answers_a_clear_page_not_an_error(client, path):
    client.cookies["scorehub_language"] = "en"
    response = client.get(path)
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    assert client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 200


def test_a_person_without_email_gets_the_link_from_the_admin_only(client_as, persona):
    inspector = persona("nanxun_inspector")
    assert not inspector.email
    response = create_link(client_as("huzhou_official"), inspector)
    assert 'data-testid="reset-link-no-email"' in response.content.decode()
    assert mail.outbox == []


def test_a_mail_that_cannot_be_sent_is_reported_and_the_link_still_shown(client_as, persona, settings):
    # A real SMTP backend pointed at a closed port: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    inspector = persona("nanxun_inspector")
    inspector.email = "lu.zhiqiang@nanxun.example.cn"
    inspector.save()
    response = create_link(client_as("huzhou_official"), inspector)
    assert response.status_code == 200
    assert 'data-testid="reset-link-not-mailed"' in response.content.decode()
    link_in(response)


def test_outsider_official_gets_404_and_nothing_happens(client_as, persona):
    inspector = persona("nanxun_inspector")
    inspector.email = "lu.zhiqiang@nanxun.example.cn"
    inspector.save()
    before = LogEntry.objects.count()
    client = client_as("fangshan_official")
    assert client.get(f"/accounts/people/{inspector.pk}/").status_code == 404
    response = create_link(client, inspector)
    assert response.status_code == 404
    assert not LINK.search(response.content.decode())
    assert LogEntry.objects.count() == before
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["trainer", "nanxun_inspector", "buyer", "factory_manager"])
def test_people_without_the_right_to_change_the_organisation_get_404(client_as, persona, who):
    target = persona("huzhou_official")
    before = LogEntry.objects.count()
    client = client_as(who)
    assert client.get(f"/accounts/people/{target.pk}/").status_code == 404
    assert create_link(client, target).status_code == 404
    assert LogEntry.objects.count() == before


def test_no_reset_link_for_someone_who_also_belongs_to_an_organisation_outside_the_jurisdiction(client_as, persona):
    """Otherwise a Huzhou official could take over an account that also reaches Beijing Fangshan."""
    inspector = persona("nanxun_inspector")
    fangshan = Organisation.objects.get(name_en__startswith="Fangshan")
    Membership.objects.create(user=inspector, organisation=fangshan, role=Role.INSPECTOR)
    client = client_as("huzhou_official")
    assert client.get(f"/accounts/people/{inspector.pk}/").status_code == 404
    assert create_link(client, inspector).status_code == 404
    assert client_as("zhejiang_official").get(f"/accounts/people/{inspector.pk}/").status_code == 404
    assert client_as("admin").get(f"/accounts/people/{inspector.pk}/").status_code == 200


def test_an_enterprise_manager_helps_the_people_of_their_own_enterprise(client_as, persona, nanxun_enterprise):
    organisation = nanxun_enterprise.organisation
    member = User.objects.create_user("nanxun_team_1", password=DEMO_PASSWORD, display_name="组员一")
    Membership.objects.create(user=member, organisation=organisation, role=Role.TEAM_MEMBER)
    client = client_as("factory_manager")
    response = create_link(client, member)
    assert response.status_code == 200
    link_in(response)
    assert create_link(client, persona("nanxun_inspector")).status_code == 404


def test_only_a_superuser_helps_a_superuser(client_as, persona):
    office = Organisation.objects.get(kind="programme_office")
    programme_admin = User.objects.create_user("office_admin_2", password=DEMO_PASSWORD, display_name="项目管理员二")
    Membership.objects.create(user=programme_admin, organisation=office, role=Role.PROGRAMME_ADMIN)
    superuser = persona("admin")
    assert superuser.is_superuser
    assert create_link(client_as("office_admin_2"), superuser).status_code == 404
    assert create_link(client_as("admin"), programme_admin).status_code == 200


def test_an_admin_cannot_make_a_link_for_themselves(client_as, persona):
    official = persona("huzhou_official")
    client = client_as("huzhou_official")
    client.cookies["scorehub_language"] = "en"
    response = create_link(client, official)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/people/{official.pk}/"
    assert "Change your own password on My account instead." in client.get(response["Location"]).content.decode()
    assert account_events(official) == []


def test_the_organisation_page_links_members_to_their_page_for_those_who_may_help(client_as, persona):
    nanxun = Organisation.objects.get(name_en__startswith="Nanxun District")
    inspector = persona("nanxun_inspector")
    person_link = f'href="/accounts/people/{inspector.pk}/"'
    assert person_link in client_as("huzhou_official").get(nanxun.get_absolute_url()).content.decode()
    # The inspector reads their own bureau's page but may not change it: no link to anybody's page.
    assert person_link not in client_as("nanxun_inspector").get(nanxun.get_absolute_url()).content.decode()
