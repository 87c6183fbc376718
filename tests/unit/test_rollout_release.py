"""Releases: the example loads; each bad release under tests/data/bad-releases gives its message."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitekit.rollout.release import load_release
from sitekit.site.load import load_fleet_dir
from tests.conftest import EXAMPLE, ROOT

BAD = ROOT / "tests" / "data" / "bad-releases"
EXAMPLE_RELEASE = "2026-12-lotus-8.5"


def _load(fleet: Path, release_id: str):
    loaded = load_fleet_dir(fleet)
    assert loaded.fleet is not None and not loaded.problems
    return load_release(fleet, release_id, loaded.fleet, loaded.sites)


def test_the_example_release_loads() -> None:
    release, problems = _load(EXAMPLE, EXAMPLE_RELEASE)
    assert problems == []
    assert release is not None
    assert release.canary == ("LIS01",)
    assert [ring.ring for ring in release.rings] == [0, 1, 2]
    assert release.targets() == {"application": "8.5.0", "windows_updates": "KB5048667"}
    assert release.schema_changes


def _expected(path: Path) -> str:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), path
    return first.removeprefix("# expect: ")


@pytest.mark.parametrize("bad", sorted(BAD.glob("*.yml")), ids=lambda path: path.stem)
def test_a_bad_release_says_what_to_change(bad: Path, fleet_copy: Path) -> None:
    (fleet_copy / "releases" / bad.name).write_text(bad.read_text())
    release, problems = _load(fleet_copy, bad.stem)
    assert release is None
    shown = [f"{p.field}: {p.message}" for p in problems]
    assert any(text.startswith(_expected(bad)) for text in shown), shown
    assert all(p.file.endswith(f"releases/{bad.name}") for p in problems)
    assert all(p.line for p in problems), problems  # every problem points at its line


@pytest.mark.parametrize(("release_id", "expected"), [
    (EXAMPLE_RELEASE, None),
    ("no-such-release", "no such release; write it there"),
    ("../sitekit", "is not a release name"),
    ("Upper", "is not a release name"),
])
def test_release_names(release_id: str, expected: str | None) -> None:
    release, problems = _load(EXAMPLE, release_id)
    if expected is None:
        assert release is not None and problems == []
    else:
        assert release is None
        assert len(problems) == 1 and expected in problems[0].message
        assert "releases/" in problems[0].file


def test_the_release_names_the_known_ones_when_missing(fleet_copy: Path) -> None:
    _, problems = _load(fleet_copy, "2027-01")
    assert f"releases of this fleet: {EXAMPLE_RELEASE}" in problems[0].message


def test_a_problem_points_at_the_line(fleet_copy: Path) -> None:
    source = fleet_copy / "releases" / f"{EXAMPLE_RELEASE}.yml"
    lines = source.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if "sites: [LIS01]" in line)
    source.write_text(source.read_text().replace("sites: [LIS01]", "sites: [LON01]"))
    _, problems = _load(fleet_copy, EXAMPLE_RELEASE)
    assert [(p.line, p.site) for p in problems] == [(number, "LON01")]


def test_not_a_mapping_and_bad_yaml(fleet_copy: Path) -> None:
    releases = fleet_copy / "releases"
    (releases / "list.yml").write_text("- release\n")
    (releases / "broken.yml").write_text("release:\n  id: [\n")
    assert "must be a mapping" in _load(fleet_copy, "list")[1][0].message
    assert _load(fleet_copy, "broken")[1][0].message.startswith("YAML syntax:")


def test_the_schema_is_published_with_the_package_and_valid() -> None:
    import jsonschema  # noqa: PLC0415

    from sitekit.rollout.release import release_schema  # noqa: PLC0415

    schema = release_schema()
    assert schema["$id"] == "release.schema.json"
    jsonschema.validators.validator_for(schema).check_schema(schema)
    modeline = (EXAMPLE / "releases" / f"{EXAMPLE_RELEASE}.yml").read_text().splitlines()[0]
    assert modeline.endswith("$schema=../../../src/sitekit/rollout/schemas/release.schema.json")
    assert (EXAMPLE / "releases" / modeline.split("=", 1)[1]).resolve() == (
        ROOT / "src" / "sitekit" / "rollout" / "schemas" / "release.schema.json")


BY_DATE = """    windows_updates:
      security_released_before: "2026-12-10"
"""


def by_date(fleet: Path) -> Path:
    """The example release with its Windows updates given by date instead of as files."""
    source = fleet / "releases" / f"{EXAMPLE_RELEASE}.yml"
    text = source.read_text()
    start = text.index("    # The month's Windows update")
    end = text.index("  database:")
    source.write_text(text[:start] + BY_DATE + text[end:])
    return source


def test_updates_by_date_are_refused_naming_the_file_the_field_and_what_instead(
        fleet_copy: Path) -> None:
    # An offline site cannot turn a date into files: the release is refused when loaded,
    # never carried out with no update installed.
    source = by_date(fleet_copy)
    release, problems = _load(fleet_copy, EXAMPLE_RELEASE)
    assert release is None
    line = source.read_text().splitlines().index('      security_released_before: "2026-12-10"')
    assert [(p.file.endswith(f"releases/{EXAMPLE_RELEASE}.yml"), p.line, p.field)
            for p in problems] == [
        (True, line + 1, "release.components.windows_updates.security_released_before")]
    assert "give `kbs` instead, each update's kb, its .msu installer on the share and its " \
        "sha256" in problems[0].message


PER_BUILD = """    windows_updates:
      kbs:
        - kb: KB5048654
          installer: windows\\2026-12\\windows10.0-kb5048654-x64.msu
          sha256: 1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a
          builds: [20348]
        - kb: KB5048685
          installer: windows\\2026-12\\windows11.0-kb5048685-x64.msu
          sha256: 2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b
          builds: [22621, 22631]
"""


def test_updates_per_os_build_load_and_each_keeps_its_builds(fleet_copy: Path) -> None:
    # Server 2022 and Windows 11 take different cumulative updates: each names its builds,
    # and the role installs on a host those of its own build.
    source = fleet_copy / "releases" / f"{EXAMPLE_RELEASE}.yml"
    text = source.read_text()
    start = text.index("    windows_updates:")
    source.write_text(text[:start] + PER_BUILD + text[text.index("  database:"):])
    release, problems = _load(fleet_copy, EXAMPLE_RELEASE)
    assert problems == []
    assert release is not None
    kbs = release.components["windows_updates"]["kbs"]
    assert [(kb["kb"], kb["builds"]) for kb in kbs] == [
        ("KB5048654", [20348]), ("KB5048685", [22621, 22631])]
    assert release.targets()["windows_updates"] == "KB5048654, KB5048685"


@pytest.mark.parametrize(("builds", "expected"), [
    ("[]", "kbs[0].builds: "),
    ("[20348, 20348]", "kbs[0].builds: "),
    ("[9600]", "kbs[0].builds[0]: "),
])
def test_bad_builds_name_the_field(fleet_copy: Path, builds: str, expected: str) -> None:
    source = fleet_copy / "releases" / f"{EXAMPLE_RELEASE}.yml"
    text = source.read_text()
    start = text.index("    windows_updates:")
    bad = PER_BUILD.replace("builds: [20348]", f"builds: {builds}")
    source.write_text(text[:start] + bad + text[text.index("  database:"):])
    release, problems = _load(fleet_copy, EXAMPLE_RELEASE)
    assert release is None
    assert any(f"{p.field}: ".startswith(f"release.components.windows_updates.{expected}")
               for p in problems), [(p.field, p.message) for p in problems]
