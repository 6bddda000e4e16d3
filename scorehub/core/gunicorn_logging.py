"""Gunicorn's logs through the project's logging configuration (``LOGGING``: JSON or text, request ids).

Used by ``scorehub serve`` as gunicorn's ``logger_class``.  Imported only there: gunicorn reads
``WEB_CONCURRENCY`` when it is imported.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger as GunicornBaseLogger


class GunicornLogger(GunicornBaseLogger):
    """Gunicorn's error and access logs through the project's ``LOGGING`` (JSON or text, with request ids).

    Gunicorn would otherwise install its own handlers and formats; here its two loggers keep the handlers
    Django's logging configuration gave them, and each access line carries its fields separately.
    """

    def setup(self, cfg: Any) -> None:
        self.cfg = cfg
        self._access_log_enabled = True
        self.loglevel = logging.INFO
        self.error_log.setLevel(logging.INFO)
        self.access_log.setLevel(logging.INFO)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.access_log.isEnabledFor(logging.INFO):
            return
        atoms = self.atoms(resp, req, environ, request_time)
        duration_ms = round(request_time.total_seconds() * 1000, 1)
        self.access_log.info(
            '%s "%s" %s %s %sms',
            atoms["h"],
            atoms["r"],
            atoms["s"],
            atoms["B"] if atoms["B"] is not None else "-",
            duration_ms,
            extra={
                "remote_addr": atoms["h"],
                "method": atoms["m"],
                "path": atoms["U"],
                "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
                "bytes": atoms["B"],
                "duration_ms": duration_ms,
                "user_agent": atoms["a"],
                "request_id": environ.get("scorehub.request_id", ""),
                "user_id": environ.get("scorehub.user_id"),
            },
        )
