"""A thin adapter over ansible-vault: the lab's credentials reach Ansible as real ones do."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import yaml


def write_secret_file(path: Path, nbytes: int = 24) -> str:
    """Write a new random secret to a file only its owner can read; return it."""
    secret = secrets.token_urlsafe(nbytes)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(secret + "\n", encoding="utf-8")
    return secret


def _vault(password_file: Path) -> Any:
    """An ansible-vault for the password in a file."""
    # Imported here: importing ansible costs a tenth of a second every sitekit command.
    from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: PLC0415

    password = password_file.read_text(encoding="utf-8").strip().encode()
    return VaultLib([("default", VaultSecret(password))])


def write_vault_vars(path: Path, values: dict[str, Any], password_file: Path) -> None:
    """Write variables as an ansible-vault encrypted YAML file, as `ansible-vault encrypt` does."""
    vault = _vault(password_file)
    plain = "---\n" + yaml.safe_dump(values, default_flow_style=False, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(vault.encrypt(plain.encode()))


def read_vault_vars(path: Path, password_file: Path) -> dict[str, Any]:
    """Decrypt a vault file written by write_vault_vars."""
    vault = _vault(password_file)
    data = yaml.safe_load(vault.decrypt(path.read_bytes()))
    return data if isinstance(data, dict) else {}
