"""The API reference page (/api/v1/docs/), built from the OpenAPI document drf-spectacular generates.

The page is server-rendered and needs no script: this module turns the schema into plain,
typed records (tags → operations → parameters, bodies, responses; component schemas →
properties) and templates/api/reference.html renders them. Every ``$ref`` to a schema
becomes a link to that schema's section, so the anchors on the page come from one place.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from drf_spectacular.settings import spectacular_settings

HTTP_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
SCHEMA_REF = "#/components/schemas/"
# The API's descriptions are written in English, and so is this page; the schema's field titles
# come from lazily translated model names, so it is generated in English whatever the request's language.
REFERENCE_LANGUAGE = "en"

Schema = Mapping[str, Any]


@functools.cache
def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document of /api/v1/schema/, generated once per process (it only changes with the code).

    Same generator and settings as drf-spectacular's SpectacularAPIView: public, no request.
    """
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    with translation.override(REFERENCE_LANGUAGE):
        # Lazy strings forced to plain ones here, inside the override: later they would translate again.
        schema = generator.get_schema(request=None, public=spectacular_settings.SERVE_PUBLIC)
        return json.loads(json.dumps(schema, default=str))  # type: ignore[no-any-return]


@functools.cache
def reference_html() -> str:
    """The whole page, rendered once per process: it depends on nothing but the schema (and takes ~60 ms)."""
    return render_to_string("api/reference.html", {"reference": reference_build(openapi_schema())})


# --- the records the template renders ------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A stretch of prose: plain text, or code (between backticks in the schema's descriptions)."""

    text: str
    code: bool = False


@dataclass(frozen=True)
class Block:
    """A paragraph (one line of runs) or a bulleted list (one line of runs per item)."""

    kind: str  # "p" or "ul"
    lines: tuple[tuple[Run, ...], ...]


def pieces(text: str) -> tuple[str, ...]:
    """A name cut where a line may break (after ``_``, ``/``, ``.``; between words of CamelCase)."""
    return tuple(piece for piece in re.split(r"(?<=[_/.])|(?<=[a-z0-9])(?=[A-Z])", text) if piece) or (text,)


@dataclass(frozen=True)
class TypePart:
    """Part of a type's description; ``href`` links a component schema to its section."""

    text: str
    href: str = ""
    breakable: bool = True  # a schema's long CamelCase name may break; a scheme's short one stays whole

    @property
    def pieces(self) -> tuple[str, ...]:
        return pieces(self.text) if self.breakable else (self.text,)


@dataclass(frozen=True)
class Note:
    """A constraint, e.g. "at most 140 characters" or "one of" with its values (shown as code)."""

    text: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    """A parameter or a property: one row of a table."""

    name: str
    type: tuple[TypePart, ...]
    required: bool
    description: tuple[Block, ...]
    notes: tuple[Note, ...]
    location: str = ""  # parameters only: path, query, header, cookie

    @property
    def pieces(self) -> tuple[str, ...]:
        return pieces(self.name)


@dataclass(frozen=True)
class Example:
    label: str
    text: str


@dataclass(frozen=True)
class Content:
    """A request or response body in one media type."""

    media_type: str
    type: tuple[TypePart, ...]
    fields: tuple[Field, ...]  # only for an inline object; a component is described in its own section
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class Response:
    status: str
    phrase: str
    description: tuple[Block, ...]
    contents: tuple[Content, ...]


@dataclass(frozen=True)
class Requirement:
    """One way to authenticate an operation: all of these schemes together."""

    schemes: tuple[TypePart, ...]


@dataclass(frozen=True)
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: tuple[Block, ...]
    deprecated: bool
    public: bool  # no authentication needed
    optional_auth: bool  # works without, does more with
    security: tuple[Requirement, ...]
    parameters: tuple[Field, ...]
    request_required: bool
    request: tuple[Content, ...]
    responses: tuple[Response, ...]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class Tag:
    anchor: str
    name: str
    description: tuple[Block, ...]
    operations: tuple[Operation, ...]

    @property
    def title(self) -> str:
        """ "open-data" → "Open data"."""
        return self.name[:1].upper() + self.name[1:].replace("-", " ").replace("_", " ")


@dataclass(frozen=True)
class Component:
    anchor: str
    name: str
    type: tuple[TypePart, ...]
    description: tuple[Block, ...]
    notes: tuple[Note, ...]
    fields: tuple[Field, ...]
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class SecurityScheme:
    anchor: str
    name: str
    kind: str
    description: tuple[Block, ...]


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: tuple[Block, ...]
    security_schemes: tuple[SecurityScheme, ...]
    tags: tuple[Tag, ...]
    components: tuple[Component, ...]


# --- building them ---------------------------------------------------------------------------


def anchor_for(prefix: str, name: str) -> str:
    """An id that is valid in a URL fragment and cannot clash across prefixes."""
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_]+', '-', name).strip('-') or 'x'}"


