"""Headline figures written as sentences: a source's own, the known ones of an app, or a plain one;
each only when its figures exist (the source is installed) and have values."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import translation

from scorehub.indicators.base import IndicatorSpec, Period, Unit
from scorehub.indicators.layer import Figure, Numbers, Section, Source, headline_sentences
from scorehub.indicators.scopes import AnalysisScope

PERIOD = Period(dt.date(2019, 1, 1), dt.date(2019, 12, 31))


def numbers_of(*sources):
    sections = [
        Section(Source(name, title, SimpleNamespace(compute=lambda **_kw: {})), figures)
        for name, title, figures in sources
    ]
    scope = AnalysisScope(key="nation", kind="nation", label="All", enterprises=None)  # type: ignore[arg-type]
    return Numbers(scope=scope, period=PERIOD, previous_period=PERIOD.previous(), sections=sections)


def suggestions(submitted=1258, adopted=944, implemented=917):
    rate = implemented / adopted if adopted else None
    return (
        "suggestions",
        "Suggestions",
        [
            Figure(IndicatorSpec("suggestions.submitted", "Suggestions submitted", headline=True), submitted),
            Figure(IndicatorSpec("suggestions.adopted", "Adopted"), adopted),
            Figure(IndicatorSpec("suggestions.implemented", "Implemented"), implemented),
            Figure(IndicatorSpec("suggestions.completion_rate", "Completion rate", unit=Unit.RATE), rate),
        ],
    )


def test_the_suggestions_funnel_reads_as_in_the_fangshan_report():
    with translation.override("en"):
        assert headline_sentences(numbers_of(suggestions())) == [
            "1,258 improvement suggestions were gathered, 944 adopted and 917 implemented, a completion rate of 97%."
        ]
    with translation.override("zh-hans"):
        (sentence,) = headline_sentences(numbers_of(suggestions()))
    assert "1,258" in sentence
    assert "97%" in sentence


def test_no_sentence_when_a_rate_has_no_denominator():
    assert headline_sentences(numbers_of(suggestions(0, 0, 0))) == []


def test_a_source_without_sentences_gets_a_plain_one_of_its_headline_figures():
    figures = [
        Figure(IndicatorSpec("training.sessions", "Training sessions", headline=True), 12),
        Figure(IndicatorSpec("training.participants", "Participants", headline=True), 340),
    ]
    with translation.override("en"):
        assert headline_sentences(numbers_of(("training", "Training", figures))) == [
            "Training — Training sessions: 12; Participants: 340."
        ]


def test_no_sentence_appears_for_an_app_that_is_not_installed():
    assert headline_sentences(numbers_of()) == []
