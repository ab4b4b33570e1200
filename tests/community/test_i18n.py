"""Every string of ours is translated in every catalogue; pages follow the chosen language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from community.i18n import CATALOGUE_LANGUAGES, catalogue_problems, read_catalogue


@pytest.mark.parametrize("language", CATALOGUE_LANGUAGES)
def test_catalogue_translates_every_string_of_ours(language: str) -> None:
    problems = catalogue_problems(language)
    assert not problems, "\n".join(["Run `manage.py i18n_update` and translate:", *problems])


# The formal "u/uw/uzelf" as whole words; "uur", "uit" or "nu" are other words, \b keeps them apart.
FORMAL_DUTCH = re.compile(r"\b(u|U|uw|Uw|uzelf)\b")
# Translations where such a word is no form of address (e.g. a "U-bocht"); none yet. Keyed by msgid.
FORMAL_DUTCH_ALLOWED: frozenset[str] = frozenset()


def test_dutch_speaks_to_people_as_je() -> None:
    """Dutch addresses the reader informally (je/jij/jouw) everywhere, never with u/uw."""
    formal = []
    for message in read_catalogue("nl"):
        if not message.id or message.id in FORMAL_DUTCH_ALLOWED:
            continue
        translations = message.string if isinstance(message.string, tuple | list) else [message.string]
        if any(FORMAL_DUTCH.search(text or "") for text in translations):
            msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
            formal.append(f"{msgid!r}: {' | '.join(translations)!r}")
    assert not formal, "\n".join(["Say je/jij/jouw, not u/uw, in:", *formal])


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_check_finds_missing_identical_untranslated_and_broken_strings(tmp_path: Path) -> None:
    write(
        tmp_path / "community" / "models.py",
        "from django.utils.translation import gettext_lazy as _\n"
        'A = _("Municipality")\nB = _("Status holder")\nC = _("Hello %(name)s")\nD = _("Knooppunt")\n',
    )
    write(tmp_path / "templates" / "page.html", '{% load i18n %}<p>{% translate "Sign in" context "button" %}</p>')
    write(
        tmp_path / "locale" / "nl" / "LC_MESSAGES" / "django.po",
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Municipality"\nmsgstr "Municipality"\n\n'
        'msgid "Status holder"\nmsgstr ""\n\n'
        'msgid "Hello %(name)s"\nmsgstr "Hallo %(naam)s"\n\n'
        'msgid "Knooppunt"\nmsgstr "Knooppunt"\n',
    )
    problems = "\n".join(catalogue_problems("nl", tmp_path))
    assert "identical to the source 'Municipality' from community/models.py:2" in problems
    assert "untranslated 'Status holder'" in problems
    assert "placeholders differ in 'Hello %(name)s'" in problems
    assert "missing 'Sign in' (context 'button') from templates/page.html:1" in problems
    assert "Knooppunt" not in problems  # a proper noun on the allow-list
    assert len(problems.splitlines()) == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "direction", "text"),
    [("nl", "ltr", "Inloggen"), ("en", "ltr", "Sign in"), ("ar", "rtl", "تسجيل الدخول")],
)
def test_pages_speak_the_chosen_language_in_its_direction(
    client: Client, language: str, direction: str, text: str
) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert f'<html lang="{language}" dir="{direction}">' in html
    assert text in html


@pytest.mark.django_db
def test_dutch_is_the_default_language(client: Client) -> None:
    assert '<html lang="nl" dir="ltr">' in client.get("/").content.decode()
