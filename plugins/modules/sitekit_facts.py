# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the sitekit_facts Windows module (the code is sitekit_facts.ps1)."""

DOCUMENTATION = r"""
module: sitekit_facts
short_description: What preflight and the monthly audit read from a Windows host, in one call
description:
  - Returns the requested subsets of facts about the host under C(facts), each in the shape
    of the monthly audit's facts format (src/sitekit/audit/schemas/facts.schema.json), so a
    registered result becomes a facts file without reshaping.
  - It reads only, so it runs the same in check mode and never reports a change.
  - One call per host instead of one per fact keeps a fleet-wide audit to one WinRM round
    trip per host.
  - A subset that cannot be read now (SQL Server not answering, Windows Update unreachable)
    is left out of C(facts) and named in C(unavailable) with the reason; the call still
    succeeds, so the other subsets are kept.
options:
  gather:
    description:
      - The subsets to return.
      - C(os) caption, version (major.minor.build.UBR), build, UBR, last boot, reboot pending.
      - C(updates) installed updates (Get-HotFix and the Windows Update history), the newest
        install date, and the applicable updates not installed (a Windows Update search).
      - C(application) the package of the application named by O(application_name).
      - C(sql_server) instance, edition and version of SQL Server; null when not installed.
      - C(defender) Get-MpComputerStatus, engine, platform and signature versions, signature
        age, real-time protection, last quick and full scan.
      - C(backups) per database (O(databases)), the newest full, differential and log backup
        from msdb.dbo.backupset, and the last restore test from the db_backup job's history.
      - C(disks) size and free space of each fixed volume, keyed by drive (C:).
      - C(sql_files) per database, the size of its data and log files.
      - C(services) state and start mode of each service in O(services).
      - C(local_groups) the members of each local group in O(groups) that exists.
      - C(password_policy) and C(lockout_policy) the local policy (secedit /export).
      - C(winrm) the WinRM listeners and whether the service allows Basic or unencrypted.
      - C(firewall) per profile, whether it is on and its default actions.
      - C(network) the host's IPv4 addresses and its enabled inbound allow firewall rules
        with their local ports and remote addresses.
      - C(clock) the offset from O(ntp_server), the time source in use, and whether that source
        is O(ntp_server) (the designated time server, PCI DSS 10.6.2).
      - C(autologon) whether Windows logs on by itself, and as whom.
      - C(logging) the advanced audit policy per subcategory (auditpol; English Windows), whether
        it overrides the legacy categories, and the Security log's effective size and mode.
      - C(hardening) the security options the CIS items audit by registry value (the idle
        lock and the protocol hardening), each as its data or null when not set, and the
        built-in Administrator and Guest accounts (found by SID).
      - C(accounts) the enabled local accounts whose own password never expires, and every
        enabled local account with its last logon.
      - C(forwarding) Windows Event Forwarding (PCI DSS 10.3.3) - the subscription managers
        the Event Forwarding policy names, whether one is O(collector), whether NETWORK
        SERVICE may read the Security log (Event Log Readers), the last subscription the
        forwarder created (event 100 of Microsoft-Windows-Forwarding/Operational), and the
        problems it logged since (events 101, 102, 105, 107), the newest with its message.
    type: list
    elements: str
    default: [os, updates, application, sql_server, defender, backups, disks, sql_files,
              services, local_groups, password_policy, lockout_policy, winrm, firewall,
              network, clock, autologon, logging, hardening, accounts, forwarding]
    choices: [os, updates, application, sql_server, defender, backups, disks, sql_files,
              services, local_groups, password_policy, lockout_policy, winrm, firewall,
              network, clock, autologon, logging, hardening, accounts, forwarding]
  application_name:
    description:
      - The restaurant application's name (the fleet's C(application.name)); its package is
        the installed program named so, or so followed by C(Server) or C(Client).
      - Required when C(application) is gathered.
    type: str
  services:
    description: The services whose state and start mode C(services) returns, by name.
    type: list
    elements: str
    default: []
  groups:
    description: The local groups whose members C(local_groups) returns.
    type: list
    elements: str
    default: []
  ntp_server:
    description:
      - The time reference C(clock) measures the offset against (the fleet's NTP server).
      - Without it C(clock) has only the time source.
    type: str
  collector:
    description:
      - The fleet's event collector's URL, which C(forwarding) looks for among the policy's
        subscription managers. Without it C(forwarding) has no C(configured).
    type: str
  sql_instance:
    description:
      - The SQL Server instance to read; by default the first one installed.
      - Given with O(sql_connect); the inventory's C(sitekit_sql.instance).
    type: str
  sql_connect:
    description:
      - What SqlClient connects to (C(Server=)), the inventory's C(sitekit_sql.connect)
        (C(localhost) for the default instance, C(localhost\NAME) for a named one).
      - Without it C(backups) and C(sql_files) are unavailable and C(sql_server) comes from
        setup's registry record.
    type: str
  databases:
    description: The databases C(backups) and C(sql_files) report; by default every user database.
    type: list
    elements: str
    default: []
  schema_database:
    description:
      - The application's database whose schema version C(sql_server) returns as
        C(schema_version), read from the database's extended property C(SchemaVersion),
        which the application's upgrade step writes (null when the database has none, as
        at the schema its first install made).
      - Read through O(sql_connect); the rollout's pre-checks read it to resume an
        interrupted upgrade.
    type: str
  backup_settings:
    description:
      - The db_backup job's settings file; its backup folder holds the job's history,
        where the restore tests are recorded.
    type: str
    default: C:\ProgramData\Sitekit\Backup\backup-settings.json
author:
  - sitekit contributors
"""

