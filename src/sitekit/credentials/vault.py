"""A thin adapter over ansible-vault: sitekit's secrets are read and written as Ansible's are."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import yaml

# Where Ansible itself looks for the vault password when no option names it.
PASSWORD_FILE_ENV = "ANSIBLE_VAULT_PASSWORD_FILE"  # noqa: S105 - a variable name


def password_file(given: Path | None) -> Path:
    """The vault password file: the option's, else ANSIBLE_VAULT_PASSWORD_FILE's."""
    if given is None:
        env = os.environ.get(PASSWORD_FILE_ENV)
        if not env:
            raise ValueError(f"no vault password: give --vault-password-file FILE or set "
                             f"{PASSWORD_FILE_ENV} (the file ansible-playbook reads too)")
        given = Path(env)
    if not given.is_file():
        raise ValueError(f"{given}: the vault password file does not exist")
    return given


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


def atomic_write(path: Path, data: bytes) -> None:
    """Replace a file's bytes all at once, owner-only: a crash leaves the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(name).replace(path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def encrypt_bytes(data: bytes, password_file: Path) -> bytes:
    """Encrypt bytes as `ansible-vault encrypt` does."""
    return bytes(_vault(password_file).encrypt(data))


def decrypt_bytes(data: bytes, password_file: Path) -> bytes:
    """Decrypt what encrypt_bytes (or ansible-vault) wrote."""
    return bytes(_vault(password_file).decrypt(data))


def write_vault_vars(path: Path, values: dict[str, Any], password_file: Path) -> None:
    """Write variables as an ansible-vault encrypted YAML file, atomically."""
    plain = "---\n" + yaml.safe_dump(values, default_flow_style=False, sort_keys=True)
    atomic_write(path, encrypt_bytes(plain.encode(), password_file))


def read_vault_vars(path: Path, password_file: Path) -> dict[str, Any]:
    """Decrypt a vault file of variables written by write_vault_vars."""
    data = yaml.safe_load(decrypt_bytes(path.read_bytes(), password_file))
    return data if isinstance(data, dict) else {}
