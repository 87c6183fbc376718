"""The report templates' Jinja2 environment, shared by the HTML and XML renderers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold (they become U+FFFD)."""
    return _NOT_XML.sub("\ufffd", text)


@cache
def environment() -> Environment:
    """The Jinja2 environment of the report templates (package data, autoescaped)."""
    env = Environment(
        loader=PackageLoader("sitekit.audit", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        keep_trailing_newline=True,
    )
    env.filters["xml"] = xml_text
    return env


def stream(template: str, context: dict[str, Any]) -> Iterator[str]:
    """A template's output in pieces, as Jinja2 generates it."""
    return environment().get_template(template).generate(context)
