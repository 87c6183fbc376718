"""The inventory plugin's `shard` option and SITEKIT_SHARD, as ansible-inventory sees them.

The shard rules themselves are property-tested in tests/property/test_shards.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ansible.errors import AnsibleParserError

from plugins.inventory.sitekit import _shard
from tests.conftest import EXAMPLE
from tests.integration.test_inventory_golden import ansible_inventory, listed

pytestmark = pytest.mark.slow


def _sites(stdout: str) -> set[str]:
    groups = listed(stdout)
    return set(groups["fleet_example"]["children"])


def test_the_file_names_a_shard_and_the_environment_overrides_it(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLE, fleet)
    config = fleet / "sitekit.yml"
    config.write_text(config.read_text() + "shard: 2/2\n")
    second = ansible_inventory("-i", str(fleet), "--list")
    first = ansible_inventory("-i", str(fleet), "--list", extra_env={"SITEKIT_SHARD": "1/2"})
    for result in (first, second):
        assert result.returncode == 0, result.stderr
    assert _sites(first.stdout) and _sites(second.stdout)
    assert not _sites(first.stdout) & _sites(second.stdout)
    assert _sites(first.stdout) | _sites(second.stdout) == {
        "site_lis01", "site_ber02", "site_lon01"}


@pytest.mark.parametrize(("env", "expect"), [
    ({}, "{config}: field `shard`: '9/8': the shard must be 1 to 8"),
    ({"SITEKIT_SHARD": "3 of 8"},
     "the environment variable SITEKIT_SHARD: '3 of 8' is not a shard; write K/N, e.g. 3/8"),
])
def test_a_bad_shard_names_where_it_was_set(monkeypatch: pytest.MonkeyPatch,
                                            env: dict[str, str], expect: str) -> None:
    # The plugin's own reading of the option, in process: what ansible-inventory prints
    # (above) without another ansible-inventory run.
    monkeypatch.delenv("SITEKIT_SHARD", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config = str(EXAMPLE / "sitekit.yml")
    with pytest.raises(AnsibleParserError) as raised:
        _shard(config, "9/8")
    assert str(raised.value).startswith(expect.format(config=config))
