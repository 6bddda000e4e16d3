"""The client's address: the connection's peer without a proxy; behind N proxies of ours, the N-th hop from
the right of X-Forwarded-For, whatever the client wrote in front of it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from scorehub.core.clientip import client_ip, trusted_proxy_count

PROXY = "10.0.0.2"


def request_with(forwarded_for: str | None, remote_addr: str = PROXY):
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


@pytest.mark.parametrize("forwarded_for", [None, "", "198.51.100.66", "203.0.113.20, 198.51.100.66", "junk"])
def test_without_a_proxy_the_peer_is_the_client_and_the_header_is_ignored(forwarded_for):
    with override_settings(BEHIND_PROXY=False, TRUSTED_PROXY_COUNT=0):
        assert client_ip(request_with(forwarded_for, remote_addr="203.0.113.20")) == "203.0.113.20"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("198.51.100.66", "198.51.100.66"),
        # Hops the client made up stand in front of the one nginx appended: never read.
        ("203.0.113.20, 198.51.100.66", "198.51.100.66"),
        ("1.2.3.4, 5.6.7.8, 198.51.100.66", "198.51.100.66"),
        ("not-an-address, 198.51.100.66", "198.51.100.66"),
        ("198.51.100.66:51234", "198.51.100.66"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:198.51.100.66", "198.51.100.66"),
        # Nothing usable from the proxy (a probe from inside the network): the peer.
        (None, PROXY),
        ("", PROXY),
        ("unknown", PROXY),
    ],
)
def test_behind_one_proxy_the_right_most_hop_is_the_client(forwarded_for, expected):
    with override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1):
        assert client_ip(request_with(forwarded_for)) == expected


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        # A CDN or load balancer in front of nginx: the CDN appends the client, nginx the CDN.
        ("203.0.113.20, 192.0.2.7", "203.0.113.20"),
        ("198.51.100.1, 203.0.113.20, 192.0.2.7", "203.0.113.20"),
        # Fewer hops than proxies: the header cannot be ours; the peer.
        ("192.0.2.7", PROXY),
    ],
)
def test_behind_two_proxies_the_second_hop_from_the_right_is_the_client(forwarded_for, expected):
    with override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=2):
        assert client_ip(request_with(forwarded_for)) == expected


def test_the_proxy_count_follows_behind_proxy_unless_set():
    with override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=None):
        assert trusted_proxy_count() == 1
    with override_settings(BEHIND_PROXY=False, TRUSTED_PROXY_COUNT=None):
        assert trusted_proxy_count() == 0
    with override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=3):
        assert trusted_proxy_count() == 3