def schema_anchor(name: str) -> str:
    return anchor_for("schema", name)


def prose(text: str | None) -> tuple[Block, ...]:
    """The little Markdown the schema's descriptions use: paragraphs, ``* `` lists and `code`."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("* ", "- ")) for line in lines):
            blocks.append(Block("ul", tuple(_runs(line[2:]) for line in lines)))
        else:
            blocks.append(Block("p", (_runs(" ".join(lines)),)))
    return tuple(blocks)


def _runs(text: str) -> tuple[Run, ...]:
    # Odd pieces were between backticks; an unmatched backtick leaves the rest as code, harmlessly.
    return tuple(Run(piece, code=bool(index % 2)) for index, piece in enumerate(text.split("`")) if piece)


def type_parts(schema: Schema) -> tuple[TypePart, ...]:
    """A short type for a table cell: "string (date-time)", "array of Signal", "Outcome or Blank"."""
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(SCHEMA_REF)
        return (TypePart(name, "#" + schema_anchor(name)),)
    parts: tuple[TypePart, ...]
    for combiner, glue in (("allOf", " and "), ("oneOf", " or "), ("anyOf", " or ")):
        if combiner in schema:
            parts = _joined((type_parts(option) for option in schema[combiner]), glue)
            break
    else:
        kind = schema.get("type")
        if kind == "array":
            parts = (TypePart("array of "), *type_parts(schema.get("items", {})))
        elif kind:
            parts = (TypePart(f"{kind} ({schema['format']})" if "format" in schema else str(kind)),)
        elif "enum" in schema:
            parts = (TypePart("enumeration"),)
        elif "properties" in schema or "additionalProperties" in schema:
            parts = (TypePart("object"),)
        else:
            parts = (TypePart("any"),)
    if schema.get("nullable"):
        parts = (*parts, TypePart(" or null"))
    return parts


def _joined(groups: Iterable[tuple[TypePart, ...]], glue: str) -> tuple[TypePart, ...]:
    joined: list[TypePart] = []
    for group in groups:
        if joined:
            joined.append(TypePart(glue))
        joined.extend(group)
    return tuple(joined)


def notes_for(schema: Schema) -> tuple[Note, ...]:
    """The constraints a reader needs to send a valid value."""
    notes: list[Note] = []
    if schema.get("readOnly"):
        notes.append(Note("read-only"))
    if schema.get("writeOnly"):
        notes.append(Note("write-only"))
    if schema.get("deprecated"):
        notes.append(Note("deprecated"))
    if "enum" in schema:
        notes.append(Note("one of:", tuple(json.dumps(value, ensure_ascii=False) for value in schema["enum"])))
    if "default" in schema:
        notes.append(Note("default:", (json.dumps(schema["default"], ensure_ascii=False),)))
    for key, text in (
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("minimum", "at least {}"),
        ("maximum", "at most {}"),
        ("minItems", "at least {} items"),
        ("maxItems", "at most {} items"),
    ):
        if key in schema:
            notes.append(Note(text.format(schema[key])))
    if "pattern" in schema:
        notes.append(Note("matches:", (str(schema["pattern"]),)))
    items = schema.get("items")
    if isinstance(items, Mapping) and "$ref" not in items:
        notes.extend(Note(f"each item {note.text}", note.values) for note in notes_for(items))
    return tuple(notes)


def properties_of(schema: Schema) -> tuple[Field, ...]:
    required = set(schema.get("required", ()))
    return tuple(
        Field(
            name=name,
            type=type_parts(prop),
            required=name in required,
            description=prose(prop.get("description") or prop.get("title")),
            notes=notes_for(prop),
        )
        for name, prop in schema.get("properties", {}).items()
    )


class _Builder:
    """Reads one OpenAPI document; knows how to follow its non-schema ``$ref``s."""

    def __init__(self, document: Schema) -> None:
        self.document = document

    def resolve(self, node: Schema) -> Schema:
        """A parameter, body or response by reference becomes the thing itself (schemas stay links)."""
        seen = 0
        while "$ref" in node and seen < 10:  # a cycle of references is a broken document
            target: Any = self.document
            for key in str(node["$ref"]).removeprefix("#/").split("/"):
                target = target.get(key, {}) if isinstance(target, Mapping) else {}
            node, seen = target, seen + 1
        return node

    def examples(self, media: Schema) -> tuple[Example, ...]:
        found: list[Example] = []
        for key, example in media.get("examples", {}).items():
            example = self.resolve(example)
            if "value" in example:
                found.append(Example(str(example.get("summary") or key), _dump(example["value"])))
        if "example" in media:
            found.append(Example("Example", _dump(media["example"])))
        if not found:
            # Fall back on the schema's own example, also through a reference to a component.
            schema = media.get("schema", {})
            if "$ref" in schema:
                schema = self.resolve(schema)
            if "example" in schema:
                found.append(Example("Example", _dump(schema["example"])))
        return tuple(found)

    def contents(self, content: Schema) -> tuple[Content, ...]:
        bodies = []
        for media_type, media in content.items():
            schema = media.get("schema", {})
            inline = schema if "$ref" not in schema and "properties" in schema else {}
            bodies.append(Content(media_type, type_parts(schema), properties_of(inline), self.examples(media)))
        return tuple(bodies)

    def parameters(self, path_item: Schema, operation: Schema) -> tuple[Field, ...]:
        # Operation parameters override path-level ones with the same name and location.
        merged: dict[tuple[str, str], Schema] = {}
        for parameter in (*path_item.get("parameters", ()), *operation.get("parameters", ())):
            parameter = self.resolve(parameter)
            merged[(parameter.get("name", ""), parameter.get("in", ""))] = parameter
        fields = []
        for parameter in merged.values():
            schema = parameter.get("schema", {})
            fields.append(
                Field(
                    name=str(parameter.get("name", "")),
                    location=str(parameter.get("in", "")),
                    type=type_parts(schema),
                    required=bool(parameter.get("required")),
                    description=prose(parameter.get("description")),
                    notes=(*((Note("deprecated"),) if parameter.get("deprecated") else ()), *notes_for(schema)),
                )
            )
        return tuple(fields)

    def responses(self, operation: Schema) -> tuple[Response, ...]:
        found = []
        for status, response in operation.get("responses", {}).items():
            response = self.resolve(response)
            try:
                phrase = HTTPStatus(int(status)).phrase
            except ValueError:
                phrase = "Any other status" if status == "default" else ""
            description, contents = prose(response.get("description")), self.contents(response.get("content", {}))
            found.append(Response(str(status), phrase, description, contents))
        return tuple(sorted(found, key=lambda response: response.status))

    def requirement(self, schemes: Schema) -> Requirement:
        links = ((TypePart(name, "#" + anchor_for("auth", name), breakable=False),) for name in schemes)
        return Requirement(_joined(links, " and "))

    def operation(self, path: str, method: str, path_item: Schema, operation: Schema) -> Operation:
        requirements = operation.get("security", self.document.get("security", []))
        body = self.resolve(operation.get("requestBody", {}))
        return Operation(
            anchor=anchor_for("op", operation.get("operationId") or f"{method}-{path}"),
            method=method,
            path=path,
            summary=str(operation.get("summary", "")),
            description=prose(operation.get("description")),
            deprecated=bool(operation.get("deprecated")),
            public=not requirements,
            optional_auth=any(not requirement for requirement in requirements),
            security=tuple(self.requirement(requirement) for requirement in requirements if requirement),
            parameters=self.parameters(path_item, operation),
            request_required=bool(body.get("required")),
            request=self.contents(body.get("content", {})),
            responses=self.responses(operation),
        )

    def tags(self) -> tuple[Tag, ...]:
        """Tags in the document's order, then in order of first use; operations in the paths' order."""
        described = {tag["name"]: tag for tag in self.document.get("tags", ())}
        operations: dict[str, list[Operation]] = {name: [] for name in described}
        for path, path_item in self.document.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in path_item:
                    operation = path_item[method]
                    name = (operation.get("tags") or ["other"])[0]
                    operations.setdefault(name, []).append(self.operation(path, method, path_item, operation))
        return tuple(
            Tag(anchor_for("tag", name), name, prose(described.get(name, {}).get("description")), tuple(found))
            for name, found in operations.items()
            if found
        )

    def components(self) -> tuple[Component, ...]:
        schemas = self.document.get("components", {}).get("schemas", {})
        return tuple(
            Component(
                anchor=schema_anchor(name),
                name=name,
                type=type_parts(schema),
                description=prose(schema.get("description")),
                notes=notes_for(schema),
                fields=properties_of(schema),
                examples=(Example("Example", _dump(schema["example"])),) if "example" in schema else (),
            )
            for name, schema in schemas.items()
        )

    def security_schemes(self) -> tuple[SecurityScheme, ...]:
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        return tuple(
            SecurityScheme(anchor_for("auth", name), name, _scheme_kind(scheme), prose(scheme.get("description")))
            for name, scheme in schemes.items()
        )


def _scheme_kind(scheme: Schema) -> str:
    kind = scheme.get("type", "")
    if kind == "http":
        return f"HTTP {scheme.get('scheme', '')} authentication: the Authorization header"
    if kind == "apiKey":
        where = {"query": "query parameter"}.get(scheme.get("in", ""), scheme.get("in", ""))
        return f"the {scheme.get('name', '')} {where}"
    return str(kind)


def _dump(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def reference_build(document: Schema) -> Reference:
    builder = _Builder(document)
    info = document.get("info", {})
    return Reference(
        title=str(info.get("title", "API")),
        version=str(info.get("version", "")),
        description=prose(info.get("description")),
        security_schemes=builder.security_schemes(),
        tags=builder.tags(),
        components=builder.components(),
    )
