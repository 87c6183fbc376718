"""Small helpers the module models share: diffs, and the lab's clock (sitekit.lab.clock)."""

from __future__ import annotations

from typing import Any

from sitekit.lab.clock import filetime, utcnow, windows_zones, zone

# The module models take the clock from here; the lab's own code from sitekit.lab.clock.
__all__ = ["diff", "filetime", "put", "utcnow", "windows_zones", "zone"]

def diff(before: Any, after: Any) -> dict[str, Any]:
    """The diff key modules return: before and after."""
    return {"before": before, "after": after}


def put(store: dict[str, Any], key: str, wanted: dict[str, Any], check_mode: bool,
        with_diff: bool) -> dict[str, Any]:
    """Make store[key] equal wanted unless it already is; the module result says which."""
    current = store.get(key)
    changed = wanted != current
    if changed and not check_mode:
        store[key] = wanted
    result: dict[str, Any] = {"changed": changed}
    if with_diff and changed:
        result["diff"] = diff(current or {}, wanted)
    return result
