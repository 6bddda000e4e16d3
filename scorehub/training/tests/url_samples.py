"""Values for the non-``pk`` URL kwargs of the training pages, and the pages that need no login.

Each sample points into the Huzhou / Nanxun part of the demo world (see docs/developing.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone


def _survey_token() -> str:
    from scorehub.training.models import ClassroomSession

    session = (
        ClassroomSession.objects.filter(
            cohort__members__enterprise__region_id="330503", survey_expires_at__gt=timezone.now()
        )
        .order_by("-starts_on")
        .first()
    )
    assert session is not None, "the demo has an open survey in Nanxun"
    return session.survey_token


def _verification_code() -> str:
    from scorehub.training.models import Certificate

    certificate = Certificate.objects.filter(enterprise__region_id="330503").order_by("pk").first()
    assert certificate is not None, "the demo has a certificate in Nanxun"
    return certificate.verification_code


def _huzhou_programme() -> int:
    from scorehub.training.models import Programme

    programme = Programme.objects.filter(region_id="330500").order_by("pk").first()
    assert programme is not None, "the demo has a Huzhou programme"
    return programme.pk


SAMPLES: dict[str, Callable[[], object]] = {
    # The programme the enrolment import pages enrol into.
    "programme": _huzhou_programme,
    # Keyed by URL name: "token" and "code" are also the suggestion poster's and tracking page's kwargs.
    "training:survey": lambda: {"token": _survey_token()},
    "training:certificate-verify": lambda: {"code": _verification_code()},
}

PUBLIC_URL_NAMES: dict[str, str] = {
    "training:survey": "participants answer the satisfaction survey on their phone through the session's "
    "QR code (expiring per-session token, no account)",
    "training:certificate-verify": "anyone holding a certificate checks it through the QR code / verification code; "
    "shows only the certificate's facts",
    "training:certificate-verify-form": "a form to type a certificate's verification code",
}
