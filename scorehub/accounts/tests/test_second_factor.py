"""Two-step sign-in with TOTP (django-otp): enrolment, the code after the password, the roles that must use it,
the API, and an admin removing a lost phone.

Codes are computed here from the device's secret with django-otp's own ``totp`` at a frozen time.
"""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32decode
from binascii import unhexlify

import pytest
import time_machine
from auditlog.models import LogEntry
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from scorehub.accounts.models import User
from scorehub.accounts.second_factor import ENROLMENT_KEY_SESSION_KEY
from scorehub.core.demodata import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, 5, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)
KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex
CODE_PAGE = "/accounts/login/code/"
ENROL_PAGE = "/accounts/me/second-factor/new/"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def officials_must_use_it(settings):
    settings.OTP_REQUIRED_ROLES = ["official", "programme_admin"]


def code(key: str = KEY) -> str:
    """The code an authenticator app with this secret shows now."""
    return f"{totp(unhexlify(key.encode())):06d}"


def wrong(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def give_device(username: str) -> TOTPDevice:
    user = User.objects.get(username=username)
    return TOTPDevice.objects.create(user=user, name="SCORE Hub", key=KEY, confirmed=True)


def sign_in(username: str) -> Client:
    """The real password step (django-axes and the sign-in signal included)."""
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def events(username: str) -> list[tuple[str, str | None]]:
    person = User.objects.get(username=username)
    entries = LogEntry.objects.get_for_object(person).filter(additional_data__has_key="event").order_by("pk")
    return [(e.additional_data["event"], e.actor.username if e.actor else None) for e in entries]


# --- Enrolment -------------------------------------------------------------------------------------------


def test_enrolment_with_a_real_code_turns_two_step_sign_in_on(client_as, clock):
    client = client_as("trainer")
    page = client.get(ENROL_PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html
    key = client.session[ENROLMENT_KEY_SESSION_KEY]
    # The secret for typing in by hand is the same key, in base32 as the apps take it.
    secret = re.search(r'data-testid="second-factor-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    assert b32decode(secret + "=" * (-len(secret) % 8)).hex() == key
    assert not TOTPDevice.objects.filter(user__username="trainer").exists()  # nothing saved before the code

    refused = client.post(ENROL_PAGE, {"code": wrong(code(key))})
    assert refused.status_code == 200
    assert 'id="id_code_error"' in refused.content.decode()
    assert not TOTPDevice.objects.filter(user__username="trainer").exists()

    done = client.post(ENROL_PAGE, {"code": code(key)})
    assert done.status_code == 302
    device = TOTPDevice.objects.get(user__username="trainer")
    assert device.confirmed
    assert device.key == key
    assert ENROLMENT_KEY_SESSION_KEY not in client.session
    assert client.get("/").status_code == 200  # this session counts as verified
    assert events("trainer") == [("second factor set up", "trainer")]
    # The code used to enrol cannot be used again to sign in.
    again = sign_in("trainer")
    assert again.get("/")["Location"].startswith(CODE_PAGE)
    assert again.post(CODE_PAGE, {"code": code(key)}).status_code == 200
    clock.shift(STEP)
    assert again.post(CODE_PAGE, {"code": code(key)}).status_code == 302


def test_someone_with_a_device_cannot_enrol_another_one(client_as, clock):
    give_device("trainer")
    client = client_as("trainer")
    response = client.get(ENROL_PAGE)
    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user__username="trainer").count() == 1


# --- Signing in when officials must use a second factor ---------------------------------------------------


def test_an_official_with_a_device_enters_a_code_after_the_password(officials_must_use_it, clock):
    give_device("huzhou_official")
    client = sign_in("huzhou_official")
    for path in ("/", "/enterprises/", "/accounts/me/", "/accounts/me/password/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{CODE_PAGE}?next="), path
    page = client.get(f"{CODE_PAGE}?next=/enterprises/")
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()

    refused = client.post(CODE_PAGE, {"code": wrong(code()), "next": "/enterprises/"})
    assert refused.status_code == 200
    assert 'id="id_code_error"' in refused.content.decode()
    assert client.get("/")["Location"].startswith(CODE_PAGE)

    clock.shift(dt.timedelta(seconds=2))  # django-otp's wait after one wrong code
    session_before = client.session.session_key
    accepted = client.post(CODE_PAGE, {"code": code(), "next": "/enterprises/"})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/enterprises/"
    assert client.session.session_key != session_before  # a new session key for the verified session
    assert client.get("/").status_code == 200
    assert client.get("/enterprises/").status_code == 200


def test_wrong_codes_are_throttled_by_django_otp(officials_must_use_it, clock):
    device = give_device("huzhou_official")
    client = sign_in("huzhou_official")
    client.cookies["scorehub_language"] = "en"
    client.post(CODE_PAGE, {"code": wrong(code())})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Right away, even the right code waits.
    too_soon = client.post(CODE_PAGE, {"code": code()})
    assert "Too many wrong codes" in too_soon.content.decode()
    assert client.get("/").status_code == 302
    clock.shift(dt.timedelta(seconds=1))
    assert client.post(CODE_PAGE, {"code": code()}).status_code == 302


def test_an_official_without_a_device_must_set_one_up_before_anything_else(officials_must_use_it, clock):
    client = sign_in("huzhou_official")
    for path in ("/", "/enterprises/", "/accounts/me/second-factor/", "/accounts/people/1/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{ENROL_PAGE}?next="), path
    page = client.get(f"{ENROL_PAGE}?next=/enterprises/")
    assert 'data-testid="second-factor-required"' in page.content.decode()
    key = client.session[ENROLMENT_KEY_SESSION_KEY]
    done = client.post(ENROL_PAGE, {"code": code(key), "next": "/enterprises/"})
    assert done.status_code == 302
    assert done["Location"] == "/enterprises/"
    assert client.get("/").status_code == 200


def test_the_api_refuses_a_session_that_owes_its_code(officials_must_use_it, clock):
    give_device("huzhou_official")
    client = sign_in("huzhou_official")
    for path in ("/api/v1/enterprises/", "/api/v1/organisations/", "/api/v1/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "detail" in response.json()
    clock.shift(dt.timedelta(seconds=1))
    client.post(CODE_PAGE, {"code": code()})
    assert client.get("/api/v1/enterprises/").status_code == 200


def test_a_role_that_is_not_listed_is_not_asked(officials_must_use_it):
    for username in ("nanxun_inspector", "trainer", "factory_manager", "buyer"):
        client = sign_in(username)
        assert client.get("/").status_code == 200, username
        assert client.get("/api/v1/enterprises/").status_code == 200, username


def test_with_the_setting_off_signing_in_is_unchanged(settings):
    assert settings.OTP_REQUIRED_ROLES == []
    for username in ("admin", "huzhou_official", "nanxun_inspector"):
        client = sign_in(username)
        assert client.get("/").status_code == 200, username
        assert client.get("/api/v1/enterprises/").status_code == 200, username


def test_a_device_set_up_by_choice_is_asked_for_even_with_the_setting_off(settings, clock):
    assert settings.OTP_REQUIRED_ROLES == []
    give_device("trainer")
    client = sign_in("trainer")
    assert client.get("/")["Location"].startswith(CODE_PAGE)
    assert client.post(CODE_PAGE, {"code": code()}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_superuser_counts_as_a_programme_admin(officials_must_use_it):
    assert sign_in("admin").get("/")["Location"].startswith(ENROL_PAGE)


def test_the_password_step_is_still_guarded_by_axes(officials_must_use_it):
    client = Client()
    for n in range(5):
        client.post("/accounts/login/", {"username": "huzhou_official", "password": f"wrong-{n}"})
    locked = client.post("/accounts/login/", {"username": "huzhou_official", "password": DEMO_PASSWORD})
    assert locked.status_code == 429


def test_an_unverified_session_cannot_replace_the_device_it_owes(officials_must_use_it, clock):
    give_device("huzhou_official")
    client = sign_in("huzhou_official")
    assert client.get(ENROL_PAGE).status_code == 302
    # Even a well-formed enrolment post with a code for a secret of its own choosing adds nothing.
    session = client.session
    session[ENROLMENT_KEY_SESSION_KEY] = "ab" * 20
    session.save()
    client.post(ENROL_PAGE, {"code": code("ab" * 20)})
    assert list(TOTPDevice.objects.filter(user__username="huzhou_official").values_list("key", flat=True)) == [KEY]
    assert client.get("/")["Location"].startswith(CODE_PAGE)


# --- API tokens --------------------------------------------------------------------------------------------


def test_a_token_needs_the_code_from_whoever_owes_one(officials_must_use_it, clock):
    url = "/api/v1/auth/token/"
    credentials = {"username": "huzhou_official", "password": DEMO_PASSWORD}
    no_device = Client().post(url, credentials)
    assert no_device.status_code == 400
    assert "token" not in no_device.json()
    give_device("huzhou_official")
    assert Client().post(url, credentials).status_code == 400
    assert Client().post(url, {**credentials, "otp_code": wrong(code())}).status_code == 400
    clock.shift(dt.timedelta(seconds=1))
    issued = Client().post(url, {**credentials, "otp_code": code()})
    assert issued.status_code == 200
    token = issued.json()["token"]
    assert Client().get("/api/v1/enterprises/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    # Roles that need no second factor get their token as before.
    assert Client().post(url, {"username": "trainer", "password": DEMO_PASSWORD}).status_code == 200


# --- Removing a device --------------------------------------------------------------------------------------


def test_removing_ones_own_device_needs_a_current_code(client_as, clock):
    give_device("trainer")
    client = sign_in("trainer")
    client.post(CODE_PAGE, {"code": code()})
    clock.shift(STEP)
    refused = client.post("/accounts/me/second-factor/", {"code": wrong(code())})
    assert refused.status_code == 200
    assert TOTPDevice.objects.filter(user__username="trainer").exists()
    clock.shift(dt.timedelta(seconds=2))
    removed = client.post("/accounts/me/second-factor/", {"code": code()})
    assert removed.status_code == 302
    assert not TOTPDevice.objects.filter(user__username="trainer").exists()
    assert client.get("/").status_code == 200
    assert events("trainer") == [("second factor removed", "trainer")]


def test_an_official_removes_the_lost_phone_of_an_inspector_in_the_jurisdiction(persona, clock):
    give_device("nanxun_inspector")
    inspector = persona("nanxun_inspector")
    outsider = Client()
    outsider.force_login(persona("fangshan_official"))
    assert outsider.post(f"/accounts/people/{inspector.pk}/second-factor/remove/").status_code == 404
    assert TOTPDevice.objects.filter(user=inspector).exists()

    official = Client()
    official.force_login(persona("huzhou_official"))
    page = official.get(f"/accounts/people/{inspector.pk}/")
    assert 'data-testid="remove-second-factor"' in page.content.decode()
    response = official.post(f"/accounts/people/{inspector.pk}/second-factor/remove/")
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=inspector).exists()
    assert events("nanxun_inspector") == [("second factor removed", "huzhou_official")]
    # The inspector signs in with the password alone now.
    assert sign_in("nanxun_inspector").get("/").status_code == 200
    # An admin removes their own only on My account, with a code.
    give_device("huzhou_official")
    official = Client()
    official.force_login(persona("huzhou_official"))
    official.post(CODE_PAGE, {"code": code()})
    own = official.post(f"/accounts/people/{persona('huzhou_official').pk}/second-factor/remove/")
    assert own.status_code == 302
    assert TOTPDevice.objects.filter(user__username="huzhou_official").exists()


def test_a_removed_device_sends_an_open_session_of_a_required_role_to_set_up_a_new_one(officials_must_use_it, clock):
    give_device("huzhou_official")
    client = sign_in("huzhou_official")
    client.post(CODE_PAGE, {"code": code()})
    assert client.get("/").status_code == 200
    TOTPDevice.objects.filter(user__username="huzhou_official").delete()  # the admin removed it
    first = client.get("/")
    assert first["Location"].startswith(CODE_PAGE)
    then = client.get(first["Location"])
    assert client.get(then["Location"])["Location"].startswith(ENROL_PAGE)
