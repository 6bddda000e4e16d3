"""Where ``SECRET_KEY`` comes from (read by ``scorehub/settings.py``; docs/decisions/0005-secret-key.md).

* A key given in the environment must be strong: the rule of Django's own deploy check (at least 50
  characters, at least 5 different ones, not Django's ``django-insecure-`` placeholder).  A weak one is
  refused at start-up, in every mode: a known key lets anyone forge sessions and signed links.
* Without a key, a *production* server (DEBUG off and an allowed host other than this machine's own names,
  i.e. it answers to a public host name) refuses to start.
* Without a key on this machine only (``make run``, the tests, the console command), a random key is made
  once and kept in ``DATA_DIR/secret_key`` (readable by its owner only).  ``check --deploy`` refuses it
  (``scorehub.E001``): several servers need one shared key, and the key belongs with the other secrets.

This module is imported by the settings: it must not touch ``django.conf.settings``.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: Host names under which only this machine reaches the server (and Django's test client).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1", "testserver"})
KEY_FILE_NAME = "secret_key"
# Django's deploy check (security.W009) uses the same three numbers.
MIN_LENGTH = 50
MIN_DIFFERENT_CHARACTERS = 5
INSECURE_PREFIX = "django-insecure-"

HOW_TO_MAKE_ONE = 'python3 -c "import secrets; print(secrets.token_urlsafe(64))"'


def is_production(*, debug: bool, allowed_hosts: Iterable[str]) -> bool:
    """A server with DEBUG off that answers to a host name other than this machine's own."""
    return not debug and any(host not in LOCAL_HOSTS for host in allowed_hosts)


def weakness(key: str) -> str | None:
    """Why ``key`` is not fit to sign anything, or None."""
    if key.startswith(INSECURE_PREFIX):
        return f"it is a placeholder (it starts with {INSECURE_PREFIX!r})"
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_LENGTH}"
    if len(set(key)) < MIN_DIFFERENT_CHARACTERS:
        return f"it has fewer than {MIN_DIFFERENT_CHARACTERS} different characters"
    return None


def resolve(given: str, *, data_dir: Path, production: bool) -> tuple[str, bool]:
    """The secret key to use and whether it is the one kept on this machine; ImproperlyConfigured otherwise."""
    if given:
        problem = weakness(given)
        if problem:
            raise ImproperlyConfigured(
                f"SECRET_KEY is too weak to sign sessions and links: {problem}. Set a random one, e.g. the "
                f"output of {HOW_TO_MAKE_ONE}"
            )
        return given, False
    if production:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set, and this server answers to a public host name (ALLOWED_HOSTS) with DEBUG "
            f"off. Set SECRET_KEY to a random value kept with the other secrets, e.g. the output of {HOW_TO_MAKE_ONE}"
        )
    return kept_key(data_dir), True


def kept_key(data_dir: Path) -> str:
    """The random key kept in ``data_dir``, made on first use (the first of several starting processes wins)."""
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            # Written in full under another name, then linked into place: no process ever reads half a key.
            handle, draft = tempfile.mkstemp(dir=data_dir, prefix=f".{KEY_FILE_NAME}.")  # mode 0600
            try:
                with os.fdopen(handle, "w") as out:
                    out.write(secrets.token_urlsafe(64) + "\n")
                os.link(draft, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                os.unlink(draft)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"SECRET_KEY is not set and no key can be kept in {data_dir} ({exc}). Set SECRET_KEY."
            ) from exc
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured(f"The key kept in {path} cannot be read ({exc}). Set SECRET_KEY.") from exc
    problem = weakness(key)
    if problem:
        raise ImproperlyConfigured(f"{path} does not hold a usable key ({problem}); delete it to make a new one.")
    return key
