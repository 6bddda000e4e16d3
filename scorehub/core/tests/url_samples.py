"""URL samples for the authorization test (``scorehub/core/tests/test_authorization.py``).

That test walks every URL pattern of the project and calls each one as every demo persona and
anonymously.  It fills the URL's keyword arguments itself where it can and learns the rest from
modules like this one: every app may have ``scorehub/<app>/tests/url_samples.py``; the test imports
all of them and merges their three names (a name defined twice is an error).

``pk``
    Needs no sample: it is a record of the view's ``model`` attribute (``view_class.model`` for
    class-based views, the viewset's ``model`` for the API, ``my_view.model = Thing`` for a function
    view).  The test picks records inside and outside each persona's scope itself.
``format``
    Needs no sample either: Django REST framework's format suffixes are called with ``json``.

SAMPLES: dict[str, Callable[[], object]]
    Every other keyword argument.  A key is either

    * a kwarg name, e.g. ``"token"``: the callable returns the value used for that kwarg in every
      URL that has it; or
    * a URL name, e.g. ``"safety:hazard-photo"``: the callable returns the whole kwargs dict for that
      one URL (it wins over kwarg names).

    Each callable runs inside the test's database transaction, with the demo world loaded, and should
    return something that points into the Huzhou / Nanxun part of the demo world (so that the outsider,
    ``fangshan_official``, is tried against it).

PUBLIC_URL_NAMES: dict[str, str]
    URL names that answer without signing in (views marked ``login_not_required``, API views that
    allow anonymous callers), each with a one-line reason.  The test checks that they show no
    enterprise data and no person's name.  Every other URL must send an anonymous caller to the login
    page (pages) or answer 401/403 (API).

SELF_SERVICE_URL_NAMES: dict[str, str]
    URL names whose POST changes only the signed-in user's own rows of the project's tables (e.g.
    "mark my notification as read"), each with a reason.  For every other URL, a write by someone
    without the right must leave every table of the project unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

SAMPLES: dict[str, Callable[[], object]] = {}

PUBLIC_URL_NAMES: dict[str, str] = {
    "healthz": "liveness probe for load balancers: answers only the database status",
    "readyz": "readiness probe for load balancers: answers only whether database, cache, broker and migrations are ok",
    "metrics": "Prometheus scraping: request counts and timings per view, no records, 404 off METRICS_ALLOWED_IPS",
    "api:token": "exchanges a username and password for an API token, so callers have no token yet",
}

SELF_SERVICE_URL_NAMES: dict[str, str] = {}
