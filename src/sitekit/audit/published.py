"""The audit's published JSON Schemas (package data): policy, facts and report."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_DIR = resources.files("sitekit.audit") / "schemas"


@cache
def schema(name: str) -> dict[str, Any]:
    """A published audit schema: "policy", "facts" or "report"."""
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
