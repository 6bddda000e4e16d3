"""Static files from node_modules: only the built files the pages load.

The npm packages ship every build of themselves (ES modules, RTL styles, unminified copies, source maps
of each); collecting and compressing all of them costs tens of megabytes and minutes for nothing.  This
finder narrows ``STATICFILES_DIRS`` to the files named by ``settings.VENDOR_STATIC_FILES`` (glob patterns
on the served path), in development and tests as in production, so that a page that loads a file nobody
listed fails in the tests rather than in production.


``uncollected_static_files`` tells ``scorehub serve`` whether ``collectstatic`` has to run first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import FileSystemFinder
from django.core.files.storage import Storage


def is_listed_vendor_file(served_path: str) -> bool:
    return any(fnmatchcase(served_path, pattern) for pattern in settings.VENDOR_STATIC_FILES)


class VendorFinder(FileSystemFinder):
    """``STATICFILES_DIRS`` (the npm packages), narrowed to ``VENDOR_STATIC_FILES``."""

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> Any:  # type: ignore[override]
        if not is_listed_vendor_file(path):
            return [] if (find_all or kwargs.get("all")) else None
        return super().find(path, find_all=find_all, **kwargs)  # type: ignore[call-overload]

    def list(self, ignore_patterns: Iterable[str] | None) -> Iterator[tuple[str, Storage]]:
        for path, storage in super().list(ignore_patterns):
            prefix = getattr(storage, "prefix", None)
            if is_listed_vendor_file(f"{prefix}/{path}" if prefix else path):
                yield path, storage


def uncollected_static_files() -> list[str]:
    """The static files that ``collectstatic`` has not (or not since they changed) put into STATIC_ROOT.

    Empty when the storage serves files where they lie (DEBUG).  Otherwise a file counts as collected
    when the manifest names it and its copy in STATIC_ROOT is at least as new as the source, which is
    the test ``collectstatic`` itself uses to skip a file.
    """
    from django.apps import apps
    from django.contrib.staticfiles.finders import get_finders
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if not isinstance(staticfiles_storage, ManifestFilesMixin):
        return []
    manifest = staticfiles_storage.hashed_files
    ignore_patterns = apps.get_app_config("staticfiles").ignore_patterns  # type: ignore[attr-defined]
    missing: list[str] = []
    for finder in get_finders():
        for path, source_storage in finder.list(ignore_patterns):
            prefix = getattr(source_storage, "prefix", None)
            served = f"{prefix}/{path}" if prefix else path
            collected = served in manifest and staticfiles_storage.exists(served)
            if not collected or staticfiles_storage.get_modified_time(served) < source_storage.get_modified_time(path):
                missing.append(served)
    return sorted(set(missing))
