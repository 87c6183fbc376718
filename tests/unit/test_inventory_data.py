"""The plan as inventory data: groups, host variables, and pointing it at the lab."""

from __future__ import annotations

import pytest

from sitekit.inventory import build_inventory, loopback_address, slug
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.problems import ProblemsFound
from tests.conftest import EXAMPLE, TODAY


@pytest.fixture(scope="module")
def example_plan():
    return plan_fleet_dir(EXAMPLE, today=TODAY)


def test_groups_and_children(example_plan) -> None:
    inventory = build_inventory(example_plan)
    groups = inventory.groups
    assert groups["workstations"].children == ["cashier", "kitchen", "office"]
    assert groups["fleet_example"].children == ["site_ber02", "site_lis01", "site_lon01"]
    assert groups["site_lis01"].children == [
        "site_lis01_server", "site_lis01_cashier", "site_lis01_kitchen"]
    assert groups["site_lis01_kitchen"].hosts == ["lis01-kds01"]
    assert "site_lis01_kitchen" in groups["kitchen"].children
    assert groups["ring_2"].children == ["site_lon01"]
    assert groups["fleet_example"].vars["ansible_winrm_transport"] == "ntlm"
    assert "ansible_password" not in groups["fleet_example"].vars


def test_only_the_user_plan_a_station_kind_needs(example_plan) -> None:
    groups = build_inventory(example_plan).groups
    cashier = groups["site_ber02_cashier"].vars
    assert [g["name"] for g in cashier["sitekit_local_groups"]] == [
        "POS Administrators", "POS Cashier Operators"]
    # Kitchen staff have no account on a till.
    assert set(cashier["sitekit_local_users"]) == {"jweber", "mschulz", "lbecker", "efischer"}
    server = groups["site_ber02_server"].vars
    assert len(server["sitekit_local_groups"]) == 5
    assert len(server["sitekit_local_users"]) == 6
    assert server["sitekit_local_users"]["jweber"] == "Jonas Weber"


def test_loopback_and_connection_point_at_the_lab(example_plan) -> None:
    inventory = build_inventory(example_plan, loopback=True,
                                connection={"ansible_winrm_ca_trust_path": "/lab/ca.pem",
                                            "ansible_port": 15986})
    assert inventory.hosts["lis01-pos01"]["ansible_host"] == "127.41.7.6"
    fleet_vars = inventory.groups["fleet_example"].vars
    assert fleet_vars["ansible_winrm_ca_trust_path"] == "/lab/ca.pem"
    assert fleet_vars["ansible_port"] == 15986
    assert fleet_vars["ansible_winrm_server_cert_validation"] == "validate"


@pytest.mark.parametrize(
    ("connection", "expect"),
    [
        ({"ansible_winrm_server_cert_validation": "ignore"}, "never weakens the connection"),
        ({"ansible_winrm_message_encryption": "never"}, "never weakens the connection"),
        ({"ansible_winrm_scheme": "http"}, "never weakens the connection"),
        ({"ansible_host": "10.0.0.1"}, "not ansible_host"),
        ({"ansible_password": "x"}, "may not set ansible_password: passwords"),
    ],
)
def test_connection_overrides_cannot_weaken_it(example_plan, connection: dict[str, str],
                                               expect: str) -> None:
    with pytest.raises(ValueError, match=expect):
        build_inventory(example_plan, connection=connection)


def test_a_plan_with_problems_builds_nothing(fleet_copy) -> None:
    site = fleet_copy / "sites" / "lis01.yml"
    site.write_text(site.read_text().replace("handhelds: 2", "handhelds: 200"))
    with pytest.raises(ProblemsFound, match="handhelds"):
        build_inventory(plan_fleet_dir(fleet_copy, today=TODAY))


@pytest.mark.parametrize(("address", "expect"), [
    ("10.41.7.6", "127.41.7.6"), ("192.168.1.20", "127.168.1.20"), ("10.50.1.254", "127.50.1.254"),
])
def test_loopback_address(address: str, expect: str) -> None:
    assert loopback_address(address) == expect


@pytest.mark.parametrize(("name", "expect"), [
    ("São Paulo", "sao_paulo"), ("London", "london"), ("Frankfurt am Main", "frankfurt_am_main"),
    ("!!!", "unnamed"),
])
def test_slug(name: str, expect: str) -> None:
    assert slug(name) == expect


@pytest.mark.parametrize(("city", "expect"), [
    ("東京", "dongjing"), ("大阪", "daban"), ("北京", "beijing"), ("Москва", "moskva"),
    ("São Paulo", "sao_paulo"),
])
def test_cities_in_any_script_get_their_own_group(city: str, expect: str) -> None:
    assert slug(city) == expect
