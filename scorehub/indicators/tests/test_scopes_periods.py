"""Scopes of analysis (who reaches which, always intersected with what the user sees) and periods."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scorehub.core.scoping import OutOfScope
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period, ScopeDefinition, ScopeKind
from scorehub.indicators.periods import PeriodError, parse_period, period_label, period_param
from scorehub.indicators.scopes import _resolve_plugged, default_scope_key, resolve_scope
from scorehub.regions.models import Region

# ---------------------------------------------------------------------------------------------------
# Periods


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        ("2024-Q1", dt.date(2024, 1, 1), dt.date(2024, 3, 31)),
        ("2024q4", dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2023-11:2024-02", dt.date(2023, 11, 1), dt.date(2024, 2, 29)),
        ("2024-01-15:2024-03-31", dt.date(2024, 1, 15), dt.date(2024, 3, 31)),
        ("2023:2024", dt.date(2023, 1, 1), dt.date(2024, 12, 31)),
    ],
)
def test_periods_are_read_from_their_short_forms(text, start, end):
    assert parse_period(text) == Period(start, end)


@pytest.mark.parametrize(
    "text", ["2024-13", "2024-02-30:2024-03-01", "2024-05:2024-01", "last week", "1980", "2000:2020"]
)
def test_a_text_that_is_no_period_gets_a_clear_error(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_an_empty_period_is_the_last_twelve_months_with_this_one():
    period = parse_period("", today=dt.date(2024, 3, 10))
    assert period == Period(dt.date(2023, 4, 1), dt.date(2024, 3, 31))


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2024", "2023"),
        ("2024-Q1", "2023-Q4"),
        ("2024-01", "2023-12"),
        ("2023-11:2024-02", "2023-07:2023-10"),
        ("2024-03:2024-03", "2024-02"),
        ("2024-01-10:2024-01-19", "2023-12-31:2024-01-09"),
    ],
)
def test_the_previous_period_is_as_long_and_just_before_across_years(text, previous):
    assert parse_period(text).previous() == parse_period(previous)


@settings(deadline=None)  # a pure function; a loaded test machine must not make it flaky
@given(
    start=st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2040, 1, 1)),
    length=st.integers(min_value=0, max_value=2000),
)
def test_every_period_survives_the_trip_through_the_url(start, length):
    period = Period(start, start + dt.timedelta(days=length))
    assert parse_period(period_param(period)) == period
    assert period_label(period)


# ---------------------------------------------------------------------------------------------------
# Scopes


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "key"),
    [
        ("huzhou_official", "nation"),
        ("huzhou_official", "region:330000"),
        ("huzhou_official", "region:110111"),
        ("huzhou_official", "region:330784"),
        ("fangshan_official", "region:330500"),
        ("nanxun_inspector", "region:330521"),
        ("zhejiang_official", "nation"),
        ("factory_manager", "region:330521"),
        ("huzhou_official", "region:999999"),
        ("huzhou_official", "region:abc"),
        ("huzhou_official", "galaxy:1"),
        ("huzhou_official", "enterprise:x"),
    ],
)
def test_a_scope_outside_the_users_reach_is_404(persona, username, key):
    with pytest.raises(OutOfScope):
        resolve_scope(persona(username), key)


@pytest.mark.django_db
def test_an_enterprise_outside_the_jurisdiction_is_404(persona):
    fangshan = Enterprise.objects.filter(region_id="110111").first()
    with pytest.raises(OutOfScope):
        resolve_scope(persona("huzhou_official"), f"enterprise:{fangshan.pk}")


@pytest.mark.django_db
def test_a_region_scope_holds_exactly_the_visible_enterprises_below_it(persona):
    scope = resolve_scope(persona("huzhou_official"), "region:330503")
    expected = {e.pk for e in Enterprise.objects.all() if e.region_id == "330503"}
    assert {e.pk for e in scope.enterprises} == expected
    assert scope.kind == "district"
    assert [key for _label, key in scope.breadcrumbs] == ["region:330500"]  # not Zhejiang, not the nation
    assert not scope.partial


@pytest.mark.django_db
def test_the_nation_lists_the_provinces_and_a_city_its_districts(persona):
    nation = resolve_scope(persona("admin"), "nation")
    provinces = {f"region:{r.code}" for r in Region.objects.filter(level=1)}
    assert {c.key for c in nation.children} == provinces
    assert nation.child_grouping.length == 2
    city = resolve_scope(persona("huzhou_official"), "region:330500")
    assert {c.key for c in city.children} == {
        "region:330502",
        "region:330503",
        "region:330521",
        "region:330522",
        "region:330523",
    }
    assert city.child_grouping.length == 6


@pytest.mark.django_db
def test_a_trainer_sees_only_their_enterprises_of_a_region_and_is_told_so(persona):
    trainer = persona("trainer")
    scope = resolve_scope(trainer, "region:330500")
    assert scope.partial
    assert set(scope.enterprises) == set(Enterprise.objects.visible_to(trainer).filter(region__code__startswith="3305"))
    assert {c.key for c in scope.children} == {"region:330503", "region:330521"}  # where their enterprises are
    with pytest.raises(OutOfScope):
        resolve_scope(trainer, "region:330784")  # Yongkang: none of theirs


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("admin", "nation"),
        ("huzhou_official", "region:330500"),
        ("zhejiang_official", "region:330000"),
        ("nanxun_inspector", "region:330503"),
        ("trainer", "nation"),
    ],
)
def test_dashboards_open_on_the_users_own_scope(persona, username, expected):
    assert default_scope_key(persona(username)) == expected


@pytest.mark.django_db
def test_an_enterprise_manager_starts_on_their_enterprise(persona, nanxun_enterprise):
    assert default_scope_key(persona("factory_manager")) == f"enterprise:{nanxun_enterprise.pk}"


@pytest.mark.django_db
def test_a_plugged_scope_kind_is_intersected_with_what_the_user_sees(persona):
    """A programme scope (as the training app will add) names all its enterprises; the layer keeps only
    those the user may see."""
    everything = Enterprise.objects.filter(region__code__startswith="33")

    def resolve(user, ident):
        if ident != "7":
            raise OutOfScope
        return ScopeDefinition(
            label="Zhejiang scale-up", enterprises=everything, children=[("region:330503", "南浔区")]
        )

    kind = ScopeKind("programme", "Programme", resolve)
    official = persona("huzhou_official")
    scope = _resolve_plugged(official, kind, "7")
    assert scope.key == "programme:7"
    assert set(scope.enterprises) == set(everything.filter(region__code__startswith="3305"))
    assert not scope.enterprises.filter(region_id="330784").exists()
    assert scope.children[0].enterprises is not None
    with pytest.raises(OutOfScope):
        _resolve_plugged(official, kind, "8")
