"""Each host's own password reaches Ansible from its site's vault file (the vars plugin)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sitekit.credentials.passwords import SiteSecrets, secrets_file

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_each_host_reaches_ansible_with_its_own_password(tmp_path: Path) -> None:
    """The vars plugin, through the real ansible-inventory: vault decrypted, per host."""
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "inventories" / "example", fleet)
    key = tmp_path / "vp"
    key.write_text("pw\n", encoding="utf-8")
    env = {**os.environ, "ANSIBLE_VAULT_PASSWORD_FILE": str(key),
           "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "cache")}
    made = subprocess.run([sys.executable, "-m", "sitekit", "passwords", "generate", str(fleet),
                           "--site", "LIS01"], env=env, capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    assert "lis01.yml: 4 new host passwords" in made.stdout
    found = SiteSecrets.read(secrets_file(fleet, "LIS01"), key)

    def digest(host: str) -> subprocess.CompletedProcess[str]:
        # debug runs on the controller: the host's variables as a task sees them, hashed.
        return subprocess.run(["ansible", "-i", str(fleet), host, "-m", "ansible.builtin.debug",
                               "-a", "msg={{ ansible_password | hash('sha256') }}"],
                              env=env, capture_output=True, text=True, check=False, cwd=ROOT)

    # LON01 has no file yet: a run that does not touch it never opens it (stage task).
    run = digest("lis01-srv01:lis01-pos01")
    assert run.returncode == 0, run.stdout + run.stderr
    for host in ("lis01-srv01", "lis01-pos01"):
        expected = hashlib.sha256(found.hosts[host]["password"].encode()).hexdigest()
        assert f'{host} | SUCCESS => {{\n    "msg": "{expected}"' in run.stdout
    # A site without its file, once the fleet keeps secrets, fails naming file and fix.
    other = digest("lon01-srv01")
    assert other.returncode != 0
    assert "secrets/lon01.yml: no secrets for site_lon01: run `sitekit passwords generate" \
        in " ".join((other.stdout + other.stderr).split())
