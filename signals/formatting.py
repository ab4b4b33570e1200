"""Message bodies: plain text with links made clickable and a few safe marks; everything else escaped.

Marks: ``**bold**``, and lines starting with ``- `` or ``* `` become a list. No HTML from the
writer ever reaches the page: the text is escaped first (by Django's ``urlize``) and only
then are our own tags added.
"""

from __future__ import annotations

import re

from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITEM = re.compile(r"^\s*[-*]\s+(.*)$")


def _inline(escaped: str) -> str:
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def render_body(text: str) -> SafeString:
    """Safe HTML for a message body."""
    escaped = urlize(text.strip(), nofollow=True, autoescape=True)
    escaped = escaped.replace('<a href="', '<a rel="nofollow noopener" href="').replace(' rel="nofollow"', "")
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            blocks.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
            items.clear()

    for line in escaped.split("\n"):
        item = _ITEM.match(line)
        if item:
            if paragraph:
                flush()
            items.append(item.group(1))
        elif not line.strip():
            flush()
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    return mark_safe("".join(blocks))  # noqa: S308 -- built from escaped text and our own tags only
