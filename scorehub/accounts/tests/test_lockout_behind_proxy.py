"""The sign-in lockout behind the reverse proxy, and the official way to unlock.

The attack being prevented: with everyone arriving from the proxy's address, five bad passwords for someone
else's user name locked that person out for everyone, and every further failure started the 15 minutes
again.  Now the lock holds for the account *and* the client's real address, for 15 minutes from the fifth
failure, and the organisation's officials can lift it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.contenttypes.models import ContentType
from django.test import Client, override_settings
from django.urls import reverse

from scorehub.accounts.models import Organisation, User
from scorehub.core.demodata import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"  # what Django sees as REMOTE_ADDR behind nginx
ATTACKER = "198.51.100.66"
OWNER = "203.0.113.20"
VICTIM = "nanxun_inspector"  # a member of the Nanxun bureau
START = dt.datetime(2030, 3, 4, 2, 0, tzinfo=dt.UTC)

behind_proxy = override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def through_proxy(forwarded_for: str) -> Client:
    """A browser whose requests reach Django through nginx, which appends the address it saw."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def sign_in(client: Client, password: str, username: str = VICTIM) -> int:
    return client.post(LOGIN, {"username": username, "password": password}).status_code


def lock_out_from_attacker() -> Client:
    attacker = through_proxy(ATTACKER)
    assert [sign_in(attacker, f"guess-{n}") for n in range(5)] == [200, 200, 200, 200, 429]
    return attacker


@behind_proxy
def test_five_bad_passwords_from_one_address_do_not_lock_the_owner_out_elsewhere(clock):
    attacker = lock_out_from_attacker()
    assert sign_in(attacker, DEMO_PASSWORD) == 429
    owner = through_proxy(OWNER)
    assert sign_in(owner, DEMO_PASSWORD) == 302
    assert "_auth_user_id" in owner.session
    # The owner's success does not lift the attacker's lock.
    assert sign_in(attacker, DEMO_PASSWORD) == 429
    assert set(AccessAttempt.objects.values_list("username", "ip_address")) == {(VICTIM, ATTACKER)}


@behind_proxy
def test_failures_during_the_lock_do_not_prolong_it(clock):
    attacker = lock_out_from_attacker()
    clock.shift(dt.timedelta(minutes=10))
    assert [sign_in(attacker, f"more-{n}") for n in range(3)] == [429, 429, 429]
    clock.shift(dt.timedelta(minutes=5))
    assert sign_in(attacker, DEMO_PASSWORD) == 429
    # Just over fifteen minutes after the fifth failure (not after the last one) the lock is over.
    clock.shift(dt.timedelta(seconds=1))
    assert sign_in(attacker, DEMO_PASSWORD) == 302


@behind_proxy
def test_a_made_up_first_forwarded_hop_changes_nothing(clock):
    # The attacker writes the owner's address (and others) in front; nginx appends the real one.
    spoofed = [through_proxy(f"{OWNER}, {ATTACKER}"), *(through_proxy(f"192.0.2.{n}, {ATTACKER}") for n in range(4))]
    assert [sign_in(client, f"guess-{n}") for n, client in enumerate(spoofed)] == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert sign_in(through_proxy(OWNER), DEMO_PASSWORD) == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(clock):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    statuses = [
        attacker.post(LOGIN, {"username": VICTIM, "password": "x"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


# ---------------------------------------------------------------------------------------------------------
# Unlocking


def nanxun_bureau() -> Organisation:
    return Organisation.objects.get(memberships__user__username=VICTIM)


def lockouts_url() -> str:
    return reverse("accounts:organisation-lockouts", kwargs={"pk": nanxun_bureau().pk})


def unlock_url() -> str:
    return reverse("accounts:lockout-reset", kwargs={"pk": nanxun_bureau().pk})


def unlock_entries() -> Any:
    user_type = ContentType.objects.get_for_model(User)
    victim = User.objects.get(username=VICTIM)
    return LogEntry.objects.filter(content_type=user_type, object_pk=str(victim.pk), changes__has_key="sign-in lockout")


@behind_proxy
@pytest.mark.parametrize("official", ["admin", "zhejiang_official", "huzhou_official"])
def test_an_official_who_manages_the_organisation_unlocks_the_member(client_as, official, clock):
    attacker = lock_out_from_attacker()
    client = client_as(official)
    page = client.get(lockouts_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="lockouts"' in html
    assert ATTACKER in html
    assert VICTIM in html
    assert "10:15" in html  # locked until 15 minutes after the fifth failure (Beijing time)

    response = client.post(unlock_url(), {"username": VICTIM}, HTTP_X_FORWARDED_FOR=f"192.0.2.1, {OWNER}")
    assert response.status_code == 302
    assert response["Location"] == lockouts_url()
    assert not AccessAttempt.objects.filter(username=VICTIM).exists()
    entry = unlock_entries().get()
    assert entry.actor.username == official
    assert entry.additional_data == {"unlocked_addresses": [ATTACKER], "attempt_records": 1}
    assert entry.remote_addr == OWNER  # the official's real address, not the made-up first hop
    assert sign_in(attacker, DEMO_PASSWORD) == 302


@behind_proxy
@pytest.mark.parametrize("outsider", ["fangshan_official", "trainer", "buyer", "nanxun_inspector"])
def test_someone_who_does_not_manage_the_organisation_gets_404_and_nothing_changes(client_as, outsider, clock):
    lock_out_from_attacker()
    client = client_as(outsider)
    assert client.get(lockouts_url()).status_code == 404
    assert client.post(unlock_url(), {"username": VICTIM}).status_code == 404
    assert AccessAttempt.objects.filter(username=VICTIM, ip_address=ATTACKER).exists()
    assert not unlock_entries().exists()


def test_an_account_outside_the_organisation_cannot_be_unlocked_through_it(client_as, clock):
    Client(REMOTE_ADDR=ATTACKER).post(LOGIN, {"username": "trainer", "password": "x"})
    response = client_as("huzhou_official").post(unlock_url(), {"username": "trainer"})
    assert response.status_code == 404
    assert AccessAttempt.objects.filter(username="trainer").exists()


def test_the_lockouts_tab_shows_only_to_those_who_may_unlock(client_as):
    detail = reverse("accounts:organisation-detail", kwargs={"pk": nanxun_bureau().pk})
    assert lockouts_url() in client_as("huzhou_official").get(detail).content.decode()
    assert lockouts_url() not in client_as("nanxun_inspector").get(detail).content.decode()


def test_the_lockouts_page_says_when_nobody_failed(client_as):
    html = client_as("admin").get(lockouts_url()).content.decode()
    assert 'data-testid="lockouts"' in html
    assert ATTACKER not in html
