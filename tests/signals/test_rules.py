"""The escalation rule's words: how far a signal is, and why it was escalated."""

from __future__ import annotations

import pytest
from django.utils import translation

from signals.rules import Counters, Rule, escalation_explanation, escalation_progress, figures_of

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


# --- Every boundary of the rule: exactly at, one below, each criterion alone, the status-holder minimum.

FULL = Rule(recognitions=10, municipalities=3, organisations=2, status_holders=1)
AT = Counters(recognitions=10, municipalities=3, organisations=2, status_holders=1)


def test_exactly_at_every_minimum_is_met() -> None:
    assert escalation_progress(AT, FULL).met


@pytest.mark.parametrize(
    ("counters", "short_of"),
    [
        (Counters(9, 3, 2, 1), "10 people"),
        (Counters(10, 2, 2, 1), "3 municipalities"),
        (Counters(10, 3, 1, 1), "2 organisations"),
        (Counters(10, 3, 2, 0), "1 recognition by a status holder"),
    ],
    ids=["recognitions", "municipalities", "organisations", "status-holders"],
)
def test_one_below_any_minimum_is_not_met_and_says_which(counters: Counters, short_of: str) -> None:
    with translation.override("en"):
        progress = escalation_progress(counters, FULL)
    assert not progress.met
    assert progress.needs == [short_of]


@pytest.mark.parametrize(
    ("rule", "at", "below"),
    [
        (Rule(5, 1, 0, 0), Counters(5, 1, 0, 0), Counters(4, 1, 0, 0)),
        (Rule(1, 3, 0, 0), Counters(3, 3, 0, 0), Counters(3, 2, 0, 0)),
        (Rule(1, 1, 2, 0), Counters(2, 1, 2, 0), Counters(2, 1, 1, 0)),
        (Rule(1, 1, 0, 2), Counters(2, 1, 0, 2), Counters(2, 1, 0, 1)),
    ],
    ids=["recognitions", "municipalities", "organisations", "status-holders"],
)
def test_each_criterion_alone_decides(rule: Rule, at: Counters, below: Counters) -> None:
    assert escalation_progress(at, rule).met
    assert not escalation_progress(below, rule).met


def test_no_status_holder_minimum_asks_for_none() -> None:
    rule = Rule(10, 3, 2, 0)
    assert escalation_progress(Counters(10, 3, 2, 0), rule).met
    with translation.override("en"):
        assert "status holder" not in escalation_explanation(Counters(10, 3, 2, 0), rule)


def test_more_than_enough_is_met() -> None:
    assert escalation_progress(Counters(40, 9, 12, 7), FULL).met


def test_the_explanation_names_the_status_holder_minimum_when_the_rule_has_one() -> None:
    with translation.override("en"):
        assert escalation_explanation(Counters(12, 4, 5, 2), FULL) == (
            "Recognised by 12 people in 4 municipalities and 5 organisations, with 2 recognitions by status "
            "holders; rule: 10 people in 3 municipalities and 2 organisations, with 1 recognition by a status holder."
        )


def test_figures_keep_what_the_explanation_needs() -> None:
    figures = figures_of(AT, FULL)
    assert Counters(**figures["counters"]) == AT and Rule(**figures["rule"]) == FULL
