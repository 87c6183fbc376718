r"""What the deployed backup job will do, read from the script the role deployed.

The lab cannot run PowerShell. Its model of the db_backup job (sitekit.lab.sqlbackup) needs
a few facts about the job that only its code decides; this module reads them from the text
of Invoke-SitekitBackup.ps1 as win_template wrote it on the lab host, so that putting back
one of the mistakes issue 19 found makes the lab's run fail the way Windows would:

- `logs_to_output`: Write-SitekitLog writes to the success stream (Write-Output, or a bare
  value). A PowerShell function returns everything written to that stream (about_Return),
  so Invoke-SitekitRestoreTest returns @(<log line>, "passed"), which `-ne "passed"` finds
  truthy, and the job exits 1 although every restore passed.
- `locks_history`: every call that saves the history is inside a function that takes a
  Global\\ named mutex (WaitOne) and re-reads the history there. Without it two runs that
  start together both read, then both write, and the later write loses the other's entries.
- `records_before_copy`: the verified backup is recorded before the copy to the second
  target, so a failed copy does not make it invisible to the retention and restore test.
- `chain_by_lsn`: Get-SitekitChain relates backups by LSN (checkpoint_lsn, first_lsn,
  last_lsn) rather than by time; by time, a lost or out-of-band full pairs a differential
  with the wrong full and RESTORE fails.
- `backup_checksum` / `verify_checksum`: whether BACKUP takes WITH CHECKSUM always, only
  when the settings say `checksum: true`, or never; and whether RESTORE VERIFYONLY is WITH
  CHECKSUM (which fails, Msg 3187, on a backup taken without a checksum).

These are checks of the text for those known traps, not an interpreter: braces are matched
without parsing strings (the job's own strings are balanced), and a job that gets a fact
right in another way is judged wrong: change the check with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost

_FUNCTION = re.compile(r"^\s*function\s+(?P<name>[\w-]+)\s*\{", re.IGNORECASE | re.MULTILINE)
# A statement that writes to the success stream: Write-Output/echo, or a bare value.
_OUTPUT = re.compile(r"^\s*(?:write-output\b|echo\b|\$\w+\s*$|\"[^\"]*\"\s*$)",
                     re.IGNORECASE | re.MULTILINE)
_GLOBAL_MUTEX = re.compile(r"[\"']Global\\[^\"']+[\"']", re.IGNORECASE)
_VERIFY = re.compile(r"RESTORE\s+VERIFYONLY\b[^\n]*\bWITH\s+CHECKSUM", re.IGNORECASE)


@dataclass(frozen=True)
class JobTraits:
    """The facts about the deployed job that the lab's model of a run depends on."""

    logs_to_output: bool
    locks_history: bool
    records_before_copy: bool
    chain_by_lsn: bool
    backup_checksum: str  # always | setting | never
    verify_checksum: bool

    def takes_checksum(self, settings: dict[str, object]) -> bool:
        """Whether a backup with these settings is taken WITH CHECKSUM."""
        return self.backup_checksum == "always" or (
            self.backup_checksum == "setting" and bool(settings.get("checksum")))


def functions(text: str) -> dict[str, tuple[int, int]]:
    """Each function's body as (start, end) offsets into the text, by lower-case name."""
    bodies = {}
    for match in _FUNCTION.finditer(text):
        depth, index = 1, match.end()
        while depth and index < len(text):
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        bodies[match["name"].lower()] = (match.end(), index - 1)
    return bodies


def _without_comments(text: str) -> str:
    text = re.sub(r"<#.*?#>", lambda m: "\n" * m.group().count("\n"), text, flags=re.DOTALL)
    return re.sub(r"(?m)(^|\s)#.*$", r"\1", text)


def _locks_history(text: str, bodies: dict[str, tuple[int, int]]) -> bool:
    """Whether every call of Save-SitekitHistory is inside a function holding the mutex."""
    if _GLOBAL_MUTEX.search(text) is None:
        return False
    locking = [span for name, span in bodies.items()
               if ".waitone(" in text[span[0]:span[1]].lower()
               and "read-sitekithistory" in text[span[0]:span[1]].lower()]
    own = bodies.get("save-sitekithistory", (0, 0))
    calls = [m.start() for m in re.finditer(r"\bSave-SitekitHistory\b(?!\s*\{)", text,
                                            re.IGNORECASE)
             if not own[0] <= m.start() <= own[1]]
    return bool(calls) and all(any(start <= call <= end for start, end in locking)
                               for call in calls)


def _backup_checksum(text: str, bodies: dict[str, tuple[int, int]]) -> str:
    """Whether the BACKUP statement's options hold CHECKSUM: always, by setting or never."""
    start, end = bodies.get("invoke-sitekitbackup", (0, 0))
    body = text[start:end]
    if re.search(r"\$options\s*=\s*@\([^)]*[\"']CHECKSUM[\"']", body, re.IGNORECASE):
        return "always"
    if re.search(r"if\s*\(\s*\$settings\.checksum\s*\)\s*\{\s*\$options\s*\+=\s*[\"']CHECKSUM",
                 body, re.IGNORECASE):
        return "setting"
    return "never"


def _records_before_copy(text: str, bodies: dict[str, tuple[int, int]]) -> bool:
    """Whether Invoke-SitekitBackup adds its entry to the history before Copy-Item."""
    start, end = bodies.get("invoke-sitekitbackup", (0, 0))
    body = text[start:end]
    record = re.search(r"(?:\+=|\+)\s*\$entry\b", body, re.IGNORECASE)
    copy = re.search(r"\bCopy-Item\b", body, re.IGNORECASE)
    return record is not None and (copy is None or record.start() < copy.start())


def _chain_by_lsn(text: str, bodies: dict[str, tuple[int, int]]) -> bool:
    """Whether Get-SitekitChain compares LSNs (checkpoint, first and last) to link backups."""
    start, end = bodies.get("get-sitekitchain", (0, 0))
    body = text[start:end].lower()
    return all(name in body for name in ("checkpoint_lsn", "first_lsn", "last_lsn"))


def traits(text: str) -> JobTraits:
    """The traits of a job's script text."""
    text = _without_comments(text)
    bodies = functions(text)
    log_start, log_end = bodies.get("write-sitekitlog", (0, 0))
    return JobTraits(
        logs_to_output=_OUTPUT.search(text[log_start:log_end]) is not None,
        locks_history=_locks_history(text, bodies),
        records_before_copy=_records_before_copy(text, bodies),
        chain_by_lsn=_chain_by_lsn(text, bodies),
        backup_checksum=_backup_checksum(text, bodies),
        verify_checksum=_VERIFY.search(text) is not None,
    )


def read(host: LabHost, script: str) -> JobTraits:
    """The traits of the job deployed at `script` on a lab host (which must exist)."""
    return traits(filesystem.read_file(host, script).decode("utf-8-sig"))
