"""Fixtures for the training tests: records of the demo world (Huzhou / Nanxun) and small helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from scorehub.training.models import Cohort, CohortEnterprise, Programme


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Each test starts with empty rate-limit counters (they live in the cache)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _english_messages() -> Any:
    """Service messages in English, so tests read them in the language they are written in.  Pages asked
    for through the test client still answer in the visitor's language (Chinese by default)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def huzhou_programme(db: Any) -> Programme:
    return Programme.objects.get(region_id="330500")


@pytest.fixture
def osh_cohort(db: Any) -> Cohort:
    """The cec provider's OSH cohort in Huzhou (Nanxun and Deqing enterprises), running now."""
    return Cohort.objects.get(programme__region_id="330500", module__code="OSH")


@pytest.fixture
def wc_cohort(db: Any) -> Cohort:
    """The cec provider's WC cohort in Huzhou, completed by most of its enterprises."""
    return Cohort.objects.get(
        programme__region_id="330500", module__code="WC", provider__name_zh__startswith="中国企业"
    )


@pytest.fixture
def nanxun_participation(nanxun_enterprise: Any, osh_cohort: Cohort) -> CohortEnterprise:
    """The factory_manager's enterprise in the OSH cohort."""
    return CohortEnterprise.objects.get(cohort=osh_cohort, enterprise=nanxun_enterprise)
