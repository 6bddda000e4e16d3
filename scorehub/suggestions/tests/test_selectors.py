"""The numbers, checked against counts made independently here from the generated histories."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scorehub.enterprises.credit_code import build_credit_code
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period
from scorehub.suggestions import indicators
from scorehub.suggestions.models import ImprovementProject, Suggestion
from scorehub.suggestions.selectors import suggestion_numbers

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 30)
PERIOD = Period(dt.date(2025, 4, 1), dt.date(2025, 6, 30))
_serial = itertools.count(1)


def new_enterprise(employees: int) -> Enterprise:
    n = next(_serial)
    return Enterprise.objects.create(
        name_zh=f"测试企业{n}",
        credit_code=build_credit_code("330503", f"{n:09d}"),
        region_id="330503",
        industry_division="17",
        size_class="small",
        employees_total=employees,
        employees_women=employees // 2,
    )


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour=hour)))


OUTCOMES = ["submitted", "under_review", "adopted", "rejected", "in_progress", "implemented", "merged"]

suggestion_specs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=150),  # submitted this many days before TODAY
        st.sampled_from(OUTCOMES),
        st.integers(min_value=0, max_value=30),  # days to decision
        st.integers(min_value=0, max_value=60),  # days from decision to implementation
        st.sampled_from(["", "woman", "man"]),
    ),
    max_size=25,
)
project_specs = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=150),  # started this many days before TODAY
        st.integers(min_value=0, max_value=100_000),  # cost
        st.integers(min_value=0, max_value=500_000),  # expected savings
        st.one_of(st.none(), st.integers(min_value=0, max_value=500_000)),  # verified savings
    ),
    max_size=6,
)


def make(enterprise, specs, projects):
    rows = []
    for days_ago, outcome, to_decision, to_done, gender in specs:
        submitted = TODAY - dt.timedelta(days=days_ago)
        decided = at(submitted + dt.timedelta(days=to_decision), 15)
        row = Suggestion(
            enterprise=enterprise,
            problem="p",
            proposal="q",
            category="safety",
            status=outcome,
            submitted_at=at(submitted),
            submitter_gender=gender,
            tracking_code=f"T{next(_serial):07d}",
        )
        if outcome in ("adopted", "rejected", "in_progress", "implemented", "merged"):
            row.decided_at = decided
        if outcome == "implemented":
            row.implemented_at = decided + dt.timedelta(days=to_done)
        rows.append(row)
    Suggestion.objects.bulk_create(rows)
    for days_ago, cost, expected, verified in projects:
        ImprovementProject.objects.create(
            enterprise=enterprise,
            title="t",
            goal="g",
            started_on=TODAY - dt.timedelta(days=days_ago),
            cost=Decimal(cost),
            expected_savings=Decimal(expected),
            verified_savings=Decimal(verified) if verified is not None else None,
            verified_at=at(TODAY) if verified is not None else None,
        )


def expected_numbers(specs, projects, employees):
    """The same numbers, computed by hand from the specs (not from the database)."""
    in_period = [s for s in specs if PERIOD.start <= TODAY - dt.timedelta(days=s[0]) <= PERIOD.end]
    counted = [s for s in in_period if s[1] != "merged"]
    submitted = len(counted)
    adopted = sum(1 for s in counted if s[1] in ("adopted", "in_progress", "implemented"))
    implemented = sum(1 for s in counted if s[1] == "implemented")
    decision_days = [s[2] + 5 / 24 for s in counted if s[1] in ("adopted", "rejected", "in_progress", "implemented")]
    implementation_days = [s[2] + s[3] + 5 / 24 for s in counted if s[1] == "implemented"]
    known = [s for s in counted if s[4]]
    started = [p for p in projects if PERIOD.start <= TODAY - dt.timedelta(days=p[0]) <= PERIOD.end]
    return {
        "submitted": submitted,
        "adopted": adopted,
        "rejected": sum(1 for s in counted if s[1] == "rejected"),
        "implemented": implemented,
        "adoption_rate": adopted / submitted if submitted else None,
        "completion_rate": implemented / adopted if adopted else None,
        "median_days_to_decision": round(statistics.median(decision_days), 1) if decision_days else None,
        "median_days_to_implementation": round(statistics.median(implementation_days), 1)
        if implementation_days
        else None,
        "projects": len(started),
        "project_cost": Decimal(sum(p[1] for p in started)),
        "expected_savings": Decimal(sum(p[2] for p in started)),
        "verified_savings": Decimal(sum(p[3] for p in started if p[3] is not None)),
        "per_100_workers": round(submitted * 100 / employees, 2) if employees else None,
        "women_share": sum(1 for s in known if s[4] == "woman") / len(known) if known else None,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=suggestion_specs, projects=project_specs, employees=st.integers(min_value=0, max_value=2000))
def test_numbers_match_an_independent_count(db, specs, projects, employees):
    enterprise = new_enterprise(employees)
    make(enterprise, specs, projects)
    numbers = suggestion_numbers(enterprises=Enterprise.objects.filter(pk=enterprise.pk), period=PERIOD).as_dict()
    expected = expected_numbers(specs, projects, employees)
    for key in ("adoption_rate", "completion_rate", "women_share"):
        if expected[key] is not None:
            assert numbers[key] == pytest.approx(expected[key]), key
            numbers[key] = expected[key]
    assert numbers == expected


def test_zero_denominators_give_none_not_zero(db):
    enterprise = new_enterprise(0)
    numbers = suggestion_numbers(enterprises=Enterprise.objects.filter(pk=enterprise.pk), period=PERIOD)
    assert numbers.submitted == 0
    assert numbers.adoption_rate is None
    assert numbers.completion_rate is None
    assert numbers.median_days_to_decision is None
    assert numbers.per_100_workers is None
    assert numbers.women_share is None
    assert numbers.verified_savings == Decimal("0")


def test_several_enterprises_add_up_with_a_constant_number_of_queries(db):
    specs = [(10, "implemented", 2, 3, "woman"), (20, "rejected", 1, 0, ""), (200, "adopted", 1, 0, "man")]
    first, second, third = new_enterprise(50), new_enterprise(150), new_enterprise(10)
    for enterprise in (first, second, third):
        make(enterprise, specs, [(5, 100, 1000, 800)])
    two = Enterprise.objects.filter(pk__in=[first.pk, second.pk])
    with CaptureQueriesContext(connection) as one_query_set:
        suggestion_numbers(enterprises=Enterprise.objects.filter(pk=first.pk), period=PERIOD)
    with CaptureQueriesContext(connection) as two_query_set:
        numbers = suggestion_numbers(enterprises=two, period=PERIOD)
    assert len(one_query_set) == len(two_query_set) <= 5
    assert numbers.submitted == 4
    assert numbers.implemented == 2
    assert numbers.per_100_workers == 2.0
    assert numbers.verified_savings == Decimal("1600")


def test_indicator_module_follows_the_contract(db):
    enterprise = new_enterprise(100)
    make(enterprise, [(3, "adopted", 1, 0, "")], [])
    values = indicators.compute(enterprises=Enterprise.objects.filter(pk=enterprise.pk), period=PERIOD)
    assert set(values) == {spec.code for spec in indicators.INDICATORS}
    assert all(spec.code.startswith("suggestions.") for spec in indicators.INDICATORS)
    assert values["suggestions.submitted"] == 1
    assert values["suggestions.adoption_rate"] == 1.0
    assert values["suggestions.completion_rate"] == 0.0
    assert values["suggestions.per_100_workers"] == 1.0


@pytest.mark.parametrize(("kind", "length"), [("region", 4), ("region", 6), ("enterprise", 0), ("month", 0)])
def test_grouped_numbers_equal_the_numbers_of_each_group_alone(kind, length):
    """``compute_groups`` (one grouped query per table) gives every group what ``compute`` gives it alone."""
    from scorehub.indicators.base import Grouping, Unit, month_key
    from scorehub.indicators.periods import month_end

    today = timezone.localdate()
    period = Period(today.replace(day=1) - dt.timedelta(days=330), today)
    enterprises = Enterprise.objects.all()
    grouped = indicators.compute_groups(enterprises=enterprises, period=period, grouping=Grouping(kind, length))
    if kind == "month":
        groups = {
            month_key(m): (enterprises, Period(max(m, period.start), min(month_end(m), period.end)))
            for m in period.months()
        }
    elif kind == "enterprise":
        groups = {str(pk): (enterprises.filter(pk=pk), period) for pk in enterprises.values_list("pk", flat=True)}
    else:
        prefixes = {code[:length] for code in enterprises.values_list("region_id", flat=True)}
        groups = {p: (enterprises.filter(region__code__startswith=p), period) for p in prefixes}
    additive = {s.code for s in indicators.INDICATORS if s.unit in (Unit.COUNT, Unit.CNY)}
    assert set(grouped) <= set(groups)
    assert sum(v.get("suggestions.submitted", 0) for v in grouped.values()) > 0
    for key, (subset, part) in groups.items():
        alone = indicators.compute(enterprises=subset, period=part)
        got = grouped.get(key, {})
        # A group missing from the grouped answer had no records: the layer reads its counts as 0.
        got = {code: (0 if got.get(code) is None and code in additive else got.get(code)) for code in alone}
        assert got == alone, key
