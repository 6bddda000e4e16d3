"""The one place that knows the client's address.

Everything that keys on "who is calling" asks :func:`client_ip`: the sign-in lockout (django-axes, through
``AXES_CLIENT_IP_CALLABLE``), the rate limits (``scorehub.core.ratelimit``) and the change log's address
(``scorehub.core.middleware.AuditlogMiddleware``).

Without a reverse proxy (``TRUSTED_PROXY_COUNT`` 0, the default) the address is the connection's peer,
``REMOTE_ADDR``; ``X-Forwarded-For`` is ignored, since any client can send one.  Behind proxies, each of
our ``TRUSTED_PROXY_COUNT`` proxies appends the address it received the request from, so the right-most
hops are ours and the client is the ``TRUSTED_PROXY_COUNT``-th hop from the right: the right-most one our
proxies did not vouch for.  Whatever the client itself wrote into the header stands further left and is
never read.  django-ipware does the parsing (ports, IPv6 brackets, IPv4-mapped addresses, junk tokens).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def trusted_proxy_count() -> int:
    """How many reverse proxies of ours stand in front of Django (``TRUSTED_PROXY_COUNT``).

    Unset, it is 1 with ``BEHIND_PROXY`` (one nginx in front) and 0 otherwise.
    """
    configured = getattr(settings, "TRUSTED_PROXY_COUNT", None)
    if configured is None:
        return 1 if getattr(settings, "BEHIND_PROXY", False) else 0
    return int(configured)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as text (``"203.0.113.20"``, ``"2001:db8::1"``), or None if there is none."""
    proxies = trusted_proxy_count()
    if proxies > 0:
        # python-ipware counts the proxies *listed* in the header: the nearest one is not (its address is
        # REMOTE_ADDR), so N proxies of ours list N - 1.  Not strict: a client may prepend as many hops of
        # its own as it likes, which shifts nothing at the right-hand end.
        forwarded, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=("HTTP_X_FORWARDED_FOR",),
            strict=False,
            algorithm="modern",
        )
        if forwarded is not None:
            return forwarded
        # No usable header (a health check from inside the network, a misconfigured proxy): the peer is
        # the best we know, and it cannot be forged.
    peer, _routable = get_client_ip(request, request_header_order=("REMOTE_ADDR",), strict=False, algorithm="modern")
    return peer
