"""One rule per PowerShell trap; each docstring says why the trap is real and where from.

A rule takes a parsed `Script` and yields (node, message) pairs; the message says what to
change. `RULES` maps each rule's id to it; the ids are stable so reports can cite them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tests.pslint.linter import (
    Node,
    Rule,
    Script,
    command_name,
    elements,
    enclosing,
    functions,
    parameters,
    raw_command_name,
    text,
    unquote,
    walk,
)

_DISCARDING = {"out-null"}


def _statement(node: Node) -> Node:
    """The whole statement `node` is part of (the child of its statement list)."""
    while node.parent is not None and node.parent.type not in ("statement_list", "program"):
        node = node.parent
    return node


def _usage(command: Node) -> str:
    """How the command's output is used: "discarded" (`| Out-Null`, `$null = ...`),
    "statement" (a statement of its own: it goes to the enclosing function's output) or
    "value" (assigned, compared, piped on, returned)."""
    chain = command.parent
    if chain is None or chain.type != "pipeline_chain":
        return "value"
    commands = [c for c in chain.named_children if c.type == "command"]
    if commands[-1] != command:
        return "discarded" if command_name(commands[-1]) in _DISCARDING else "value"
    pipeline = chain.parent
    if pipeline is None or pipeline.type != "pipeline" or pipeline.parent is None:
        return "value"
    if pipeline.parent.type == "statement_list":
        return "statement"
    assignment = pipeline.parent
    if assignment.type == "assignment_expression" and \
            text(assignment.children[0]).strip().lower() == "$null":
        return "discarded"
    return "value"


def _scope_nodes(function: Node) -> Iterator[Node]:
    """The function's own statements: not nested functions, not script blocks it passes on
    (a `{ ... }` given to ForEach-Object writes to that command's pipeline)."""
    stack = list(reversed(function.children))
    while stack:
        node = stack.pop()
        if node.type in ("function_statement", "script_block_expression"):
            continue
        yield node
        stack.extend(reversed(node.children))


def _direct_output(function: Node) -> Iterator[tuple[Node, str]]:
    for node in _scope_nodes(function):
        if node.type == "command" and command_name(node) in ("write-output", "echo", "write") \
                and _usage(node) == "statement":
            yield node, "Write-Output"
        if node.type == "pipeline" and node.parent is not None and \
                node.parent.type == "statement_list":
            chain = node.named_children[0] if node.named_children else None
            if chain is None or chain.type != "pipeline_chain" or \
                    any(c.type == "command" for c in chain.named_children):
                continue
            expression = chain.named_children[0]
            if unquote(expression) is not None or _innermost(expression).type == "string_literal":
                yield node, "a bare string"
            elif re.match(r"^\$[\w.]+\.Add\(", text(node)):
                yield node, "a bare .Add() (an ArrayList's Add returns the new index)"


def _innermost(node: Node) -> Node:
    while node.named_child_count == 1:
        node = node.named_children[0]
    return node


def output_in_used_function(script: Script) -> Iterator[tuple[Node, str]]:
    """PSL001: output written inside a function whose value is used.

    Everything a PowerShell function writes to the output stream is part of its value, not
    only what it `return`s: a log line written with Write-Output (or a bare string, or an
    ArrayList's `.Add()` index) turns `return "passed"` into `@("log line", "passed")`, and
    `-ne "passed"` on that array is truthy. The same holds through a helper called as a
    statement of its own inside such a function. See about_Return ("the results of each
    statement are returned as output, even without a statement that contains the Return
    keyword"): https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_return
    Fix: Write-Verbose/Write-Information/Add-Content for logs, `$null = ...` for values.
    """
    defined = functions(script.root)
    used: dict[str, int] = {}
    statements: list[tuple[Node, str]] = []
    for node in walk(script.root):
        if node.type == "command" and command_name(node) in defined:
            usage = _usage(node)
            if usage == "value":
                used.setdefault(command_name(node), node.start_point[0] + 1)
            elif usage == "statement":
                statements.append((node, command_name(node)))
    # A helper called as a statement inside a function whose value is used adds to that value.
    changed = True
    while changed:
        changed = False
        for node, name in statements:
            caller = enclosing(node, "function_statement")
            if caller is None or name in used or \
                    enclosing(node, "script_block_expression", "function_statement") != caller:
                continue
            caller_name = text(next(c for c in caller.children if c.type == "function_name"))
            if caller_name.lower() in used:
                used[name] = used[caller_name.lower()]
                changed = True
    for name, line in used.items():
        spelled = text(next(c for c in defined[name].children if c.type == "function_name"))
        for node, what in _direct_output(defined[name]):
            yield node, (f"{what} inside {spelled}, whose value is used (line {line}): it becomes "
                         "part of that value; log with Write-Verbose or Add-Content, or "
                         "discard with $null = ...")


_POWERSHELL = {"powershell", "pwsh"}


def _arrays(script: Script) -> set[str]:
    """Variables that hold an array here: assigned @(...) or a comma list, or typed [x[]]."""
    found: set[str] = set()
    for node in walk(script.root):
        if node.type == "assignment_expression":
            value = node.children[2]
            if _is_array_literal(value):
                found.add(text(node.children[0]).strip().lower())
        elif node.type == "script_parameter" and "[]]" in text(node).split("$")[0]:
            found.add(text(node.named_children[-1]).lower())
    return found


def _is_array_literal(node: Node) -> bool:
    inner = node
    while inner.named_child_count == 1 and inner.type != "array_expression":
        inner = inner.named_children[0]
    if inner.type == "array_expression":
        return True
    return inner.type == "array_literal_expression" and any(c.type == "," for c in inner.children)


def file_with_array(script: Script) -> Iterator[tuple[Node, str]]:
    """PSL002: `powershell.exe -File script.ps1 -Param <array>`.

    With -File the new process receives its script's arguments as strings, one per word:
    an array splatted into the command line arrives as separate words, and `-Database A B`
    binds A to -Database and leaves B to a positional parameter (or fails), so a
    [String[]] parameter never gets more than one item. about_PowerShell_exe, -File: "the
    values are passed as literal strings":
    https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_powershell_exe
    Fix: pass one delimited string and split it in the script, or use -Command.
    """
    arrays = _arrays(script)
    for node in walk(script.root):
        if node.type != "command" or command_name(node) not in _POWERSHELL or \
                "-file" not in parameters(node):
            continue
        items = elements(node)
        start = next(i for i, item in enumerate(items) if text(item).lower() == "-file")
        for item in items[start + 2:]:
            if item.type in ("command_parameter", "redirection"):
                continue
            if _is_array_literal(item) or text(item).strip().lower() in arrays:
                yield item, (f"{text(item).strip()} is an array passed through powershell.exe "
                             "-File, which hands the script strings: join it into one string "
                             "and split it in the script, or use -Command")


_NATIVE = re.compile(r"\.(exe|com|bat|cmd)[\"']?$", re.IGNORECASE)


def _error_action(script: Script, node: Node) -> str:
    """$ErrorActionPreference where `node` runs, as set most recently before it."""
    scope: Node | None = enclosing(node, "function_statement", "script_block_expression")
    while True:
        root = scope if scope is not None else script.root
        latest: tuple[int, str] | None = None
        for candidate in (_scope_nodes(root) if scope is not None else walk(root)):
            if candidate.type == "assignment_expression" and \
                    text(candidate.children[0]).strip().lower() == "$erroractionpreference" \
                    and candidate.start_byte < node.start_byte and \
                    (scope is not None or enclosing(candidate, "function_statement") is None):
                value = (unquote(candidate.children[2]) or text(candidate.children[2])).lower()
                if latest is None or candidate.start_byte > latest[0]:
                    latest = (candidate.start_byte, value.strip("'\" "))
        if latest is not None:
            return latest[1]
        if scope is None:
            return "stop" if script.is_module else "continue"
        scope = enclosing(scope, "function_statement", "script_block_expression")


def stderr_redirect_under_stop(script: Script) -> Iterator[tuple[Node, str]]:
    """PSL003: `2>&1` (or any 2>) on a native command while $ErrorActionPreference is Stop.

    In Windows PowerShell 5.1, redirecting a native program's stderr turns each stderr line
    into an ErrorRecord (NativeCommandError); under Stop the first one is a terminating
    error, so a program that writes a warning to stderr and exits 0 fails the module.
    Ansible's module wrapper sets Stop for every module (ansible-core
    executor/powershell/module_wrapper.ps1). PowerShell 7.2+ changed this
    (PSNotApplyErrorActionToStderr), Windows PowerShell never did:
    https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_redirection
    and https://github.com/PowerShell/PowerShell/issues/3996.
    Fix: set $ErrorActionPreference = 'Continue' in the function that runs the program,
    and judge it by $LASTEXITCODE.
    """
    for node in walk(script.root):
        if node.type != "redirection" or not re.match(r"^\s*[2*]>", text(node)):
            continue
        command = enclosing(node, "command")
        if command is None or not _NATIVE.search(raw_command_name(command).strip()):
            continue
        if _error_action(script, command) == "stop":
            yield node, (f"{text(node).strip()} on {raw_command_name(command).strip()} under "
                         "$ErrorActionPreference Stop: a stderr line becomes a terminating "
                         "error in Windows PowerShell 5.1; set $ErrorActionPreference = "
                         "'Continue' in this function and check $LASTEXITCODE")


_CUSTOM_DATE = re.compile(r"yy|MM|dd|HH|hh|mm|ss|fff|tt")


def _is_custom_date_format(value: str | None) -> bool:
    # One-letter formats are standard ones; "o", "s" and "u" are culture-invariant.
    return value is not None and len(value) > 1 and bool(_CUSTOM_DATE.search(value))


def _invariant_names(script: Script) -> set[str]:
    return {text(n.children[0]).strip().lower() for n in walk(script.root)
            if n.type == "assignment_expression" and "InvariantCulture" in text(n.children[2])}


def _is_invariant(node: Node, names: set[str]) -> bool:
    return "invariantculture" in text(node).lower() or text(node).strip().lower() in names


def _arguments(invocation: Node) -> list[Node]:
    for child in invocation.children:
        if child.type == "argument_list":
            for inner in child.children:
                if inner.type == "argument_expression_list":
                    return [c for c in inner.children if c.type == "argument_expression"]
    return []


def culture_dependent_date(script: Script) -> Iterator[tuple[Node, str]]:
    """PSL004: a custom date/time format without InvariantCulture.

    A custom format string takes its separators, calendar and digits from the current
    culture: ':' is the culture's time separator and '/' its date separator, and on a
    Thai-culture host 'yyyy' is the Buddhist year 2569. A timestamp written or parsed this
    way differs per host. "Custom date and time format strings" (the ':' and '/'
    specifiers, and "The current culture is used" when no provider is given):
    https://learn.microsoft.com/en-us/dotnet/standard/base-types/custom-date-and-time-format-strings
    Get-Date -Format has no culture parameter. "o", "s" and "u" are culture-invariant
    standard formats. Fix: ToString(fmt, [Globalization.CultureInfo]::InvariantCulture),
    ParseExact(text, fmt, [Globalization.CultureInfo]::InvariantCulture), or "o".
    """
    invariant = _invariant_names(script)
    for node in walk(script.root):
        if node.type == "invokation_expression":
            member = next((c for c in node.children if c.type == "member_name"), None)
            name = text(member).lower() if member is not None else ""
            args = _arguments(node)
            if name == "tostring" and args and _is_custom_date_format(unquote(args[0])) and \
                    (len(args) < 2 or not _is_invariant(args[1], invariant)):
                yield node, (f"ToString({text(args[0])}) formats with the host's culture: pass "
                             "[Globalization.CultureInfo]::InvariantCulture, or use \"o\"")
            if name in ("parseexact", "tryparseexact") and \
                    (len(args) < 3 or not _is_invariant(args[2], invariant)):
                yield node, (f"{text(member)} parses with the given culture: pass "
                             "[Globalization.CultureInfo]::InvariantCulture")
        elif node.type == "command" and command_name(node) == "get-date":
            value = parameters(node).get("-format")
            if value is not None and _is_custom_date_format(unquote(value)):
                yield node, (f"Get-Date -Format {text(value)} formats with the host's culture: "
                             "use (Get-Date).ToString(format, [Globalization.CultureInfo]::"
                             "InvariantCulture), or -Format o")


_FILE_COMMANDS = {"get-content", "set-content", "add-content", "out-file"}
_JSON_COMMANDS = {"convertfrom-json", "convertto-json"}


def json_without_encoding(script: Script) -> Iterator[tuple[Node, str]]:
    """PSL005: JSON read or written with Get-Content/Set-Content/Add-Content/Out-File and
    no -Encoding.

    JSON is UTF-8 (RFC 8259). Windows PowerShell 5.1 reads a file without a BOM in the
    system's ANSI code page and Set-Content writes ANSI, Out-File UTF-16LE: a name with
    an accent ("São Paulo", "Müller") comes back mangled or the file cannot be parsed
    elsewhere. about_Character_Encoding, "Character encoding in Windows PowerShell":
    https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_character_encoding
    Fix: -Encoding UTF8 on every read and write of JSON.
    """
    for node in walk(script.root):
        if node.type != "command" or command_name(node) not in _FILE_COMMANDS or \
                "-encoding" in parameters(node):
            continue
        statement = _statement(node)
        json = any(n.type == "command" and command_name(n) in _JSON_COMMANDS
                   for n in walk(statement)) or ".json" in text(node).lower()
        if json:
            yield node, (f"{raw_command_name(node)} of JSON without -Encoding: Windows "
                         "PowerShell 5.1 uses the ANSI code page (Out-File UTF-16); add "
                         "-Encoding UTF8")


# English names of built-in principals -> their well-known SIDs. "Well-known SIDs":
# https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids
BUILTIN_SIDS = {
    "administrators": "S-1-5-32-544",
    "users": "S-1-5-32-545",
    "guests": "S-1-5-32-546",
    "power users": "S-1-5-32-547",
    "backup operators": "S-1-5-32-551",
    "network configuration operators": "S-1-5-32-556",
    "remote desktop users": "S-1-5-32-555",
    "performance log users": "S-1-5-32-559",
    "event log readers": "S-1-5-32-573",
    "remote management users": "S-1-5-32-580",
    "everyone": "S-1-1-0",
    "authenticated users": "S-1-5-11",
    "system": "S-1-5-18",
    "local service": "S-1-5-19",
    "network service": "S-1-5-20",
    "interactive": "S-1-5-4",
}


def english_principal(script: Script) -> Iterator[tuple[Node, str]]:
    """PSL006: a built-in principal by its English name instead of its SID.

    Built-in groups and accounts are named in the system's language: 'Administrators' is
    'Administratoren' on German Windows, 'Administrateurs' on French, 'Users' is
    'Benutzer'/'Utilisateurs'; 'BUILTIN\\Users' and 'NT AUTHORITY\\SYSTEM' likewise. A name
    lookup fails (or, worse, matches nothing) on a localised host; the SID is the same
    everywhere. "Well-known SIDs" and "Security identifiers":
    https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids
    https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/manage/understand-security-identifiers
    Fix: New-Object Security.Principal.SecurityIdentifier('S-1-5-32-544') and translate it.
    """
    for node in walk(script.root):
        # A hashtable key is data (a service start mode "System"), not a principal.
        if node.type != "string_literal" or enclosing(node, "key_expression") is not None:
            continue
        value = unquote(node)
        if value is None:
            continue
        name = value.strip().lower()
        for prefix in ("builtin\\", "nt authority\\"):
            name = name.removeprefix(prefix)
        if name in BUILTIN_SIDS:
            yield node, (f"{text(node)} names a built-in principal in English; its name is "
                         f"localised: use its SID {BUILTIN_SIDS[name]}")


RULES: dict[str, Rule] = {
    "PSL001": output_in_used_function,
    "PSL002": file_with_array,
    "PSL003": stderr_redirect_under_stop,
    "PSL004": culture_dependent_date,
    "PSL005": json_without_encoding,
    "PSL006": english_principal,
}
