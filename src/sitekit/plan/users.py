"""A site's user plan: local groups, their members and permissions, from the staff list.

The service plan's rule: at least one system administrator, and at least two trained
operators for each module in use. A site may waive a rule only with a written reason.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from sitekit.problems import Problem
from sitekit.site import schema
from sitekit.site.model import STATION_KINDS, Fleet, Site, Waiver

# How far ahead a staffing waiver may expire: one place, read by the plan and its docs.
WAIVER_MAX_AHEAD = dt.timedelta(days=366)


@dataclass(frozen=True, slots=True)
class LocalGroup:
    """A Windows local group the plan creates, and what membership grants."""

    name: str
    description: str
    members: tuple[str, ...]
    app_role: str
    member_of: tuple[str, ...]  # built-in groups its members also join
    kinds: tuple[str, ...]  # station kinds where the group exists and its members may log on
    module: str | None


@dataclass(frozen=True, slots=True)
class LocalUser:
    """A staff member's local account (its password comes from the vault, never the plan)."""

    user: str
    full_name: str
    groups: tuple[str, ...]
    administrator: bool


@dataclass(frozen=True, slots=True)
class UserPlan:
    """Groups and users of one site, and the rules that were waived."""

    groups: tuple[LocalGroup, ...]
    users: tuple[LocalUser, ...]
    modules_in_use: tuple[str, ...]
    waived: tuple[str, ...]  # "rule" or "rule:module", each with a reason in the site file

    def groups_on(self, kind: str) -> tuple[str, ...]:
        """Names of the groups that exist on a station of `kind`."""
        return tuple(g.name for g in self.groups if kind in g.kinds)


def plan_users(site: Site, fleet: Fleet, problems: list[Problem],
               today: dt.date | None = None) -> UserPlan:
    """Plan the site's local groups and users and check the staffing rules."""
    today = today or dt.date.today()
    _check_staff(site, fleet, problems)
    kinds = tuple(k for k in STATION_KINDS if any(s.kind == k for s in site.stations))
    in_use = _modules_in_use(site, fleet, kinds)
    waivers, expired = _waivers(site, in_use, today, problems)
    prefix = fleet.accounts["group_prefix"]

    admins = tuple(s.user for s in site.staff if s.administrator)
    groups = [LocalGroup(
        name=f"{prefix} Administrators",
        description="System administrators: maintain the system alone",
        members=admins,
        app_role=fleet.accounts["administrators_app_role"],
        member_of=("Administrators",),
        kinds=kinds,
        module=None,
    )]
    if len(admins) < fleet.rules["min_administrators"] and "min_administrators" not in waivers:
        problems.append(site.problem(("staff",), (
            f"needs at least {fleet.rules['min_administrators']} system administrator(s) "
            f"(`administrator: true`), has {len(admins)}; name one, or add a waiver with "
            "rule: min_administrators and the reason"
            + expired.get("min_administrators", ""))))

    for name in in_use:
        module = fleet.modules[name]
        operators = tuple(s.user for s in site.staff if name in s.modules)
        groups.append(LocalGroup(
            name=f"{prefix} {module.title} Operators",
            description=f"Trained operators of the {module.title} module",
            members=operators,
            app_role=module.app_role,
            member_of=("Users",),
            # The application server checks roles, so every group also lives there.
            kinds=tuple(k for k in kinds if k == "server" or k in module.stations),
            module=name,
        ))
        wanted = fleet.rules["min_operators"]
        if len(operators) < wanted and f"min_operators:{name}" not in waivers:
            who = ", ".join(operators) if operators else "nobody"
            problems.append(site.problem(("staff",), (
                f"module {name} ({module.title}) has {len(operators)} trained operator(s) "
                f"({who}); the service plan asks for at least {wanted}: add {name} to more "
                f"people's modules, or add a waiver with rule: min_operators, module: {name} "
                "and the reason" + expired.get(f"min_operators:{name}", ""))))

    # Each person's groups from one pass over the memberships: linear in the staff.
    groups_of: dict[str, list[str]] = {}
    for group in groups:
        for member in group.members:
            groups_of.setdefault(member, []).append(group.name)
    users = tuple(
        LocalUser(
            user=s.user,
            full_name=s.name,
            groups=tuple(dict.fromkeys(groups_of.get(s.user, ()))),
            administrator=s.administrator,
        )
        for s in site.staff
    )
    return UserPlan(tuple(groups), users, in_use, tuple(sorted(waivers)))


