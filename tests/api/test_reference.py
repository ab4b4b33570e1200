"""The API reference page (/api/v1/docs/): complete against the schema, linked, script-free, accessible markup."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from api import reference

pytestmark = pytest.mark.django_db
DOCS = "/api/v1/docs/"
METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: tuple[Element, ...]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Page(HTMLParser):
    """Every element of the page with its attributes, its text and its ancestors."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, tuple(self.open))
        if self.open:
            self.open[-1].children.append(element)
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element.text += data

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def page(client: Client) -> Page:
    response = client.get(DOCS)
    assert response.status_code == 200
    return Page(response.content.decode())


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    """The document /api/v1/schema/ serves, in English."""
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return json.loads(response.content)  # type: ignore[no-any-return]


def test_the_page_renders_for_anyone_in_english_whatever_their_language(client: Client) -> None:
    response = client.get(DOCS, HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en" dir="ltr">' in response.content.decode()
    assert client.post(DOCS).status_code == 405


def test_the_page_is_built_from_the_same_schema_as_the_schema_view(schema: dict[str, Any]) -> None:
    reference.openapi_schema.cache_clear()
    with translation.override("nl"):  # generated in English all the same
        assert reference.openapi_schema() == schema


def test_the_page_lists_every_operation_of_the_schema(page: Page, schema: dict[str, Any]) -> None:
    expected = Counter(
        (method.upper(), path) for path, item in schema["paths"].items() for method in item if method in METHODS
    )
    sections = [element for element in page.all("section") if "operation" in element.classes()]
    headings = [next(child for child in section.children if child.tag == "h3") for section in sections]
    assert Counter(tuple(squash(heading.text).split(" ", 1)) for heading in headings) == expected
    assert len(expected) >= 20
    # The method is text, not only a colour.
    assert all(heading.children[0].text in {method.upper() for method in METHODS} for heading in headings)
    contents = {squash(link.text) for link in page.all("a") if link.attrs.get("href", "").startswith("#op-")}
    assert contents == {f"{method} {path}" for method, path in expected}


def test_the_page_lists_every_component_schema(page: Page, schema: dict[str, Any]) -> None:
    names = set(schema["components"]["schemas"])
    listed = {
        squash(child.text)
        for section in page.all("section")
        if "component" in section.classes()
        for child in section.children
        if child.tag == "h3"
    }
    assert listed == names
    ids = {element.attrs.get("id") for element in page.all("section")}
    assert {f"schema-{name}" for name in names} <= ids
    # Every property of every schema is in its table.
    section = next(element for element in page.all("section") if element.attrs.get("id") == "schema-Signal")
    rows = [squash(th.text) for th in page.all("th") if th.attrs.get("scope") == "row" and section in th.parents]
    assert rows == list(schema["components"]["schemas"]["Signal"]["properties"])


def test_references_are_links_to_their_schema(page: Page) -> None:
    section = next(element for element in page.all("section") if element.attrs.get("id") == "op-signals_create")
    links = {link.attrs["href"] for link in page.all("a") if section in link.parents}
    assert {"#schema-SignalCreateRequest", "#schema-Signal", "#schema-PersonalDataError", "#schema-Error"} <= links
    assert "#/components/" not in "".join(element.text for element in page.all("main"))


def test_every_link_on_the_page_goes_to_an_anchor_that_exists(page: Page) -> None:
    ids = Counter(element.attrs["id"] for element in page.elements if "id" in element.attrs)
    assert [name for name, count in ids.items() if count > 1] == []
    fragments = {link.attrs["href"][1:] for link in page.all("a") if link.attrs.get("href", "").startswith("#")}
    assert fragments - set(ids) == set()
    assert {"main", "contents", "authentication", "schemas"} <= fragments


def test_the_page_has_no_script_no_inline_style_and_nothing_from_another_host(client: Client, page: Page) -> None:
    html = client.get(DOCS).content.decode()
    assert "<script" not in html and "<style" not in html
    for element in page.elements:
        assert "style" not in element.attrs
        assert not [name for name in element.attrs if name.startswith("on")]
        for name in ("href", "src", "action"):
            value = element.attrs.get(name, "")
            assert not re.match(r"^(\w+:)?//", value), value
    stylesheets = [link.attrs["href"] for link in page.all("link") if link.attrs.get("rel") == "stylesheet"]
    assert [sheet.rsplit("/", 1)[-1].split(".")[0] for sheet in stylesheets] == ["app", "api-docs"]
    assert [link for link in page.all("link") if link.attrs.get("rel") == "icon"]


def test_the_headings_go_in_order_under_one_h1(page: Page) -> None:
    headings = [element for element in page.elements if re.fullmatch(r"h[1-6]", element.tag)]
    levels = [int(heading.tag[1]) for heading in headings]
    assert levels.count(1) == 1 and levels[0] == 1
    assert all(after <= before + 1 for before, after in zip(levels, levels[1:], strict=False))
    assert {squash(heading.text) for heading in headings if heading.tag == "h4"} == {
        "Parameters",
        "Request body",
        "Responses",
    }
    assert all(heading.parents[-1].tag == "main" for heading in headings if heading.tag == "h1")


def test_the_page_has_a_skip_link_landmarks_and_a_named_contents(page: Page) -> None:
    first_link = page.all("a")[0]
    assert first_link.attrs["href"] == "#main" and "skip-link" in first_link.classes()
    (main,) = page.all("main")
    assert main.attrs["id"] == "main"
    contents = next(nav for nav in page.all("nav") if nav.attrs.get("id") == "contents")
    assert contents.attrs["aria-label"] == "Contents"


def test_tables_are_captioned_have_column_headers_and_scroll_in_a_focusable_region(page: Page) -> None:
    tables = page.all("table")
    assert tables
    labels = []
    for table in tables:
        assert squash(next(child for child in table.children if child.tag == "caption").text)
        header = [th for th in page.all("th") if table in th.parents and th.parents[-1].tag == "tr"]
        columns = [squash(th.text) for th in header if th.attrs.get("scope") == "col"]
        assert columns in (
            ["Name", "In", "Type", "Required", "Description"],
            ["Name", "Type", "Required", "Description"],
        )
        region = table.parents[-1]
        assert "table-scroll" in region.classes()
        assert region.attrs["tabindex"] == "0" and region.attrs["role"] == "region" and region.attrs["aria-label"]
        labels.append(region.attrs["aria-label"])
    assert len(labels) == len(set(labels))  # each region's name tells it apart
    examples = page.all("pre")
    assert examples and all(pre.attrs.get("tabindex") == "0" for pre in examples)


def test_a_public_operation_says_so_and_others_name_their_schemes(page: Page) -> None:
    def auth_note(anchor: str) -> str:
        section = next(element for element in page.all("section") if element.attrs.get("id") == anchor)
        return squash(next(p for p in page.all("p") if "auth" in p.classes() and section in p.parents).text)

    assert auth_note("op-open_data_signals_csv") == "Authentication: none, this operation is public."
    assert auth_note("op-signals_list") == "Authentication: personalToken or cookieAuth."


# --- building the records from a document ------------------------------------------------------


def test_reference_build_reads_what_the_generator_does_not_use_yet() -> None:
    document = {
        "info": {"title": "T", "version": "2", "description": "One `code`.\n\n* a\n* b"},
        "security": [{"key": []}, {}],
        "paths": {
            "/x/{id}/": {
                "parameters": [{"$ref": "#/components/parameters/Id"}],
                "get": {
                    "responses": {
                        "default": {"$ref": "#/components/responses/Oops"},
                        "200": {
                            "description": "",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/X"}}},
                        },
                    }
                },
            }
        },
        "components": {
            "parameters": {"Id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}},
            "responses": {"Oops": {"description": "Went wrong."}},
            "schemas": {
                "X": {
                    "type": "object",
                    "properties": {"when": {"type": "string", "format": "date", "nullable": True}},
                    "example": {"when": None},
                }
            },
            "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}},
        },
    }  # fmt: skip
    built = reference.reference_build(document)
    assert built.description == (
        reference.Block("p", ((reference.Run("One "), reference.Run("code", code=True), reference.Run(".")),)),
        reference.Block("ul", ((reference.Run("a"),), (reference.Run("b"),))),
    )
    (tag,) = built.tags
    (operation,) = tag.operations
    assert (tag.name, operation.anchor, operation.label) == ("other", "op-get-x-id", "GET /x/{id}/")
    assert not operation.public and operation.optional_auth
    assert [parameter.name for parameter in operation.parameters] == ["id"]
    assert [(response.status, response.phrase) for response in operation.responses] == [
        ("200", "OK"),
        ("default", "Any other status"),
    ]
    assert operation.responses[0].contents[0].examples == (reference.Example("Example", '{\n  "when": null\n}'),)
    (component,) = built.components
    assert component.fields[0].type == (reference.TypePart("string (date)"), reference.TypePart(" or null"))
    assert built.security_schemes[0].kind == "the X-Key header"
