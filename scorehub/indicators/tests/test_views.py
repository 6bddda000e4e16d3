"""Pages and the API: who gets what (named cases; every URL as every persona is the core
authorization test's), what the pages show, and lists with a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.models import Assessment, Kpi, KpiRecord, KpiValue, Practice, ReportJob
from scorehub.indicators.periods import default_period, period_param

pytestmark = pytest.mark.django_db


@pytest.fixture
def samples(persona, nanxun_enterprise):
    """A record of each model in the Nanxun part of the demo world, and a report of huzhou_official's."""
    job = ReportJob.objects.create(
        requested_by=persona("huzhou_official"),
        scope_key="region:330500",
        scope_label="湖州市",
        period="2024",
        format="pdf",
        language="zh-hans",
        status="done",
        content=b"%PDF-1.7 test",
        filename="r.pdf",
    )
    return {
        "ReportJob": job.pk,
        "Enterprise": nanxun_enterprise.pk,
        "KpiRecord": KpiRecord.objects.filter(enterprise=nanxun_enterprise).first().pk,
        "Assessment": Assessment.objects.filter(enterprise=nanxun_enterprise).first().pk,
        "Kpi": Kpi.objects.first().pk,
        "Practice": Practice.objects.first().pk,
    }


def test_an_official_never_opens_a_dashboard_outside_their_jurisdiction(client_as):
    client = client_as("fangshan_official")
    for key in ("region:330500", "region:330503", "nation", "region:330000"):
        assert client.get(reverse("indicators:dashboard"), {"scope": key}).status_code == 404
        assert client.get(reverse("api:indicators-list"), {"scope": key}).status_code == 404
    huzhou = client_as("huzhou_official")
    assert huzhou.get(reverse("api:indicators-list"), {"scope": "nation"}).status_code == 404
    assert huzhou.get(reverse("api:indicators-list"), {"scope": "region:330000"}).status_code == 404


def test_an_enterprise_outside_the_city_is_404_on_the_dashboard_and_the_kpi_tab(client_as):
    fangshan = Enterprise.objects.filter(region_id="110111").first()
    client = client_as("huzhou_official")
    assert client.get(reverse("indicators:dashboard"), {"scope": f"enterprise:{fangshan.pk}"}).status_code == 404
    assert client.get(reverse("indicators:enterprise-kpis", kwargs={"pk": fangshan.pk})).status_code == 404


def test_a_buyer_sees_a_suppliers_progress_but_not_its_kpi_records(client_as):
    from scorehub.enterprises.models import BuyerConsent

    supplier = BuyerConsent.objects.active().first().enterprise
    client = client_as("buyer")
    assert client.get(reverse("indicators:dashboard"), {"scope": f"enterprise:{supplier.pk}"}).status_code == 200
    assert client.get(reverse("indicators:enterprise-kpis", kwargs={"pk": supplier.pk})).status_code == 404


def test_reports_belong_to_the_user_who_asked_and_the_programme_office_reads_them(client_as, samples):
    for username in ("zhejiang_official", "nanxun_inspector", "trainer"):
        client = client_as(username)
        assert client.get(reverse("indicators:report-detail", kwargs={"pk": samples["ReportJob"]})).status_code == 404
        assert client.get(reverse("indicators:report-download", kwargs={"pk": samples["ReportJob"]})).status_code == 404
    owner = client_as("huzhou_official")
    response = owner.get(reverse("indicators:report-download", kwargs={"pk": samples["ReportJob"]}))
    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 test"
    assert response["Content-Disposition"] == 'attachment; filename="r.pdf"'
    detail = reverse("indicators:report-detail", kwargs={"pk": samples["ReportJob"]})
    assert detail in owner.get(reverse("indicators:reports")).content.decode()
    # The programme office opens anyone's report (as it does their import jobs) but lists only its own.
    office = client_as("admin")
    assert office.get(detail).status_code == 200
    assert detail not in office.get(reverse("indicators:reports")).content.decode()


def test_a_report_outlives_a_jurisdiction_only_as_a_404(client_as, samples, persona):
    ReportJob.objects.filter(pk=samples["ReportJob"]).update(scope_key="region:110111")
    client = client_as("huzhou_official")
    assert client.get(reverse("indicators:report-download", kwargs={"pk": samples["ReportJob"]})).status_code == 404


