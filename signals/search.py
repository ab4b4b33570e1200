"""Finding signals by words: PostgreSQL full-text search (Dutch stemming, ranked) plus trigram
similarity for typos; plain substring matching where the database is SQLite (embedded mode).

The vendor check lives here and nowhere else: the rest of the code asks this
module to search or to keep a signal's search vector current.
"""

from __future__ import annotations

import difflib
import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, TrigramWordSimilarity
from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce, Greatest

from signals.models import Signal

CONFIG = "dutch"
# How alike a typed word must be to a word of the title to count (0..1).
TYPO_SIMILARITY = 0.5
SIMILAR_MIN_SCORE = 0.15


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def vector() -> CombinedExpression:
    return SearchVector("title", weight="A", config=CONFIG) + SearchVector("description", weight="B", config=CONFIG)


def search_vector_refresh(signal_id: int) -> None:
    """Recompute one signal's search vector (after it is reported or edited)."""
    if _postgres():
        Signal.objects.filter(pk=signal_id).update(search_vector=vector())


def _words(text: str, limit: int = 24) -> list[str]:
    return re.findall(r"\w{3,}", text.lower())[:limit]


def search(signals: QuerySet[Signal], text: str) -> QuerySet[Signal]:
    """``signals`` that match ``text``, best first (title matches above description matches)."""
    text = text.strip()
    if not text:
        return signals
    if not _postgres():
        terms = Q()
        for word in _words(text) or [text]:
            terms &= Q(title__icontains=word) | Q(description__icontains=word)
        matches = signals.filter(terms)
        return matches if matches.exists() else signals.filter(pk__in=_close_titles(signals, text))
    query = SearchQuery(text, config=CONFIG, search_type="websearch")
    return (
        signals.annotate(
            rank=SearchRank(F("search_vector"), query),
            typo=TrigramWordSimilarity(text, "title"),
        )
        .filter(Q(search_vector=query) | Q(typo__gte=TYPO_SIMILARITY))
        .order_by(F("rank").desc(nulls_last=True), "-typo", "-pk")
    )


# Embedded mode only (SQLite, a newcomer's few signals): typo tolerance without trigrams.
FALLBACK_SCAN_LIMIT = 5000


def _close_titles(signals: QuerySet[Signal], text: str) -> list[int]:
    """Ids of signals with a title word close to every typed word (difflib, like trigrams would)."""
    typed = _words(text)
    found = []
    for pk, title in signals.values_list("pk", "title")[:FALLBACK_SCAN_LIMIT]:
        title_words = _words(title, limit=50)
        if typed and all(difflib.get_close_matches(word, title_words, n=1, cutoff=0.75) for word in typed):
            found.append(pk)
    return found


def similar_signals(signals: QuerySet[Signal], title: str, description: str = "", limit: int = 5) -> list[Signal]:
    """The signals most like a report being typed: any shared word counts, title wording most."""
    words = _words(f"{title} {description}")
    if not words:
        return []
    if not _postgres():
        terms = Q()
        for word in sorted(words, key=len, reverse=True)[:4]:
            terms |= Q(title__icontains=word)
        return list(signals.filter(terms)[:limit])
    query = SearchQuery(" or ".join(words), config=CONFIG, search_type="websearch")
    typed_title = title.strip() or " ".join(words[:8])
    return list(
        signals.annotate(
            rank=Coalesce(SearchRank(F("search_vector"), query), Value(0.0), output_field=FloatField()),
            typo=TrigramWordSimilarity(typed_title, "title"),
            score=Greatest(F("rank"), F("typo"), output_field=FloatField()),
        )
        .filter(Q(search_vector=query) | Q(typo__gte=TYPO_SIMILARITY))
        .filter(score__gte=SIMILAR_MIN_SCORE)
        .order_by("-score", "-recognition_count", "-pk")[:limit]
    )
