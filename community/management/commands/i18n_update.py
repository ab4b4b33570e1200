"""Merge the strings of our code and templates into the nl and ar catalogues.

Keeps existing translations, adds new strings untranslated, drops strings the
code no longer has. ``make`` compiles the result; ``make test`` fails while a
string is missing or untranslated.
"""

from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from django.core.management.base import BaseCommand

from community.i18n import CATALOGUE_LANGUAGES, DOMAIN, catalogue_path, extract_messages, read_catalogue


class Command(BaseCommand):
    help = "Update locale/<lang>/LC_MESSAGES/django.po from the source (no GNU gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        template = Catalog(domain=DOMAIN, project="Knooppunt")
        for source in extract_messages().values():
            msgid = (source.msgid, source.plural) if source.plural else source.msgid
            template.add(msgid, locations=source.locations, context=source.context)
        for language in CATALOGUE_LANGUAGES:
            path = catalogue_path(language)
            if path.exists():
                catalogue = read_catalogue(language)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                catalogue = Catalog(locale=language, domain=DOMAIN, project="Knooppunt")
            catalogue.update(template, no_fuzzy_matching=True)
            # Babel marks a new catalogue fuzzy, and refuses to compile a fuzzy one.
            catalogue.fuzzy = False
            with path.open("wb") as handle:
                write_po(handle, catalogue, width=100, ignore_obsolete=True, sort_output=True)
            untranslated = sum(1 for message in catalogue if message.id and not message.string)
            self.stdout.write(f"{path}: {len(catalogue)} strings, {untranslated} untranslated")
