"""Each pslint rule flags the trap it exists for and passes the fixed form beside it."""

from __future__ import annotations

import pytest

from tests.pslint.linter import lint, parse, strip_jinja
from tests.pslint.rules import RULES

MODULE = "#!powershell\n#AnsibleRequires -CSharpUtil Ansible.Basic\n"

# (rule, snippet, lines it must flag); an empty list is a snippet the rule must pass.
CASES = [
    # PSL001: the restore-test trap: a log helper writes output, its caller's value is used.
    ("PSL001", """
Function Write-Log {
    param([String]$Message)
    Write-Output $Message
}
Function Test-Restore {
    Write-Log "restoring"
    return "passed"
}
if ((Test-Restore) -ne "passed") { exit 1 }
""", [4]),
    ("PSL001", """
Function Get-Name {
    "a log line"
    return "name"
}
$name = Get-Name
""", [3]),
    ("PSL001", """
Function Get-List {
    $list = New-Object System.Collections.ArrayList
    $list.Add("x")
    return , $list
}
$items = Get-List
""", [4]),
    # Fixed: the log goes elsewhere, the index is discarded.
    ("PSL001", """
Function Write-Log {
    param([String]$Message)
    Add-Content -LiteralPath C:\\log.txt -Value $Message -Encoding UTF8
    Write-Verbose $Message
}
Function Test-Restore {
    Write-Log "restoring"
    $list = New-Object System.Collections.ArrayList
    $null = $list.Add("x")
    return "passed"
}
if ((Test-Restore) -ne "passed") { exit 1 }
""", []),
    # A function that writes output is fine while nothing reads its value.
    ("PSL001", """
Function Show-Progress {
    Write-Output "working"
}
Show-Progress
Show-Progress | Out-Null
""", []),
    # A script block handed to ForEach-Object writes to that pipeline, not the function.
    ("PSL001", """
Function Get-Ports {
    return @(Get-Printer | ForEach-Object { "IP_$($_.Name)" })
}
$ports = Get-Ports
""", []),
    # PSL002: an array through powershell.exe -File.
    ("PSL002", """
$databases = @("A", "B")
& powershell.exe -NoProfile -File C:\\job.ps1 -Database $databases
""", [3]),
    ("PSL002", """
& powershell.exe -File C:\\job.ps1 -Database "A", "B"
""", [2]),
    ("PSL002", """
$databases = @("A", "B")
& powershell.exe -NoProfile -File C:\\job.ps1 -Database ($databases -join ",")
""", []),
    # PSL003: 2>&1 on a native command where Stop is in force.
    ("PSL003", MODULE + """
$out = & secedit.exe /export /cfg C:\\x.inf 2>&1
""", [4]),
    ("PSL003", """
$ErrorActionPreference = "Stop"
$out = & "$env:SystemRoot\\System32\\w32tm.exe" /query /source 2>&1
""", [3]),
    # Fixed: Continue in the function that runs the program; a script that never sets Stop.
    ("PSL003", MODULE + """
Function Invoke-SecEdit {
    $ErrorActionPreference = "Continue"
    $out = & secedit.exe /export /cfg C:\\x.inf 2>&1
    return $LASTEXITCODE
}
""", []),
    ("PSL003", """
$out = & w32tm.exe /query /source 2>&1
$err = Get-Item C:\\nothing 2>&1
""", []),
    # PSL004: custom date formats without InvariantCulture.
    ("PSL004", """
$a = (Get-Date).ToString("yyyy-MM-ddTHH:mm:ssZ")
$b = Get-Date -Format "HH:mm"
$c = [DateTime]::ParseExact($text, "HH:mm", $null)
""", [2, 3, 4]),
    ("PSL004", """
$invariant = [Globalization.CultureInfo]::InvariantCulture
$a = (Get-Date).ToString("yyyy-MM-ddTHH:mm:ssZ", [Globalization.CultureInfo]::InvariantCulture)
$b = (Get-Date).ToUniversalTime().ToString("o")
$c = [DateTime]::ParseExact($text, "HH:mm", $invariant)
$d = $price.ToString("0.00##", $invariant)
$e = Get-Date -Format o
""", []),
    # PSL005: JSON without -Encoding.
    ("PSL005", """
$settings = Get-Content -LiteralPath $path -Raw | ConvertFrom-Json
ConvertTo-Json -InputObject $settings | Set-Content -LiteralPath $path
$data | ConvertTo-Json | Out-File C:\\data.json
$raw = Get-Content -LiteralPath C:\\ProgramData\\x\\settings.json
""", [2, 3, 4, 5]),
    ("PSL005", """
$settings = Get-Content -LiteralPath $path -Raw -Encoding UTF8 | ConvertFrom-Json
ConvertTo-Json -InputObject $settings | Set-Content -LiteralPath $path -Encoding UTF8
$lines = Get-Content -LiteralPath C:\\x.inf -Encoding Unicode
$text = Get-Content -LiteralPath C:\\log.txt
""", []),
    # PSL006: built-in principals by their English names.
    ("PSL006", """
Add-LocalGroupMember -Group "Administrators" -Member $user
$acl = New-Object Security.AccessControl.FileSystemAccessRule("BUILTIN\\Users", "Read", "Allow")
$system = 'NT AUTHORITY\\SYSTEM'
""", [2, 3, 4]),
    ("PSL006", """
$sid = New-Object Security.Principal.SecurityIdentifier("S-1-5-32-544")
$admins = $sid.Translate([Security.Principal.NTAccount])
$modes = @{ "Auto" = "auto"; "System" = "auto" }
$message = "Users created"
""", []),
]


@pytest.mark.parametrize(("rule", "snippet", "lines"), CASES,
                         ids=[f"{c[0]}-{'flags' if c[2] else 'passes'}-{i}"
                              for i, c in enumerate(CASES)])
def test_rule(rule: str, snippet: str, lines: list[int]) -> None:
    findings = lint(parse(snippet), {rule: RULES[rule]})
    assert [f.line for f in findings] == lines, "\n".join(map(str, findings))
    assert all(f.rule == rule and f.message for f in findings)


def test_every_rule_has_a_case_that_flags_and_one_that_passes() -> None:
    for rule in RULES:
        kinds = {bool(lines) for name, _, lines in CASES if name == rule}
        assert kinds == {True, False}, f"{rule} needs a bad and a good snippet"


def test_every_rule_says_why_it_exists_and_where_from() -> None:
    for name, rule in RULES.items():
        assert rule.__doc__ and rule.__doc__.startswith(f"{name}:"), name
        assert "https://" in rule.__doc__, f"{name} cites no source"


def test_jinja_is_stripped_without_moving_lines() -> None:
    template = 'Param()\n{# a\ncomment #}\n{% if x %}\n$a = "{{ name }}"\n{% endif %}\n' \
               '$b = (Get-Date).ToString("HH:mm")\n'
    stripped = strip_jinja(template)
    assert stripped.count("\n") == template.count("\n")
    assert "{{" not in stripped and "{%" not in stripped
    findings = lint(parse(template, "job.ps1.j2"), {"PSL004": RULES["PSL004"]})
    assert [f.line for f in findings] == [7]


def test_a_syntax_error_fails_loudly() -> None:
    with pytest.raises(SyntaxError, match=r"broken\.ps1:2"):
        parse("$a = 1\nif ($x { $y = 1 }\n", "broken.ps1")
