"""Decode what a WinRM client asks a host to run.

Command lines, encoded PowerShell, and ansible-core's bootstrap wrapper with its
exec manifest.

ansible-core 2.19 runs everything as `PowerShell -NoProfile -NonInteractive
-ExecutionPolicy Unrestricted -EncodedCommand <base64 UTF-16LE>`. The script is the
bootstrap wrapper (executor/powershell/bootstrap_wrapper.ps1), optionally framed by a
StrictMode line and an exit-code trailer; its stdin is a bootstrap JSON, the separator
line of four NULs, the exec manifest JSON and, for put_file, another separator
followed by the file as base64 lines.
"""

from __future__ import annotations

import base64
import binascii
import functools
import importlib.resources
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

SEPARATOR = b"\n\0\0\0\0\n"
_POWERSHELL = {"powershell", "powershell.exe", "pwsh", "pwsh.exe"}
# PowerShell accepts any unambiguous prefix of -EncodedCommand ("-e", "-enc", "-ec").
_ENCODED_FLAG = re.compile(r"^[-/](e|ec|en|enc|enco|encod|encode|encoded|encodedc\w*)$", re.I)
_STRICT_MODE = "Set-StrictMode -Version Latest"
_RC_TRAILER = (
    "If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue)"
    " { exit $LASTEXITCODE } Else { exit 1 } }"
)


class DecodeError(ValueError):
    """Input that a real PowerShell would reject as well."""


@dataclass(frozen=True)
class PowerShellScript:
    """An -EncodedCommand script with ansible's framing lines taken off."""

    body: str
    strict_mode: bool


@dataclass(frozen=True)
class Action:
    """One exec manifest action: the script to run and its parameters.

    Of its secure parameters (become's password) only the names are kept: the lab needs
    to know a password was given, never the password.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    secure_param_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExecManifest:
    """The bootstrap input: wrapper parameters, actions (outermost first) and trailing input."""

    bootstrap_name: str
    bootstrap_params: dict[str, Any]
    actions: tuple[Action, ...]
    script_names: frozenset[str]
    input_data: bytes | None

    @property
    def action(self) -> Action:
        """Return the innermost action: what actually runs."""
        return self.actions[-1]

    @property
    def wrappers(self) -> tuple[Action, ...]:
        """Return the actions that wrap the innermost one (become, async, coverage)."""
        return self.actions[:-1]


def split_command_line(line: str) -> list[str]:
    """Split a Windows command line on whitespace, honouring double quotes."""
    return [m.group(1) if m.group(1) is not None else m.group(2)
            for m in re.finditer(r'"([^"]*)"|(\S+)', line)]


# ansible sends every task the same bootstrap command line: decode it once.
@functools.lru_cache(maxsize=32)
def decode_powershell(line: str) -> PowerShellScript | None:
    """Return the script of a `powershell -EncodedCommand` line, None for other commands."""
    parts = split_command_line(line)
    if not parts or parts[0].lower() not in _POWERSHELL:
        return None
    for flag, value in itertools.pairwise(parts[1:]):
        if _ENCODED_FLAG.match(flag):
            return _frame(_decode_base64_utf16(value))
    return None


def _decode_base64_utf16(value: str) -> str:
    """Decode an -EncodedCommand argument."""
    try:
        return base64.b64decode(value, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise DecodeError(f"-EncodedCommand is not base64 UTF-16LE: {exc}") from exc


def _frame(script: str) -> PowerShellScript:
    """Take off the StrictMode line and exit-code trailer ansible's _encode_script adds."""
    lines = [x.strip() for x in script.splitlines() if x.strip()]
    strict = bool(lines) and lines[0] == _STRICT_MODE
    if strict:
        lines = lines[1:]
    if lines and lines[-1] == _RC_TRAILER:
        lines = lines[:-1]
    return PowerShellScript("\n".join(lines), strict)


@functools.cache
def bootstrap_wrapper() -> str:
    """Return the installed ansible-core's bootstrap wrapper, normalised as it is sent."""
    package = importlib.resources.files("ansible.executor.powershell")
    text = (package / "bootstrap_wrapper.ps1").read_text(encoding="utf-8")
    return _frame(text).body


def is_bootstrap_wrapper(script: PowerShellScript) -> bool:
    """Recognise the bootstrap wrapper by content, with or without StrictMode."""
    return script.body == bootstrap_wrapper()


def parse_bootstrap_input(stdin: bytes) -> ExecManifest:
    """Parse the bootstrap wrapper's stdin into its manifest and trailing input."""
    parts = stdin.split(SEPARATOR, 2)
    if len(parts) < 2:
        raise DecodeError("bootstrap input lacks the NUL separator line")
    bootstrap = _json_object(parts[0], "bootstrap JSON")
    manifest = _json_object(parts[1], "exec manifest")
    raw_actions = manifest.get("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise DecodeError("exec manifest has no actions")
    actions = tuple(
        Action(str(a.get("name", "")), dict(a.get("params") or {}),
               frozenset(a.get("secure_params") or ()))
        for a in raw_actions
        if isinstance(a, dict)
    )
    scripts = manifest.get("scripts")
    return ExecManifest(
        bootstrap_name=str(bootstrap.get("name", "")),
        bootstrap_params=dict(bootstrap.get("params") or {}),
        actions=actions,
        script_names=frozenset(scripts) if isinstance(scripts, dict) else frozenset(),
        input_data=parts[2] if len(parts) == 3 else None,
    )


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    """Decode a JSON object or raise DecodeError naming it."""
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise DecodeError(f"{what} is not a JSON object")
    return value


def base64_lines(data: bytes) -> bytes:
    """Decode put_file's input: one base64 block per line."""
    try:
        return b"".join(base64.b64decode(line, validate=True) for line in data.split() if line)
    except binascii.Error as exc:
        raise DecodeError(f"put_file data is not base64 lines: {exc}") from exc