EXAMPLES = r"""
- name: Read the host's build and free disk for preflight
  sitekit_facts:
    gather: [os, disks]
  register: preflight_register_facts

- name: Gather everything the monthly audit checks on a server
  sitekit_facts:
    application_name: Lotus POS
    services: [WinDefend, mpssvc, W32Time, WinRM, LotusPosServer, MSSQL$SQLEXPRESS]
    groups: [Administrators, Users, POS Administrators]
    ntp_server: 10.41.7.1
    sql_instance: "{{ sitekit_sql.instance }}"
    sql_connect: "{{ sitekit_sql.connect }}"
    databases: [LotusPOS]
  register: monthly_audit_register_facts
"""

RETURN = r"""
gathered_at:
  description: The host's clock (UTC) when it read the facts; preflight compares it with the
    controller's.
  returned: always
  type: str
  sample: "2026-12-01T03:12:00Z"
computer_name:
  description: The host's computer name as Windows runs under it now (a rename waits for a
    restart).
  returned: always
  type: str
  sample: LIS01-SRV01
unavailable:
  description: Subsets that could not be read, each with the reason; they are left out of
    C(facts).
  returned: always
  type: dict
  sample: {backups: "cannot query SQL Server instance SQLEXPRESS: Login failed"}
facts:
  description: The requested subsets, each in the facts format's shape.
  returned: always
  type: dict
  contains:
    os:
      description: Caption, version (major.minor.build.UBR), build, ubr, last_boot (UTC) and
        reboot_pending.
      returned: when os is gathered
      type: dict
      sample: {caption: Microsoft Windows Server 2022 Standard, version: 10.0.20348.5499,
               build: 20348, ubr: 5499, last_boot: "2026-11-30T22:01:12Z",
               reboot_pending: false}
    updates:
      description:
        - C(installed) and C(missing) lists of updates ({kb, title, category, category_id,
          severity, installed_on, released}) and C(newest_installed), the newest install date
          (null when none). C(category) is the classification's localised name,
          C(category_id) its GUID, the same in every language.
        - C(missing) is left out when Windows Update cannot be searched (see C(unavailable)).
      returned: when updates is gathered
      type: dict
      sample: {installed: [{kb: KB5044281, title: 2024-10 Cumulative Update ...,
                            category: Security Updates, installed_on: "2026-11-12T03:10:00Z"}],
               newest_installed: "2026-11-12T03:10:00Z", missing: []}
    application:
      description: The application's package name, version and component (server or
        client); null when not installed.
      returned: when application is gathered
      type: dict
      sample: {name: Lotus POS Server, version: 8.4.2, component: server}
    sql_server:
      description: Instance, edition and version (SERVERPROPERTY); null when SQL Server is
        not installed.
      returned: when sql_server is gathered
      type: dict
      sample: {instance: SQLEXPRESS, edition: Express Edition (64-bit), version: 16.0.1000.6}
    defender:
      description:
        - antivirus_enabled, realtime_protection, engine_version, platform_version,
          signature_version, signature_last_updated, last_quick_scan and last_full_scan
          (null when never run).
      returned: when defender is gathered
      type: dict
      sample: {antivirus_enabled: true, realtime_protection: true,
               engine_version: 1.1.26080.3, platform_version: 4.18.26040.7,
               signature_version: 1.419.163.0, signature_last_updated: "2026-11-30T07:00:00Z",
               last_quick_scan: "2026-12-01T00:04:00Z", last_full_scan: null}
    backups:
      description:
        - Per database, recovery_model, last_full, last_differential, last_log
          (msdb.dbo.backupset), last_restore_test (the newest restore test that succeeded)
          and restore_test_result (of the newest one); null when there is none.
        - "{} when SQL Server is not installed."
      returned: when backups is gathered and SQL Server answers
      type: dict
      sample: {LotusPOS: {recovery_model: FULL, last_full: "2026-11-29T23:00:30Z",
                          last_differential: "2026-11-30T23:00:30Z",
                          last_log: "2026-12-01T03:00:05Z",
                          last_restore_test: "2026-11-03T01:00:45Z",
                          restore_test_result: succeeded}}
    disks:
      description: Per fixed volume (C:), size_bytes, free_bytes and free_percent.
      returned: when disks is gathered
      type: dict
      sample: {"C:": {size_bytes: 274877906944, free_bytes: 214748364800, free_percent: 78.1}}
    sql_files:
      description: Per database, data_mb and log_mb (sys.master_files); {} when SQL Server is
        not installed.
      returned: when sql_files is gathered and SQL Server answers
      type: dict
      sample: {LotusPOS: {data_mb: 64.0, log_mb: 16.0}}
    services:
      description: Per service asked for, state (running, stopped, ..., absent) and
        start_mode (auto, delayed, manual, disabled).
      returned: when services is gathered
      type: dict
      sample: {WinDefend: {state: running, start_mode: auto},
               Nope: {state: absent, start_mode: null}}
    local_groups:
      description: Per group asked for that exists, its members (local accounts without the
        computer name).
      returned: when local_groups is gathered
      type: dict
      sample: {Administrators: {members: [Administrator, sitekit, acosta]}}
    password_policy:
      description: min_length, complexity, history, max_age_days (0 = never expires) and
        min_age_days.
      returned: when password_policy is gathered
      type: dict
      sample: {min_length: 12, complexity: true, history: 4, max_age_days: 90, min_age_days: 1}
    lockout_policy:
      description: threshold (0 = never), duration_minutes (0 = until unlocked) and
        window_minutes.
      returned: when lockout_policy is gathered
      type: dict
      sample: {threshold: 10, duration_minutes: 30, window_minutes: 30}
    winrm:
      description: listeners ({transport, port, address, certificate_thumbprint}), basic_auth
        and allow_unencrypted.
      returned: when winrm is gathered
      type: dict
      sample: {listeners: [{transport: HTTPS, port: 5986, address: "*",
                            certificate_thumbprint: 3F2A...}],
               basic_auth: false, allow_unencrypted: false}
    firewall:
      description: Per profile (domain, private, public), enabled, default_inbound and
        default_outbound.
      returned: when firewall is gathered
      type: dict
      sample: {domain: {enabled: true, default_inbound: block, default_outbound: allow}}
    network:
      description: addresses (IPv4 address/prefix, but loopback and link-local) and
        inbound_rules, each enabled inbound allow rule's name, protocol, local_ports and
        remote_addresses as Windows reports them.
      returned: when network is gathered
      type: dict
      sample: {addresses: [10.41.7.4/26], inbound_rules: [{name: sitekit-sql, protocol: tcp,
               local_ports: ["1433"], remote_addresses: [10.41.7.0/255.255.255.192]}]}
    clock:
      description: offset_seconds (local clock minus the reference; only with ntp_server),
        source, and designated (the source is ntp_server, false without a source; only with
        ntp_server).
      returned: when clock is gathered
      type: dict
      sample: {offset_seconds: 0.012, source: "10.41.7.1,0x9", designated: true}
    logging:
      description: audit_policy (per subcategory, its key auditpol's English name in lower case
        with runs of other characters as _, the list of success and failure it records),
        force_subcategories (Lsa SCENoApplyLegacyAuditPolicy is 1; null when not set) and
        security_log (maximum_size_kb, mode circular, autobackup or retain).
      returned: when logging is gathered
      type: dict
      sample: {audit_policy: {logon: [success, failure], file_system: []},
               force_subcategories: true, security_log: {maximum_size_kb: 196608, mode: circular}}
    autologon:
      description: enabled (Winlogon AutoAdminLogon = 1) and user (DefaultUserName when
        enabled).
      returned: when autologon is gathered
      type: dict
      sample: {enabled: true, user: kiosk}
    hardening:
      description: Each security option's registry data (an integer), null when the value is
        not set; inactivity_timeout_seconds (InactivityTimeoutSecs, Interactive logon Machine
        inactivity limit).
      returned: when hardening is gathered
      type: dict
      sample: {inactivity_timeout_seconds: 900,
               administrator: {name: Administrator, enabled: false}}
    accounts:
      description: password_never_expires, the enabled local accounts whose password never
        expires (the account's own flag, whatever the maximum password age), sorted; enabled,
        every enabled local account by name with its last logon (Get-LocalUser LastLogon,
        UTC; null when it never logged on).
      returned: when accounts is gathered
      type: dict
      sample: {password_never_expires: [pos-station, sitekit],
               enabled: [{name: pos-station, last_logon: "2026-12-01T06:02:11Z"},
                         {name: sitekit, last_logon: null}]}
"""