@pytest.mark.parametrize("username", ["huzhou_official", "fangshan_official", "nanxun_inspector", "buyer"])
def test_people_who_do_not_record_kpis_cannot_change_or_delete_them(client_as, nanxun_enterprise, username):
    record = KpiRecord.objects.filter(enterprise=nanxun_enterprise).first()
    values_before = list(KpiValue.objects.filter(record=record).values_list("kpi_id", "value"))
    client = client_as(username)
    kpi = Kpi.objects.get(code="defect_rate")
    edit = client.post(
        reverse("indicators:kpi-record-edit", kwargs={"pk": record.pk}),
        {"enterprise": nanxun_enterprise.pk, "month": "2020-01", f"kpi_{kpi.code}": "99"},
    )
    delete = client.post(reverse("indicators:kpi-record-delete", kwargs={"pk": record.pk}))
    assert edit.status_code == 404
    assert delete.status_code == 404
    record.refresh_from_db()
    assert list(KpiValue.objects.filter(record=record).values_list("kpi_id", "value")) == values_before
    assessment = Assessment.objects.filter(enterprise=nanxun_enterprise).first()
    assert client.post(reverse("indicators:assessment-delete", kwargs={"pk": assessment.pk})).status_code == 404
    assert Assessment.objects.filter(pk=assessment.pk).exists()


