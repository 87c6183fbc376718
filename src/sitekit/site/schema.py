"""The JSON Schemas of site and fleet files, and their errors in words an engineer can act on."""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from sitekit.site.strict_yaml import Coerced

if TYPE_CHECKING:
    from jsonschema import ValidationError

# Every free-text string: sitekit hands its values to Ansible as trusted data, which
# is only safe when none of them can be read as a template. The schemas' free-text
# patterns all start so; they also refuse control and invisible characters (NUL, ESC,
# line breaks outside notes, C1, bidi overrides, zero-width): their ranges live in the
# schema files only, and the explanation below asks the pattern which character failed.
NO_TEMPLATE = "^[^{}"
# A key naming a secret: a password, token, credential or key, unless it names a file or
# path where one is kept (ansible_winrm_cert_key_pem, ansible_winrm_keytab).
_SECRET = re.compile(r"pass|secret|token|credential|(^|_)(private_)?key($|_)", re.IGNORECASE)
_PATH_KEY = re.compile(r"(_path|_file|_pem|_dir|keytab)$", re.IGNORECASE)
_REQUIRED = re.compile(r"^'(.+)' is a required property$")

SCHEMA_DIR = resources.files("sitekit.site") / "schemas"

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list (lines starting with -)",
    "null": "nothing",
}


@cache
def schema(name: str) -> dict[str, Any]:
    """The published schema `name` ("site" or "fleet")."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@cache
def _fast_validator(name: str) -> Any:
    registry = jsonschema_rs.Registry(
        [(f"{other}.schema.json", schema(other)) for other in ("site", "fleet")])
    return jsonschema_rs.validator_for(schema(name), registry=registry)


@cache
def _validator(name: str) -> Any:
    # Imported here: jsonschema is only needed to explain errors, and it is slow to import.
    import jsonschema  # noqa: PLC0415
    from referencing import Registry, Resource  # noqa: PLC0415

    registry: Registry = Registry().with_resources(
        (f"{other}.schema.json", Resource.from_contents(schema(other)))
        for other in ("site", "fleet")
    )
    cls = jsonschema.validators.validator_for(schema(name))
    return cls(schema(name), registry=registry)


def errors(name: str, data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each schema error in `data` as (path, message saying what to change)."""
    return validated(_fast_validator(name), lambda: _validator(name), data)


def fast_validator(document: dict[str, Any]) -> Any:
    """A compiled validator of a schema without references (jsonschema-rs)."""
    return jsonschema_rs.validator_for(document)


def validated(fast: Any, explaining: Callable[[], Any],
              data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each error in `data` as (path, what to change), the valid case settled by `fast`.

    `fast` is a compiled validator (jsonschema-rs); `explaining()` makes jsonschema's, which
    words the errors, only when there are any (jsonschema is slow to import).
    """
    # The compiled validator settles the common case, a valid file, in microseconds; a
    # Coerced scalar is no JSON value, so such a document always takes the explaining path.
    coerced = getattr(data, "coerced", False)
    if not coerced and fast.is_valid(data):
        return
    found = False
    for path, message in explained(explaining(), data):
        found = True
        yield path, message
    if not found and not coerced:
        # The two validators disagree: never let a file pass that one of them refused.
        for fast_error in fast.iter_errors(data):
            yield tuple(fast_error.instance_path), fast_error.message


def explained(validator: Any, data: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each error a jsonschema validator finds in `data`, as (path, what to change)."""
    for error in validator.iter_errors(data):
        for leaf in _leaves(error):
            yield tuple(leaf.absolute_path), _explain(leaf)


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    # A $ref or anyOf wraps the error that matters; report the innermost ones.
    if error.context:
        for child in error.context:
            yield from _leaves(child)
    else:
        yield error


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (the key has no value)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if isinstance(value, str) else str(value)


def _explain(error: ValidationError) -> str:
    """One schema error as a sentence that says what to change."""
    value = error.instance
    if isinstance(value, Coerced):
        return value.explain()
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return unknown_keys(sorted(set(value) - set(allowed)), allowed)
    if kind == "required":
        return f"missing required key '{_missing(error)}'"
    if kind == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        words = " or ".join(str(_TYPE_WORDS.get(w, w)) for w in wanted)
        return f"expected {words}, got {_describe(value)}"
    if kind == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        return f"{_describe(value)} is not one of: {choices}"
    if (kind == "pattern" and str(error.validator_value).startswith(NO_TEMPLATE)
            and str(error.validator_value).endswith("]*$")):
        return _explain_text(str(value), error.validator_value)
    if kind == "pattern":
        description = error.schema.get("description", f"must match {error.validator_value}")
        return f"{_describe(value)} is not valid here: {description}"
    if kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        return f"{_describe(value)} is out of range: use {bound} {error.validator_value}"
    if kind == "maxLength":
        return (f"is {len(value)} characters long; write at most {error.validator_value} "
                "(a name or a sentence, not a document)")
    if kind == "minLength":
        return "must not be empty" if error.validator_value == 1 else (
            f"too short: write at least {error.validator_value} characters"
        )
    if kind == "minItems":
        return f"needs at least {error.validator_value} item(s)"
    if kind == "minProperties":
        return f"needs at least {error.validator_value} key(s)"
    if kind == "uniqueItems":
        return "lists the same item twice; remove the duplicate"
    if kind == "propertyNames":
        return f"key {_describe(value)} is not a valid name"
    return error.message


def _explain_text(value: str, pattern: str) -> str:
    """Which character a free-text pattern refused, and where."""
    if "{" in value or "}" in value:
        return (f"{_short(value)} has a brace; braces are not allowed in site and fleet "
                "files, since Ansible would read {{ }} as a template: remove them")
    allowed = re.compile(pattern[1:-2].replace("[^", "[", 1))  # the refused characters
    found = allowed.search(value)
    if found is None:
        return f"{_short(value)} is not valid text here"
    char = found.group()
    name = unicodedata.name(char, "a control character")
    return (f"{_short(value)} holds U+{ord(char):04X} ({name}) at character "
            f"{found.start() + 1}: control and invisible characters (line breaks, escapes, "
            "bidi overrides, zero-width) are not allowed here; remove it")


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def is_secret(key: str) -> bool:
    """Whether a key names a secret (which never belongs in site, fleet or inventory files)."""
    return bool(_SECRET.search(key)) and not _PATH_KEY.search(key)


def unknown_keys(unknown: list[str], allowed: list[str]) -> str:
    """What to do about keys a mapping may not hold: a likely spelling, or the allowed keys."""
    hints = []
    for key in unknown:
        if is_secret(key):
            hints.append(f"{key!r} has no place here: passwords and secrets never belong "
                         "in site files; keep them in ansible-vault")
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        # repr: a key's control or bidi characters are shown escaped, never acted on.
        hints.append(f"unknown key {key!r}; {hint}")
    return "; ".join(hints)


def _missing(error: ValidationError) -> str:
    # jsonschema reports each missing key as its own error: "'city' is a required property".
    match = _REQUIRED.match(error.message)
    return match.group(1) if match else str(error.validator_value)
