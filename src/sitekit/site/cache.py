"""Checked site files kept by content, and the rules every sitekit cache follows.

Reading a site file (strict YAML, then the schema) is most of what `sitekit plan`,
`validate` and `rollout plan` spend on a fleet of thousands of sites. A file whose exact
bytes were read and passed the schema before, by the same checking code, needs neither
again: `SiteCache` keeps each valid site file's data under the SHA-256 of its bytes and of
the site layer's code, one cache file per fleet directory. Files with problems are never
kept, so every error is found and worded afresh; a changed file is a new key.

The cache folder is its owner's alone (0700, files 0600) and each cache file carries an
HMAC keyed by a secret kept beside it, so an entry edited by anyone else is never served.
The inventory plugin keeps its own entries under the same rules, from this module.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

from sitekit.site import strict_yaml

CACHE_VARIABLE = "SITEKIT_CACHE"
# Under the working directory, like the lab's .cache/lab and Ansible's .cache/inventory.
DEFAULT_DIR = Path(".cache") / "sitekit"
KEY_FILE = ".sitekit-cache-key"
_FORMAT = 1
_OFF = frozenset({"off", "0", "false", "no"})


class CacheError(OSError):
    """A cache folder or key that is not its owner's alone."""


def cache_dir() -> Path | None:
    """Where the checked site files are kept: $SITEKIT_CACHE, or .cache/sitekit; None if off."""
    configured = os.environ.get(CACHE_VARIABLE)
    if configured is None:
        return DEFAULT_DIR
    if not configured.strip() or configured.strip().lower() in _OFF:
        return None
    return Path(configured)


def owned_dir(directory: Path) -> Path:
    """The folder, created if missing, checked to be this user's and made private."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid():
        raise CacheError(f"the cache folder {directory} belongs to another user; point the "
                         "cache at a folder of your own")
    if info.st_mode & 0o077:
        directory.chmod(0o700)
    return directory


def secret(directory: Path) -> bytes:
    """The cache's HMAC key, kept beside it and created once (atomically) when missing."""
    key_file = owned_dir(directory) / KEY_FILE
    if not os.path.lexists(key_file):
        # Written whole under another name, then linked into place: a process racing this
        # one either links first or finds the complete key, never an empty file.
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".key-")
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(secrets.token_bytes(32))
            os.link(temporary, key_file)
        except FileExistsError:
            pass
        finally:
            Path(temporary).unlink()
    info = key_file.lstat()
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise CacheError(f"{key_file} must be a file of this user's, readable by it alone "
                         "(chmod 600); or remove the cache folder")
    return key_file.read_bytes()


def mac(key: bytes, *parts: str) -> str:
    """The HMAC-SHA256 of the parts, joined by newlines."""
    return hmac.new(key, "\n".join(parts).encode(), hashlib.sha256).hexdigest()


@functools.cache
def code_digest(*roots: Path) -> str:
    """A hash of the Python files and schemas under each root (or of a root file itself)."""
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else [*root.rglob("*.py"), *root.rglob("*.json")]
        for file in sorted(files):
            digest.update(f"{file.relative_to(root.parent)}\0".encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def content_key(data: bytes) -> str:
    """The key of a site file's bytes as checked by this version of the site layer."""
    return hashlib.sha256(code_digest(Path(__file__).parent).encode() + data).hexdigest()


class SiteCache:
    """The checked site files of one fleet directory, by content."""

    def __init__(self, directory: Path, fleet: Path) -> None:
        self._directory = directory
        name = hashlib.sha256(os.path.abspath(fleet).encode()).hexdigest()[:24]  # noqa: PTH100
        self._file = directory / f"sites-{name}.json"
        self._entries: dict[str, Any] | None = None
        self._key = b""
        self._used: set[str] = set()
        self._changed = False

    @classmethod
    def for_fleet(cls, fleet: Path) -> SiteCache | None:
        """The cache of a fleet directory in the configured folder, or None when it is off."""
        directory = cache_dir()
        return None if directory is None else cls(directory, fleet)

    def _load(self) -> dict[str, Any]:
        if self._entries is not None:
            return self._entries
        self._entries = {}
        try:
            self._key = secret(self._directory)
            text = self._file.read_text(encoding="utf-8")
        except OSError:  # none yet, or not ours: read every file (and keep nothing)
            return self._entries
        head, _, body = text.partition("\n")
        try:
            wrapper = json.loads(head)
            if (wrapper.get("format") == _FORMAT
                    and hmac.compare_digest(str(wrapper.get("mac")), mac(self._key, body))):
                self._entries = json.loads(body)
        except (ValueError, AttributeError):
            pass  # damaged: start afresh, and replace it
        return self._entries

    def get(self, key: str) -> strict_yaml.Mapping | None:
        """A site file's checked data, if these bytes were checked before."""
        data = self._load().get(key)
        if not isinstance(data, dict):
            return None
        self._used.add(key)
        mapping = strict_yaml.Mapping(data)
        mapping.lines = {}  # read again from the file when a problem needs a line
        return mapping

    def put(self, key: str, data: Any) -> None:
        """Keep a site file's data that passed the schema."""
        self._load()[key] = strict_yaml.plain(data)
        self._used.add(key)
        self._changed = True

    def save(self, *, prune: bool) -> None:
        """Write the cache if anything changed; with `prune`, only the entries used now."""
        if self._entries is None or not self._key:
            return
        if prune and set(self._entries) != self._used:
            self._entries = {k: v for k, v in self._entries.items() if k in self._used}
            self._changed = True
        if not self._changed:
            return
        body = json.dumps(self._entries, separators=(",", ":"))
        head = json.dumps({"format": _FORMAT, "mac": mac(self._key, body)})
        try:
            descriptor, temporary = tempfile.mkstemp(dir=self._directory, prefix=".sites-")
        except OSError:
            return  # a cache that cannot be written only costs time
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(f"{head}\n{body}")
            Path(temporary).replace(self._file)  # whole or not at all, whoever reads it
        except OSError:
            Path(temporary).unlink(missing_ok=True)
