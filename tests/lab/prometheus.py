"""A real Prometheus and Alertmanager (Debian's packages) on loopback, on a config directory.

    with running_alertmanager(config_dir, tmp_path, port) as alertmanager, \
            running_prometheus(config_dir, tmp_path) as prometheus:
        prometheus.wait(lambda: ..., "what is awaited")

Each listens on a free loopback port, keeps its data under the test's temporary directory,
and is stopped (and waited for) when the block ends.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.lab.conftest import free_port


class Prometheus:
    """The HTTP API of a running Prometheus."""

    def __init__(self, url: str, process: subprocess.Popen[str], log: Path) -> None:
        self.url = url
        self.process = process
        self.log = log

    def api(self, path: str) -> Any:
        """GET /api/v1/<path>: its `data`."""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}", timeout=5) as answer:  # noqa: S310 - loopback
            body = json.load(answer)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expression: str) -> list[dict[str, Any]]:
        """An instant query's vector: each sample's labels (`metric`) and `value`."""
        return list(self.api(f"query?query={urllib.parse.quote(expression)}")["result"])

    def targets(self) -> list[dict[str, Any]]:
        """The active scrape targets with their health."""
        return list(self.api("targets?state=active")["activeTargets"])

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """The alerts of a rule, pending or firing."""
        return [alert for alert in self.api("alerts")["alerts"]
                if alert["labels"]["alertname"] == name]

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
        """Poll until `condition` holds; fail naming `what` and Prometheus's log if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited: {self.log.read_text()[-3000:]}")
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(f"not within {timeout:g} s: {what}\n{self.log.read_text()[-3000:]}")


def shorten_holds(rule_file: Path, hold: str = "1s") -> None:
    """Every rule's `for` set to `hold`: the test's clock, not the field's (test only)."""
    rules = yaml.safe_load(rule_file.read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule["for"] = hold
    rule_file.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")


class Alertmanager(Prometheus):
    """The HTTP API (v2) of a running Alertmanager."""

    def alerts(self, name: str = "", **labels: str) -> list[dict[str, Any]]:
        """The alerts it holds (of a rule, with some labels), each with its `status`."""
        matchers = [f'alertname="{name}"'] * bool(name) + [
            f'{key}="{value}"' for key, value in labels.items()]
        query = "&".join(f"filter={urllib.parse.quote(m)}" for m in matchers)
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as answer:  # noqa: S310 - loopback
            return list(json.load(answer))


@contextlib.contextmanager
def _running(binary: str, arguments: list[str], log: Path, url: str) -> Iterator[
        subprocess.Popen[str]]:
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([binary, *arguments], stdout=out, stderr=subprocess.STDOUT,
                                   text=True)
    try:
        Prometheus(url, process, log).wait(lambda: _ready(url), f"{url}/-/ready answers")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_prometheus(config_dir: Path, work: Path) -> Iterator[Prometheus]:
    """Run prometheus on config_dir/prometheus.yml until the block ends."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed: run scripts/setup (Debian's package)"
    port = free_port()
    log, url = work / "prometheus.log", f"http://127.0.0.1:{port}"
    with _running(binary, [f"--config.file={config_dir / 'prometheus.yml'}",
                           f"--storage.tsdb.path={work / 'tsdb'}",
                           f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                  log, url) as process:
        yield Prometheus(url, process, log)


@contextlib.contextmanager
def running_alertmanager(config_dir: Path, work: Path, port: int) -> Iterator[Alertmanager]:
    """Run Alertmanager on config_dir/alertmanager.yml, on `port`, until the block ends."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    assert binary, ("alertmanager is not installed: run scripts/setup (Debian's "
                    "prometheus-alertmanager)")
    log, url = work / "alertmanager.log", f"http://127.0.0.1:{port}"
    # An empty cluster address: one Alertmanager, no gossip port (its default is a fixed one).
    with _running(binary, [f"--config.file={config_dir / 'alertmanager.yml'}",
                           f"--storage.path={work / 'alertmanager'}",
                           f"--web.listen-address=127.0.0.1:{port}",
                           "--cluster.listen-address=", "--log.level=warn"],
                  log, url) as process:
        yield Alertmanager(url, process, log)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:  # noqa: S310
            return bool(answer.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False
