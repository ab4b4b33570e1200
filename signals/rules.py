"""The escalation rule as a pure function: counters + rule → met or not, and the words for it.

"Why, shown" (PRODUCT.md): every signal says how far it is from the rule, and
once escalated, why. No database access here; the Celery evaluation, the pages
and the timeline all use these same words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.models import Community


class Counted(Protocol):
    """What a signal row carries: its counters, kept exact by ``signals.services``."""

    recognition_count: int
    municipality_count: int
    organisation_count: int
    status_holder_count: int


@dataclass(frozen=True)
class Counters:
    recognitions: int
    municipalities: int
    organisations: int
    status_holders: int

    @classmethod
    def of(cls, signal: Counted) -> Counters:
        return cls(
            recognitions=signal.recognition_count,
            municipalities=signal.municipality_count,
            organisations=signal.organisation_count,
            status_holders=signal.status_holder_count,
        )


@dataclass(frozen=True)
class Rule:
    recognitions: int
    municipalities: int
    organisations: int
    status_holders: int

    @classmethod
    def of(cls, community: Community) -> Rule:
        return cls(
            recognitions=community.min_recognitions,
            municipalities=community.min_municipalities,
            organisations=community.min_organisations,
            status_holders=community.min_status_holder_recognitions,
        )


def _people(count: int) -> str:
    return ngettext("%(count)d person", "%(count)d people", count) % {"count": count}


def _municipalities(count: int) -> str:
    return ngettext("%(count)d municipality", "%(count)d municipalities", count) % {"count": count}


def _organisations(count: int) -> str:
    return ngettext("%(count)d organisation", "%(count)d organisations", count) % {"count": count}


def _status_holders(count: int) -> str:
    return ngettext("%(count)d recognition by a status holder", "%(count)d recognitions by status holders", count) % {
        "count": count
    }


@dataclass(frozen=True)
class Progress:
    met: bool
    summary: str
    """"Recognised by 8 people in 2 municipalities and 3 organisations"."""
    needs: list[str]
    """What is still short, as the rule's totals: ["3 municipalities"]."""

    @property
    def text(self) -> str:
        if self.met:
            return _("%(summary)s: enough for escalation.") % {"summary": self.summary}
        return _("%(summary)s; escalation needs %(needs)s.") % {"summary": self.summary, "needs": ", ".join(self.needs)}


def escalation_progress(counters: Counters, rule: Rule) -> Progress:
    needs = []
    if counters.recognitions < rule.recognitions:
        needs.append(_people(rule.recognitions))
    if counters.municipalities < rule.municipalities:
        needs.append(_municipalities(rule.municipalities))
    if counters.organisations < rule.organisations:
        needs.append(_organisations(rule.organisations))
    if counters.status_holders < rule.status_holders:
        needs.append(_status_holders(rule.status_holders))
    summary = _("Recognised by %(people)s in %(municipalities)s and %(organisations)s") % {
        "people": _people(counters.recognitions),
        "municipalities": _municipalities(counters.municipalities),
        "organisations": _organisations(counters.organisations),
    }
    return Progress(met=not needs, summary=summary, needs=needs)


def escalation_explanation(counters: Counters, rule: Rule) -> str:
    """Why the rule escalated a signal, as its timeline says it: the figures, then the rule they met."""
    words = {
        "summary": escalation_progress(counters, rule).summary,
        "people": _people(rule.recognitions),
        "municipalities": _municipalities(rule.municipalities),
        "organisations": _organisations(rule.organisations),
    }
    if not rule.status_holders:
        return _("%(summary)s; rule: %(people)s in %(municipalities)s and %(organisations)s.") % words
    return _(
        "%(summary)s, with %(counted)s; rule: %(people)s in %(municipalities)s and %(organisations)s, "
        "with %(status_holders)s."
    ) % {
        **words,
        "counted": _status_holders(counters.status_holders),
        "status_holders": _status_holders(rule.status_holders),
    }


def figures_of(counters: Counters, rule: Rule) -> dict[str, Any]:
    """The figures an escalation by the rule keeps on its timeline entry (``SignalEvent.figures``)."""
    return {"counters": asdict(counters), "rule": asdict(rule)}
