"""The suggestion scheme in the reports and on the dashboard: the headline sentence, in both languages, and
the submitted → adopted → implemented funnel, with the same numbers as the suggestion pages."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from scorehub.indicators import layer
from scorehub.indicators.formatting import display, percent
from scorehub.indicators.layer import Figure, Numbers, Section, headline_sentences
from scorehub.indicators.models import ReportJob
from scorehub.indicators.periods import default_period, period_param
from scorehub.indicators.scopes import AnalysisScope, resolve_scope
from scorehub.suggestions import indicators
from scorehub.suggestions.selectors import suggestion_numbers

pytestmark = pytest.mark.django_db

HUZHOU = "region:330500"


def huzhou_numbers(user):
    """The suggestion pages' numbers (the selector) for Huzhou as the layer scopes it for ``user``."""
    return suggestion_numbers(enterprises=resolve_scope(user, HUZHOU).enterprises, period=default_period())


def api_sentences(client, language):
    client.cookies["scorehub_language"] = language
    response = client.get(
        reverse("api:indicators-list"),
        {"scope": HUZHOU, "period": period_param(default_period())},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return response.json()["sentences"]


def test_the_sentence_comes_from_the_apps_own_hook():
    (source,) = [s for s in layer.discover() if s.name == "suggestions"]
    assert source.sentences() == indicators.SENTENCES
    assert source.funnels() == indicators.FUNNELS


def test_the_headline_sentence_is_in_the_report_data_in_english_and_chinese(client_as, persona):
    numbers = huzhou_numbers(persona("huzhou_official"))
    assert numbers.submitted > 0
    assert numbers.completion_rate is not None
    submitted, adopted, implemented = (
        display("count", n) for n in (numbers.submitted, numbers.adopted, numbers.implemented)
    )
    rate = percent(numbers.completion_rate)
    client = client_as("huzhou_official")
    with translation.override("en"):
        english = api_sentences(client, "en")
    assert (
        f"{submitted} improvement suggestions were gathered, {adopted} adopted and {implemented} implemented, "
        f"a completion rate of {rate}."
    ) in english
    with translation.override("zh-hans"):
        chinese = api_sentences(client, "zh-hans")
    assert f"共收集合理化建议 {submitted} 条，采纳 {adopted} 条，实施 {implemented} 条，完成率 {rate}。" in chinese


def numbers_with(values):
    """The layer's numbers of the suggestions source holding only ``values`` (code: value)."""
    (source,) = [s for s in layer.discover() if s.name == "suggestions"]
    by_code = {spec.code: spec for spec in source.specs()}
    period = default_period()
    scope = AnalysisScope(key="nation", kind="nation", label="All", enterprises=None)  # type: ignore[arg-type]
    figures = [Figure(by_code[code], value) for code, value in values.items()]
    return Numbers(scope=scope, period=period, previous_period=period.previous(), sections=[Section(source, figures)])


def test_the_sentence_reads_like_the_programmes_reports():
    numbers = numbers_with(
        {
            "suggestions.submitted": 1258,
            "suggestions.adopted": 944,
            "suggestions.implemented": 917,
            "suggestions.completion_rate": 917 / 944,
        }
    )
    with translation.override("en"):
        assert headline_sentences(numbers) == [
            "1,258 improvement suggestions were gathered, 944 adopted and 917 implemented, a completion rate of 97%."
        ]
    with translation.override("zh-hans"):
        assert headline_sentences(numbers) == ["共收集合理化建议 1,258 条，采纳 944 条，实施 917 条，完成率 97%。"]


def test_no_suggestions_no_sentence_rather_than_a_rate_of_nothing():
    numbers = numbers_with(
        {
            "suggestions.submitted": 0,
            "suggestions.adopted": 0,
            "suggestions.implemented": 0,
            "suggestions.completion_rate": None,
        }
    )
    assert headline_sentences(numbers) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_headline_sentence_is_printed_in_the_pdf_report(client_as, django_capture_on_commit_callbacks, language):
    client = client_as("huzhou_official")
    with translation.override(language):
        (sentence,) = [
            s for s in api_sentences(client, language) if "%" in s and ("合理化建议" in s or "suggestions" in s)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("indicators:report-create"),
                {"scope": HUZHOU, "period": period_param(default_period()), "format": "pdf"},
            )
    job = ReportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.status == "done", job.error
    text = subprocess.run(["pdftotext", "-", "-"], input=bytes(job.content), capture_output=True, check=True).stdout  # noqa: S607
    squash = lambda s: re.sub(r"[\s-]+", "", s)  # noqa: E731 - pdftotext breaks lines and drops hyphens
    assert squash(sentence) in squash(text.decode())


def test_the_dashboard_draws_the_suggestion_funnel_with_the_pages_numbers(client_as, persona):
    numbers = huzhou_numbers(persona("huzhou_official"))
    client = client_as("huzhou_official")
    client.cookies["scorehub_language"] = "zh-hans"
    page = client.get(reverse("indicators:dashboard"), {"scope": HUZHOU, "period": period_param(default_period())})
    assert page.status_code == 200
    funnels = page.context["chart_data"]["funnels"]
    (funnel,) = [f for f in funnels if f["label"] == "合理化建议"]
    assert [s["value"] for s in funnel["stages"]] == [numbers.submitted, numbers.adopted, numbers.implemented]
    assert [s["name"] for s in funnel["stages"]] == ["提交的建议数", "采纳的建议数", "已实施的建议数"]
