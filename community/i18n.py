"""Our translatable strings and the catalogues that translate them, without GNU gettext.

English is the source language of the code; ``nl`` (the default people see)
and ``ar`` have catalogues under ``locale/``. Strings are extracted with
Babel's Python extractor; templates are first turned into Python by Django's
own ``templatize`` (what ``makemessages`` does), so the set of "strings of
ours" here is the set ``makemessages`` would find. ``manage.py i18n_update``
merges them into the catalogues; ``pybabel compile`` (run by ``make``) turns
those into ``.mo`` files, so no system gettext package is needed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils.translation.template import templatize

# Languages with a catalogue of their own; English is the source.
CATALOGUE_LANGUAGES = ("nl", "ar")
DOMAIN = "django"

# Apps whose code and templates hold our strings; extended as apps arrive.
SOURCE_PACKAGES = ("community", "notifications", "signals", "api")
TEMPLATE_DIRS = ("templates",)

# Words that stay the same in every language: names of the product and of organisations.
PROPER_NOUNS = frozenset({"Knooppunt", "VluchtelingenWerk", "Divosa", "COA", "VNG"})
# Loanwords that are the ordinary word in that language too (keep this list short).
SAME_WORD = {
    "nl": frozenset(
        {"Account", "Community", "community", "Link", "Moderator", "Open", "Professional", "status", "Status"}
    )
}

KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}

MessageKey = tuple[str, str | None]  # (msgid, context)


@dataclass
class SourceMessage:
    msgid: str
    context: str | None
    plural: str | None = None
    locations: list[tuple[str, int]] = field(default_factory=list)


def _python_files(base: Path) -> Iterator[Path]:
    for package in SOURCE_PACKAGES:
        for path in sorted((base / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _template_files(base: Path) -> Iterator[Path]:
    dirs = [base / d for d in TEMPLATE_DIRS] + [base / p / "templates" for p in SOURCE_PACKAGES]
    for directory in dirs:
        if directory.is_dir():
            yield from sorted(p for p in directory.rglob("*") if p.suffix in {".html", ".txt", ".xml"})


def extract_messages(base: Path | None = None) -> dict[MessageKey, SourceMessage]:
    """Every translatable string in our Python code and templates."""
    base = base or Path(settings.BASE_DIR)
    found: dict[MessageKey, SourceMessage] = {}
    sources: list[tuple[Path, bytes]] = [(path, path.read_bytes()) for path in _python_files(base)]
    for path in _template_files(base):
        python = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        # templatize keeps the template's indentation, which Python's tokenizer
        # would read as blocks; each call sits on one line, so strip it.
        python = "\n".join(line.lstrip() for line in python.split("\n"))
        sources.append((path, python.encode("utf-8")))
    for path, source in sources:
        for lineno, message, _comments, context in extract(
            "python", io.BytesIO(source), keywords=KEYWORDS, options={"encoding": "utf-8"}
        ):
            singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
            if not singular:
                continue
            key = (singular, context)
            entry = found.setdefault(key, SourceMessage(msgid=singular, context=context, plural=plural))
            entry.locations.append((str(path.relative_to(base)), lineno))
    return found


def catalogue_path(language: str, base: Path | None = None) -> Path:
    base = base or Path(settings.BASE_DIR)
    return base / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(language: str, base: Path | None = None) -> Catalog:
    with catalogue_path(language, base).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]|\{\w*\}")


def placeholders(text: str) -> set[str]:
    return {match.group(0) for match in _PLACEHOLDER.finditer(text)}


def catalogue_problems(language: str, base: Path | None = None) -> list[str]:
    """What is missing or wrong in one catalogue, one line each; empty when complete."""
    catalogue = read_catalogue(language, base)
    problems: list[str] = []
    for (msgid, context), source in sorted(extract_messages(base).items(), key=lambda kv: kv[0][0]):
        where = "{}:{}".format(*source.locations[0])
        message = catalogue.get(msgid, context=context)
        label = f"{msgid!r}" + (f" (context {context!r})" if context else "")
        if message is None:
            problems.append(f"{language}: missing {label} from {where}")
            continue
        translations: list[str] = (
            list(message.string) if isinstance(message.string, tuple | list) else [message.string or ""]
        )
        if message.fuzzy or not all(translations):
            problems.append(f"{language}: untranslated {label} from {where}")
            continue
        if translations[0] == msgid and msgid not in PROPER_NOUNS | SAME_WORD.get(language, frozenset()):
            problems.append(f"{language}: identical to the source {label} from {where}")
        if source.plural is None:
            if placeholders(translations[0]) != placeholders(msgid):
                problems.append(f"{language}: placeholders differ in {label}: {translations[0]!r}")
        else:
            # A plural form may leave the number out ("one hour"), never add an unknown one.
            allowed = placeholders(msgid) | placeholders(source.plural)
            for translation in translations:
                if not placeholders(translation) <= allowed:
                    problems.append(f"{language}: unknown placeholder in {label}: {translation!r}")
    return problems
