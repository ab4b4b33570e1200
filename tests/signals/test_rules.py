"""The escalation rule's words: how far a signal is, and why it was escalated."""

from __future__ import annotations

from django.utils import translation

from signals.rules import Counters, Rule, escalation_explanation, escalation_progress

RULE = Rule(recognitions=10, municipalities=3, organisations=2, status_holders=0)


def test_short_of_municipalities_says_exactly_that() -> None:
    with translation.override("en"):
        progress = escalation_progress(Counters(8, 2, 3, 0), Rule(8, 3, 2, 0))
        assert not progress.met
        assert progress.text == (
            "Recognised by 8 people in 2 municipalities and 3 organisations; escalation needs 3 municipalities."
        )


def test_every_shortfall_is_named() -> None:
    with translation.override("en"):
        progress = escalation_progress(Counters(1, 1, 1, 0), Rule(10, 3, 2, 1))
        assert progress.needs == [
            "10 people",
            "3 municipalities",
            "2 organisations",
            "1 recognition by a status holder",
        ]
        assert progress.summary == "Recognised by 1 person in 1 municipality and 1 organisation"


def test_met_when_every_minimum_is_reached() -> None:
    with translation.override("en"):
        progress = escalation_progress(Counters(12, 4, 5, 0), RULE)
        assert progress.met and progress.needs == []
        assert progress.text.endswith("enough for escalation.")
        assert escalation_explanation(Counters(12, 4, 5, 0), RULE) == (
            "Recognised by 12 people in 4 municipalities and 5 organisations; "
            "rule: 10 people in 3 municipalities and 2 organisations."
        )


def test_ten_people_in_one_municipality_is_a_local_problem() -> None:
    assert not escalation_progress(Counters(10, 1, 4, 0), RULE).met


def test_the_words_are_dutch_by_default() -> None:
    with translation.override("nl"):
        assert escalation_progress(Counters(8, 2, 3, 0), RULE).text.startswith("Herkend door 8 mensen")
