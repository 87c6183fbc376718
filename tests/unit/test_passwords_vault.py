"""Unique passwords per host and per user, kept in one ansible-vault file per site."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path

import pytest

from sitekit.cli import main
from sitekit.credentials import passwords
from sitekit.credentials.passwords import SiteSecrets, new_password, secrets_file
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.plan.passwords import complexity_problems

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize("account", [{"ana.silva": "Ana Silva"}, {"sitekit": ""}, {}])
def test_a_new_password_is_one_windows_accepts(account: dict[str, str]) -> None:
    drawn = {new_password(account) for _ in range(200)}
    assert len(drawn) == 200
    for password in drawn:
        assert complexity_problems(password, account, 14) == []
        assert not set(password) & set(":;'\"`$ ")


def test_provision_gives_each_host_and_user_its_own_and_keeps_them(tmp_path: Path) -> None:
    key = tmp_path / "vp"
    key.write_text("pw\n", encoding="utf-8")
    plan = plan_fleet_dir(ROOT / "inventories" / "example")
    added = passwords.provision(tmp_path, plan, key, NOW)
    lis01 = secrets_file(tmp_path, "LIS01")
    assert lis01.read_bytes().startswith(b"$ANSIBLE_VAULT;1.1;AES256")
    found = SiteSecrets.read(lis01, key)
    hosts, users = added["LIS01"]
    assert sorted(found.hosts) == sorted(hosts) and "lis01-srv01" in hosts
    assert "lis01-guest" in hosts  # the vantage point is logged on to as well
    site = next(s for s in plan.sites if s.site.code == "LIS01")
    assert sorted(found.users) == sorted(u.user for u in site.users.users) == sorted(users)
    every = [e["password"] for e in [*found.hosts.values(), *found.users.values()]]
    assert len(set(every)) == len(every)
    for password in every:
        assert password not in lis01.read_text()
    # A second run keeps what the machines have; a removed entry alone is made again.
    del found.hosts["lis01-pos01"]
    found.write(lis01, key)
    again = passwords.provision(tmp_path, plan, key, NOW)
    assert again["LIS01"] == (["lis01-pos01"], [])
    assert again["LON01"] == ([], [])
    kept = SiteSecrets.read(lis01, key)
    assert kept.hosts["lis01-srv01"] == found.hosts["lis01-srv01"]
    assert kept.hosts["lis01-pos01"]["password"] not in every


def test_host_vars_name_the_file_and_the_fix_when_a_host_is_missing() -> None:
    data = {"hosts": {"a": {"password": "x"}}, "users": {"u": {"password": "y"}}}
    assert passwords.host_vars(data, "a", "f.yml") == {
        "ansible_password": "x", "sitekit_initial_passwords": {"u": "y"}}
    with pytest.raises(KeyError, match=r"f\.yml has no password for b: run `sitekit passwords "
                       "generate FLEET`"):
        passwords.host_vars(data, "b", "f.yml")


def test_handover_prints_a_users_password_once(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "inventories" / "example", fleet)
    key = tmp_path / "vp"
    key.write_text("pw\n", encoding="utf-8")
    monkeypatch.setenv("ANSIBLE_VAULT_PASSWORD_FILE", str(key))

    def sitekit(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(["passwords", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    assert sitekit("generate", str(fleet), "--site", "LIS01").returncode == 0
    user = next(iter(SiteSecrets.read(secrets_file(fleet, "LIS01"), key).users))
    expected = SiteSecrets.read(secrets_file(fleet, "LIS01"), key).users[user]["password"]
    first = sitekit("handover", str(fleet), "--site", "lis01", "--user", user)
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith(f": {expected}") and expected not in first.stderr
    again = sitekit("handover", str(fleet), "--site", "LIS01", "--user", user)
    assert again.returncode == 1 and expected not in again.stdout + again.stderr
    assert "was handed over at" in again.stderr and "not shown again" in again.stderr
    nobody = sitekit("handover", str(fleet), "--site", "LIS01", "--user", "nobody")
    assert "site LIS01 has no user 'nobody'" in nobody.stderr
