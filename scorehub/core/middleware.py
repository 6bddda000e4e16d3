from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware as BaseAuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from .clientip import client_ip


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose otherwise with the language switcher.

    Django's own middleware follows the browser's Accept-Language header; many users here share
    devices set to English, and the programme's working language is Chinese, so the header is not
    consulted: the choice stored in the language cookie wins, and without one it is Chinese.
    API clients, which set Accept-Language on purpose, get what they ask for.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            # API clients say what they want deliberately: honour Accept-Language there.
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class AuditlogMiddleware(BaseAuditlogMiddleware):
    """auditlog's middleware, recording the client address that ``scorehub.core.clientip`` determines.

    auditlog itself takes the first X-Forwarded-For hop, which any client can write, proxy or not.
    """

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        if getattr(settings, "AUDITLOG_DISABLE_REMOTE_ADDR", False):
            return None
        return client_ip(request)