def test_only_enterprise_staff_and_trainers_open_the_recording_forms(client_as):
    urls = [reverse(f"indicators:{name}") for name in ("kpi-record-create", "assessment-create", "kpi-import")]
    for username, status in (("huzhou_official", 404), ("buyer", 404), ("trainer", 200), ("factory_manager", 200)):
        client = client_as(username)
        assert [client.get(url).status_code for url in urls] == [status] * 3, username
    # The import template holds only the KPI catalogue, which everyone with a scope reads.
    template = client_as("buyer").get(reverse("indicators:kpi-import-template"))
    assert template.status_code == 200
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_factory_manager_records_a_months_kpis(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    month = dt.date(2019, 6, 1)
    kpi = Kpi.objects.get(code="labour_productivity")
    response = client.post(
        reverse("indicators:kpi-record-create"),
        {"enterprise": nanxun_enterprise.pk, "month": "2019-06", f"kpi_{kpi.code}": "41.5", "note": ""},
    )
    assert response.status_code == 302
    record = KpiRecord.objects.get(enterprise=nanxun_enterprise, month=month)
    assert record.values.get().value == Decimal("41.5")
    # Another enterprise is out of reach: the form refuses it, nothing is saved.
    other = Enterprise.objects.exclude(pk=nanxun_enterprise.pk).first()
    response = client.post(
        reverse("indicators:kpi-record-create"), {"enterprise": other.pk, "month": "2019-06", f"kpi_{kpi.code}": "1"}
    )
    assert response.status_code == 200
    assert not KpiRecord.objects.filter(enterprise=other, month=month).exists()


def test_a_kpi_record_needs_a_value_and_a_month_that_has_begun(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    kpi = Kpi.objects.get(code="labour_productivity")
    next_year = dt.date.today().year + 1
    for data in (
        {"enterprise": nanxun_enterprise.pk, "month": "2019-07"},
        {"enterprise": nanxun_enterprise.pk, "month": f"{next_year}-01", f"kpi_{kpi.code}": "3"},
        {"enterprise": nanxun_enterprise.pk, "month": "2019-07", f"kpi_{kpi.code}": "-3"},
    ):
        response = client.post(reverse("indicators:kpi-record-create"), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert not KpiRecord.objects.filter(enterprise=nanxun_enterprise, month__in=[dt.date(2019, 7, 1)]).exists()


def test_a_trainer_records_an_assessment_of_the_chosen_module_only(client_as, persona):
    trainer_enterprise = Enterprise.objects.visible_to(persona("trainer"), "coach").filter(region_id="330521").first()
    client = client_as("trainer")
    data = {
        "enterprise": trainer_enterprise.pk,
        "module": "QM",
        "stage": "baseline",
        "assessed_on": "2019-03-10",
        "kpi_from": "2019-01",
        "kpi_to": "2019-03",
        "practice_qm_defects_analysed": "no",
        "practice_osh_drills": "yes",
    }
    response = client.post(reverse("indicators:assessment-create"), data)
    assert response.status_code == 200
    assert "practice_osh_drills" in response.context["form"].errors
    assert not Assessment.objects.filter(enterprise=trainer_enterprise, module="QM").exists()
    data.pop("practice_osh_drills")
    response = client.post(reverse("indicators:assessment-create"), data)
    assert response.status_code == 302
    assessment = Assessment.objects.get(enterprise=trainer_enterprise, module="QM")
    assert [(a.practice.code, a.in_place) for a in assessment.answers.all()] == [("qm_defects_analysed", False)]


def test_only_the_programme_office_changes_the_catalogues(client_as):
    data = {
        "code": "on_time_delivery",
        "name_zh": "准时交货率",
        "name_en": "On-time delivery",
        "unit_zh": "%",
        "unit_en": "%",
        "better": "higher",
        "order": 90,
        "is_active": "on",
    }
    assert client_as("huzhou_official").post(reverse("indicators:kpi-create"), data).status_code == 404
    assert not Kpi.objects.filter(code="on_time_delivery").exists()
    assert client_as("admin").post(reverse("indicators:kpi-create"), data).status_code == 302
    assert Kpi.objects.filter(code="on_time_delivery", is_standard=False).exists()


def test_a_new_kpi_becomes_an_indicator_everywhere(client_as):
    Kpi.objects.create(
        code="on_time_delivery", name_zh="准时交货率", name_en="On-time delivery", unit_zh="%", unit_en="%"
    )
    client = client_as("huzhou_official")
    body = client.get(reverse("api:indicators-list"), {"scope": "region:330500"}).json()
    assert "kpis.change.on_time_delivery" in {i["code"] for i in body["indicators"]}


def test_the_dashboard_shows_headlines_children_enterprises_and_every_indicator(client_as):
    client = client_as("huzhou_official")
    response = client.get(reverse("indicators:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["scope"].key == "region:330500"
    assert 'data-testid="child-table"' in html
    assert 'data-testid="enterprise-table"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert 'id="chart-data" type="application/json"' in html
    assert "<script>" not in html  # strict CSP: no inline script
    assert "style=" not in html  # nor inline style
    api = client.get(reverse("api:indicators-list"), {"scope": "region:330500"}).json()
    for item in api["indicators"]:
        assert f'data-code="{item["code"]}"' in html
    for child in response.context["child_rows"]:
        assert child["url"] in html.replace("&amp;", "&")


def test_a_bad_period_is_explained_and_the_default_shown(client_as):
    client = client_as("huzhou_official")
    response = client.get(reverse("indicators:dashboard"), {"period": "someday"}, follow=True)
    assert response.status_code == 200
    assert response.context["period"] == default_period()
    assert any("2024-Q2" in str(m) for m in response.context["messages"])
    api = client.get(reverse("api:indicators-list"), {"period": "someday"})
    assert api.status_code == 400
    assert "period" in api.json()


def test_the_enterprise_table_pages_through_htmx(client_as):
    client = client_as("admin")
    response = client.get(
        reverse("indicators:dashboard"),
        {"scope": "nation", "period": period_param(default_period()), "page": 2, "part": "enterprises"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.templates[0].name == "indicators/_enterprise_table.html"
    assert len(response.context["enterprise_rows"]) == Enterprise.objects.count() - 25


def test_the_kpi_tab_shows_the_months_the_cycles_and_the_checklists(client_as, nanxun_enterprise):
    response = client_as("factory_manager").get(
        reverse("indicators:enterprise-kpis", kwargs={"pk": nanxun_enterprise.pk})
    )
    assert response.status_code == 200
    assert response.context["can_record"]
    assert len(response.context["matrix"]) >= 12
    assert response.context["cycles"]
    assert response.context["cycles"][0]["rows"][0]["change"] != "—"


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_take_the_same_number_of_queries_however_many_rows(client_as, nanxun_enterprise):
    client = client_as("admin")
    urls = [
        reverse("indicators:kpi-record-list"),
        reverse("indicators:assessment-list"),
        reverse("indicators:kpi-list"),
        reverse("indicators:practice-list"),
        reverse("indicators:reports"),
    ]
    from scorehub.accounts.models import User

    user = User.objects.get(username="admin")
    ReportJob.objects.create(
        requested_by=user, scope_key="nation", scope_label="x", period="2024", format="pdf", language="en"
    )
    before = [_count_queries(client, url) for url in urls]
    kpi = Kpi.objects.get(code="defect_rate")
    for month in range(1, 11):
        record = KpiRecord.objects.create(enterprise=nanxun_enterprise, month=dt.date(1999, month, 1))
        KpiValue.objects.create(record=record, kpi=kpi, value=1)
        ReportJob.objects.create(
            requested_by=user, scope_key="nation", scope_label="x", period="2024", format="pdf", language="en"
        )
    for index in range(10):
        Kpi.objects.create(code=f"extra_{index}", name_zh="额外", name_en="Extra", unit_zh="个", unit_en="units")
    after = [_count_queries(client, url) for url in urls]
    assert after == before


def test_home_asks_for_last_months_missing_kpi_record(client_as, nanxun_enterprise):
    from django.utils import timezone

    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    client = client_as("factory_manager")
    KpiRecord.objects.filter(enterprise=nanxun_enterprise, month=last_month).delete()
    items = client.get(reverse("core:home")).context["attention"]
    assert [(str(i.label), i.count) for i in items if "KPI" in str(i.label)] == [
        (f"{last_month:%Y-%m} 缺少 KPI 记录的企业", 1)
    ]
    assert not [
        i for i in client_as("huzhou_official").get(reverse("core:home")).context["attention"] if "KPI" in str(i.label)
    ]
