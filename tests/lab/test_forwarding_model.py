"""The forwarder's own log as the lab models it (sitekit.lab.forwarding): what the role's
Event Forwarding policy and Event Log Readers membership make it log, over time and with
the collector-unreachable fault, and what sitekit_facts' forwarding subset reads from it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
import yaml

from sitekit.lab import forwarding
from sitekit.lab.host import LabHost
from tests.conftest import EXAMPLE, ROOT
from tests.lab.models import call, seeded

T0 = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
ROLE_VARS = ROOT / "roles" / "windows_base" / "vars" / "main.yml"


def _collector() -> dict[str, Any]:
    fleet = yaml.safe_load((EXAMPLE / "sitekit.yml").read_text())["fleet"]
    return dict(fleet["logging"]["collector"])


def _policy_values() -> list[dict[str, Any]]:
    """The role's SubscriptionManager value, rendered from its vars with the example fleet."""
    template = yaml.safe_load(ROLE_VARS.read_text())["__windows_base_forwarding_values"]
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)  # noqa: S701 - not HTML
    context = {"windows_base_event_collector": _collector()}
    return [{key: env.from_string(str(value)).render(context) for key, value in item.items()}
            for item in template]


def _readers(host: LabHost, state: str) -> dict[str, Any]:
    return call(host, "ansible.windows.win_group_membership",
                {"name": "Event Log Readers", "members": ["NT AUTHORITY\\NETWORK SERVICE"],
                 "state": state})


def _ids(log: list[dict[str, Any]]) -> list[int]:
    return [event["id"] for event in log]


def test_the_roles_policy_subscribes_and_a_fresh_host_logs_nothing() -> None:
    host = seeded("workstation", "lis01-pos01")
    assert forwarding.look(host.state, T0) == []
    assert "forwarding" not in host.state  # nothing to remember without a policy
    values = _policy_values()
    assert values[0]["data"] == (
        "Server=https://wec.lotus-kitchen.example:5986/wsman/SubscriptionManager/WEC,"
        "Refresh=900,IssuerCA=80C2882CB4F07BB6935E94C7A2BA434D9B9EF787")
    assert call(host, "ansible.legacy.sitekit_registry", {"values": values})["changed"] is True
    assert _readers(host, "present")["changed"] is True
    # Policy changed, connected to the subscription manager, subscription created.
    assert _ids(forwarding.look(host.state, T0)) == [106, 104, 100]
    # Looking again later, with nothing changed and no boot, logs nothing new.
    assert _ids(forwarding.look(host.state, T0 + dt.timedelta(days=3))) == [106, 104, 100]


def test_without_event_log_readers_the_subscription_cannot_read_a_channel() -> None:
    host = seeded("workstation", "lis01-kds01")
    call(host, "ansible.legacy.sitekit_registry", {"values": _policy_values()})
    log = forwarding.look(host.state, T0)
    assert _ids(log) == [106, 104, 101]
    # Once NETWORK SERVICE is a member, the next refresh subscribes (900 s).
    _readers(host, "present")
    assert _ids(forwarding.look(host.state, T0 + dt.timedelta(seconds=899))) == [106, 104, 101]
    assert _ids(forwarding.look(host.state, T0 + dt.timedelta(seconds=1800)))[-2:] == [104, 100]


def test_an_invalid_policy_and_an_unreachable_collector_are_logged() -> None:
    host = seeded("server", "lis01-srv01")
    _readers(host, "present")
    plain_http = [{**_policy_values()[0],
                   "data": "Server=http://wec.lotus-kitchen.example:5985/wsman/"
                           "SubscriptionManager/WEC,Refresh=900"}]
    call(host, "ansible.legacy.sitekit_registry", {"values": plain_http})
    assert _ids(forwarding.look(host.state, T0)) == [106, 107]
    call(host, "ansible.legacy.sitekit_registry", {"values": _policy_values()})
    assert _ids(forwarding.look(host.state, T0 + dt.timedelta(minutes=1)))[-3:] == [106, 104, 100]
    host.state["lab"] = {"faults": {"collector-unreachable": {}}}
    at = T0 + dt.timedelta(hours=1)
    assert _ids(forwarding.look(host.state, at))[-1] == 105
    # Each refresh since logs one more while the collector stays quiet.
    assert _ids(forwarding.look(host.state, at + dt.timedelta(hours=1)))[-5:] == [105] * 5
    del host.state["lab"]["faults"]["collector-unreachable"]
    log = forwarding.look(host.state, at + dt.timedelta(hours=2))
    assert _ids(log)[-2:] == [104, 100]


def test_the_facts_read_the_log_and_name_the_collector() -> None:
    host = seeded("server", "lis01-srv01")
    url = _collector()["url"]
    args = {"gather": ["forwarding"], "collector": url}
    fresh = call(host, "ansible.legacy.sitekit_facts", args)["facts"]["forwarding"]
    assert fresh == {"managers": [], "configured": False, "security_readable": False,
                     "last_subscribed": None, "problems_since": 0, "last_problem": None}
    call(host, "ansible.legacy.sitekit_registry", {"values": _policy_values()})
    _readers(host, "present")
    checked = call(host, "ansible.legacy.sitekit_facts", args, check=True)["facts"]["forwarding"]
    assert "forwarding" not in host.state  # check mode caught the log up on a copy
    facts = call(host, "ansible.legacy.sitekit_facts", args)["facts"]["forwarding"]
    assert facts == checked | {"last_subscribed": facts["last_subscribed"]}
    assert facts["configured"] is True and facts["security_readable"] is True
    assert facts["last_subscribed"] is not None and facts["problems_since"] == 0
    elsewhere = "https://elsewhere:5986/wsman/SubscriptionManager/WEC"
    other = call(host, "ansible.legacy.sitekit_facts",
                 {**args, "collector": elsewhere})["facts"]["forwarding"]
    assert other["configured"] is False
    unnamed = call(host, "ansible.legacy.sitekit_facts", {"gather": ["forwarding"]})
    assert unnamed["facts"]["forwarding"]["configured"] is None
