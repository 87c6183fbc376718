"""Windows' advanced audit policy as `auditpol` shows it: categories, subcategories, defaults.

The names are `auditpol /list /subcategory:* /r`'s on English Windows (Server 2022 and
Windows 11 have the same 59 subcategories in 9 categories). A fresh install's settings are
the "Windows Default" column of Microsoft's audit policy recommendations
(https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/plan/security-best-practices/audit-policy-recommendations),
for a computer that is not a domain controller. A setting is the set of inclusion flags
({"success", "failure"}; empty: No Auditing).
"""

from __future__ import annotations

import re

CATEGORIES: dict[str, tuple[str, ...]] = {
    "System": ("Security State Change", "Security System Extension", "System Integrity",
               "IPsec Driver", "Other System Events"),
    "Logon/Logoff": ("Logon", "Logoff", "Account Lockout", "IPsec Main Mode",
                     "IPsec Quick Mode", "IPsec Extended Mode", "Special Logon",
                     "Other Logon/Logoff Events", "Network Policy Server",
                     "User / Device Claims", "Group Membership"),
    "Object Access": ("File System", "Registry", "Kernel Object", "SAM",
                      "Certification Services", "Application Generated", "Handle Manipulation",
                      "File Share", "Filtering Platform Packet Drop",
                      "Filtering Platform Connection", "Other Object Access Events",
                      "Detailed File Share", "Removable Storage", "Central Policy Staging"),
    "Privilege Use": ("Non Sensitive Privilege Use", "Other Privilege Use Events",
                      "Sensitive Privilege Use"),
    "Detailed Tracking": ("Process Creation", "Process Termination", "DPAPI Activity",
                          "RPC Events", "Plug and Play Events", "Token Right Adjusted Events"),
    "Policy Change": ("Audit Policy Change", "Authentication Policy Change",
                      "Authorization Policy Change", "MPSSVC Rule-Level Policy Change",
                      "Filtering Platform Policy Change", "Other Policy Change Events"),
    "Account Management": ("Computer Account Management", "Security Group Management",
                           "Distribution Group Management", "Application Group Management",
                           "Other Account Management Events", "User Account Management"),
    "DS Access": ("Directory Service Access", "Directory Service Changes",
                  "Directory Service Replication", "Detailed Directory Service Replication"),
    "Account Logon": ("Kerberos Service Ticket Operations", "Other Account Logon Events",
                      "Kerberos Authentication Service", "Credential Validation"),
}
SUBCATEGORIES = tuple(name for names in CATEGORIES.values() for name in names)

_BOTH, _SUCCESS = ("success", "failure"), ("success",)
# Everything else is No Auditing on a fresh install.
_DEFAULTS: dict[str, tuple[str, ...]] = {
    "Security State Change": _SUCCESS, "System Integrity": _BOTH, "Other System Events": _BOTH,
    "Logon": _BOTH, "Logoff": _SUCCESS, "Account Lockout": _SUCCESS, "Special Logon": _SUCCESS,
    "Network Policy Server": _BOTH, "Audit Policy Change": _SUCCESS,
    "Authentication Policy Change": _SUCCESS, "Security Group Management": _SUCCESS,
    "User Account Management": _SUCCESS,
}
# auditpol's "Inclusion Setting" for each set of flags.
INCLUSION = {(): "No Auditing", ("success",): "Success", ("failure",): "Failure",
             ("success", "failure"): "Success and Failure"}


def seed() -> dict[str, list[str]]:
    """A fresh install's audit policy: {subcategory: flags}."""
    return {name: list(_DEFAULTS.get(name, ())) for name in SUBCATEGORIES}


def fact_key(subcategory: str) -> str:
    """A subcategory's key in the facts: Other Logon/Logoff Events -> other_logon_logoff_events."""
    return re.sub(r"[^a-z0-9]+", "_", subcategory.lower()).strip("_")