def _check_staff(site: Site, fleet: Fleet, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for i, person in enumerate(site.staff):
        if person.user in seen:
            problems.append(site.problem(
                (*person.path, "user"),
                f"user name {person.user} is already used by staff[{seen[person.user]}]; "
                "every person needs their own account"))
        seen.setdefault(person.user, i)
        for j, module in enumerate(person.modules):
            if module not in fleet.modules:
                close = difflib.get_close_matches(module, list(fleet.modules), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                problems.append(site.problem(
                    (*person.path, "modules", j),
                    f"unknown module '{module}'; {hint}the fleet's modules are: "
                    f"{', '.join(fleet.modules)}"))


def _modules_in_use(site: Site, fleet: Fleet, kinds: tuple[str, ...]) -> tuple[str, ...]:
    """Modules that run on the site's stations or handhelds, or that someone operates."""
    present = set(kinds) | ({"handheld"} if site.handhelds else set())
    operated = {m for s in site.staff for m in s.modules}
    return tuple(name for name, module in fleet.modules.items()
                 if present.intersection(module.stations) or name in operated)


def waiver_reason_length() -> int:
    """The shortest reason a waiver may give, not counting spaces around it (the schema's)."""
    return int(schema.schema("site")["$defs"]["waiver"]["properties"]["reason"]["minLength"])


def _waivers(site: Site, in_use: tuple[str, ...], today: dt.date,
             problems: list[Problem]) -> tuple[set[str], dict[str, str]]:
    """The rules waived today, and a note for each rule whose waiver has expired."""
    active = set()
    expired = {}
    for waiver in site.waivers:
        key = _waiver_key(site, waiver, in_use, problems)
        written = _waiver_written(site, waiver, problems)
        if key is None:
            continue
        if waiver.expires is None:
            problems.append(site.problem(waiver.path, (
                f"add `expires:` (YYYY-MM-DD, at most {WAIVER_MAX_AHEAD.days} days ahead): "
                "every waiver ends")))
            continue
        try:
            expires = dt.date.fromisoformat(waiver.expires)
        except ValueError:
            problems.append(site.problem((*waiver.path, "expires"),
                                         f"'{waiver.expires}' is not a date; write "
                                         "YYYY-MM-DD"))
            continue
        if expires > today + WAIVER_MAX_AHEAD:
            problems.append(site.problem((*waiver.path, "expires"), (
                f"{waiver.expires} is more than {WAIVER_MAX_AHEAD.days} days ahead; a waiver "
                f"is reviewed at least yearly: expire it by {today + WAIVER_MAX_AHEAD}")))
            continue
        if not written:
            continue
        if expires < today:
            # An expired waiver no longer counts: the rule applies again.
            expired[key] = f" (its waiver expired on {waiver.expires})"
            continue
        active.add(key)
    return active, expired


def _waiver_written(site: Site, waiver: Waiver, problems: list[Problem]) -> bool:
    """Whether a waiver's reason and approver say something, once spaces are stripped."""
    ok = True
    wanted = waiver_reason_length()
    if len(waiver.reason.strip()) < wanted:
        problems.append(site.problem((*waiver.path, "reason"), (
            f"too short: write at least {wanted} characters (not counting spaces around "
            "them) saying why, so someone can check it later")))
        ok = False
    if not (waiver.approved_by or "").strip():
        problems.append(site.problem((*waiver.path, "approved_by"),
                                     "name who approved the waiver (name, change number)"))
        ok = False
    return ok


def _waiver_key(site: Site, waiver: Waiver, in_use: tuple[str, ...],
                problems: list[Problem]) -> str | None:
    if waiver.rule == "min_administrators":
        return waiver.rule
    if waiver.module is None:
        problems.append(site.problem(waiver.path,
                                     "a min_operators waiver needs `module:` naming the module"))
        return None
    if waiver.module not in in_use:
        problems.append(site.problem((*waiver.path, "module"),
                                     f"module {waiver.module} is not in use at this site; "
                                     f"modules in use: {', '.join(in_use)}"))
        return None
    return f"{waiver.rule}:{waiver.module}"
