#!powershell

# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.SitekitSecurityPolicy
#Requires -Module Ansible.ModuleUtils.SitekitSql
#Requires -Module Ansible.ModuleUtils.SitekitTime

# One call returns what preflight and the monthly audit read from a host, by subset, in
# the shape of the audit's facts format, so auditing a site costs one WinRM round trip per
# host and not one per fact. It only reads. A subset that cannot be read now is left out
# and named in `unavailable` with the reason; the others are still returned.

$spec = @{
    options = @{
        gather = @{
            type = "list"
            elements = "str"
            default = @("os", "updates", "application", "sql_server", "defender", "backups", "disks", "sql_files",
                "services", "local_groups", "password_policy", "lockout_policy", "winrm", "firewall", "network", "clock",
                "autologon", "logging", "hardening", "accounts", "forwarding")
            choices = @("os", "updates", "application", "sql_server", "defender", "backups", "disks", "sql_files",
                "services", "local_groups", "password_policy", "lockout_policy", "winrm", "firewall", "network", "clock",
                "autologon", "logging", "hardening", "accounts", "forwarding")
        }
        application_name = @{ type = "str" }
        services = @{ type = "list"; elements = "str"; default = @() }
        groups = @{ type = "list"; elements = "str"; default = @() }
        ntp_server = @{ type = "str" }
        collector = @{ type = "str" }
        sql_instance = @{ type = "str" }
        sql_connect = @{ type = "str" }
        databases = @{ type = "list"; elements = "str"; default = @() }
        schema_database = @{ type = "str" }
        backup_settings = @{ type = "str"; default = "C:\ProgramData\Sitekit\Backup\backup-settings.json" }
    }
    required_together = @(, @("sql_instance", "sql_connect"))
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
# Every time in the facts is the kit's one format (Ansible.ModuleUtils.SitekitTime).
$module.Result.gathered_at = ConvertTo-SitekitUtcText -Value (Get-SitekitUtcNow)
$module.Result.computer_name = $env:COMPUTERNAME
$module.Result.unavailable = @{}
$gather = @($module.Params.gather | Select-Object -Unique)
$facts = [Ordered]@{}

if ($gather -contains "application" -and -not $module.Params.application_name) {
    $module.FailJson("gather: application needs the option application_name (the restaurant application's name, to find its package)")
}

Function Get-DottedVersion {
    # The dotted numeric part of a version text: "8.4.2 build 7" -> "8.4.2".
    param([String]$Text)
    if ("$Text".Trim() -match '^\d+(\.\d+)*') {
        return $Matches[0]
    }
    return $null
}

Function Get-RegistryValue {
    param([String]$Path, [String]$Name)
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) {
        return $null
    }
    return $item.$Name
}

Function Test-RebootPending {
    # Component servicing, Windows Update, a file rename at boot or a computer rename.
    if (Test-Path -LiteralPath "HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending") {
        return $true
    }
    if (Test-Path -LiteralPath "HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired") {
        return $true
    }
    if (Get-RegistryValue -Path "HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager" -Name "PendingFileRenameOperations") {
        return $true
    }
    $active = Get-RegistryValue -Path "HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName" -Name "ComputerName"
    $pending = Get-RegistryValue -Path "HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName" -Name "ComputerName"
    return ($active -ne $pending)
}

Function Get-OsFact {
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $current = Get-ItemProperty -LiteralPath "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
    $build = [int]$current.CurrentBuild
    $ubr = [int]$current.UBR
    return @{
        caption = "$($os.Caption)".Trim()
        version = "$($current.CurrentMajorVersionNumber).$($current.CurrentMinorVersionNumber).$build.$ubr"
        build = $build
        ubr = $ubr
        last_boot = ConvertTo-SitekitUtcText -Value $os.LastBootUpTime
        reboot_pending = [bool](Test-RebootPending)
    }
}

Function Get-Classification {
    # The update's Windows Update classification: its name (localised: "Sicherheitsupdates"
    # on German Windows) and its CategoryID, the same in every language.
    param($Categories)
    foreach ($category in $Categories) {
        if ($category.Type -eq "UpdateClassification") {
            return @{ name = $category.Name; id = "$($category.CategoryID)".ToLowerInvariant() }
        }
    }
    return $null
}

Function Get-UpdatesFact {
    $installed = [Ordered]@{}
    # The Windows Update history (newest first) names and dates what it installed.
    $session = New-Object -ComObject Microsoft.Update.Session
    $searcher = $session.CreateUpdateSearcher()
    $count = $searcher.GetTotalHistoryCount()
    if ($count -gt 0) {
        foreach ($entry in $searcher.QueryHistory(0, $count)) {
            # Operation 1 = installation; ResultCode 2 = succeeded, 3 = succeeded with errors.
            if ($entry.Operation -ne 1 -or $entry.ResultCode -notin @(2, 3)) {
                continue
            }
            if ($entry.Title -notmatch '\((KB\d+)\)') {
                continue
            }
            $kb = $Matches[1]
            if ($installed.Contains($kb)) {
                continue
            }
            $update = @{ kb = $kb; title = $entry.Title }
            $category = Get-Classification -Categories $entry.Categories
            if ($category) {
                $update.category = $category.name
                $update.category_id = $category.id
            }
            # The history's dates are UTC.
            $update.installed_on = ConvertTo-SitekitUtcText -Value $entry.Date -Utc
            $installed[$kb] = $update
        }
    }
    # Get-HotFix adds what came with the image or was installed outside Windows Update.
    foreach ($hotfix in @(Get-HotFix -ErrorAction SilentlyContinue)) {
        $kb = "$($hotfix.HotFixID)".Trim()
        if ($kb -notmatch '^KB\d+$' -or $installed.Contains($kb)) {
            continue
        }
        $update = @{ kb = $kb; title = $kb }
        if ($hotfix.Description) {
            $update.category = "$($hotfix.Description)"
        }
        $when = ConvertTo-SitekitUtcText -Value $hotfix.InstalledOn
        if ($when) {
            $update.installed_on = $when
        }
        $installed[$kb] = $update
    }
    $list = @($installed.Values)
    $newest = $null
    foreach ($update in $list) {
        if ($update.installed_on -and ($null -eq $newest -or $update.installed_on -gt $newest)) {
            $newest = $update.installed_on
        }
    }
    $fact = @{ installed = $list; newest_installed = $newest }
    try {
        $search = $searcher.Search("IsInstalled=0 and IsHidden=0 and Type='Software'")
        $missing = @(foreach ($update in $search.Updates) {
                $category = Get-Classification -Categories $update.Categories
                foreach ($article in $update.KBArticleIDs) {
                    $entry = @{ kb = "KB$article"; title = $update.Title }
                    if ($category) {
                        $entry.category = $category.name
                        $entry.category_id = $category.id
                    }
                    $entry.severity = $null
                    if ($update.MsrcSeverity) {
                        $entry.severity = $update.MsrcSeverity
                    }
                    $released = ConvertTo-SitekitUtcText -Value $update.LastDeploymentChangeTime
                    if ($released) {
                        $entry.released = $released
                    }
                    $entry
                }
            })
        $fact.missing = $missing
    }
    catch {
        $module.Result.unavailable["updates.missing"] = "the Windows Update search failed: $($_.Exception.Message)"
    }
    return $fact
}

Function Get-ApplicationFact {
    param([String]$Name)
    $roots = @("HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
        "HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall")
    $found = @(foreach ($root in $roots) {
            if (Test-Path -LiteralPath $root) {
                foreach ($key in Get-ChildItem -LiteralPath $root) {
                    $entry = Get-ItemProperty -LiteralPath $key.PSPath
                    $display = "$($entry.DisplayName)"
                    if ($display -eq $Name -or $display.StartsWith("$Name ", [StringComparison]::OrdinalIgnoreCase)) {
                        $entry
                    }
                }
            }
        })
    if ($found.Count -eq 0) {
        return $null
    }
    # A server carries the server component; a host with both reports the server's.
    $package = @($found | Sort-Object -Property { -not "$($_.DisplayName)".EndsWith(" Server", [StringComparison]::OrdinalIgnoreCase) })[0]
    $version = Get-DottedVersion -Text $package.DisplayVersion
    if ($null -eq $version) {
        throw "$($package.DisplayName) has no numeric version ('$($package.DisplayVersion)')"
    }
    $fact = @{ name = "$($package.DisplayName)"; version = $version }
    foreach ($component in @("server", "client")) {
        if ("$($package.DisplayName)".EndsWith(" $component", [StringComparison]::OrdinalIgnoreCase)) {
            $fact.component = $component
        }
    }
    return $fact
}

Function Get-SqlInstanceName {
    # The instance asked for, or the first one installed; $null when there is none.
    $names = Get-ItemProperty -LiteralPath "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL" -ErrorAction SilentlyContinue
    if ($null -eq $names) {
        return $null
    }
    $installed = @($names.PSObject.Properties | Where-Object { $_.Name -notlike "PS*" } | ForEach-Object { $_.Name })
    if ($module.Params.sql_instance) {
        return $installed | Where-Object { $_ -eq $module.Params.sql_instance } | Select-Object -First 1
    }
    return $installed | Select-Object -First 1
}

Function Invoke-InstanceQuery {
    param([String]$Instance, [String]$Query)
    # How to reach the instance is the inventory's (sitekit_sql.connect), never worked out here.
    $server = $module.Params.sql_connect
    if (-not $server) {
        throw "reading SQL Server $Instance needs the options sql_instance and sql_connect (the inventory's sitekit_sql)"
    }
    return , (Invoke-SitekitSqlQuery -Server $server -Query $Query -ApplicationName "sitekit-facts")
}

Function Get-SchemaVersion {
    # The application keeps its database's schema version as the database's extended
    # property SchemaVersion (sys.extended_properties, class 0: the database itself); a
    # database without it is at the schema its first install made: $null.
    param([String]$Instance)
    $database = $module.Params.schema_database.Replace("]", "]]")
    $rows = (Invoke-InstanceQuery -Instance $Instance -Query ("SELECT CAST(value AS nvarchar(64)) AS version " +
            "FROM [$database].sys.extended_properties WHERE class = 0 AND name = N'SchemaVersion'")).Rows
    if ($rows.Count -eq 0) {
        return $null
    }
    return "$($rows[0].version)"
}

Function Get-SqlServerFact {
    param([String]$Instance)
    try {
        $row = (Invoke-InstanceQuery -Instance $Instance -Query ("SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(64)) AS version, " +
                "CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition")).Rows[0]
        $fact = @{ instance = $Instance; edition = "$($row.edition)"; version = "$($row.version)" }
        if ($module.Params.schema_database) {
            $fact.schema_version = Get-SchemaVersion -Instance $Instance
        }
        return $fact
    }
    catch {
        # Not answering: setup's record of the installed version (PatchLevel) and edition.
        $id = Get-RegistryValue -Path "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\Instance Names\SQL" -Name $Instance
        $setup = Get-ItemProperty -LiteralPath "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$id\Setup"
        return @{ instance = $Instance; edition = "$($setup.Edition)"; version = Get-DottedVersion -Text $setup.PatchLevel }
    }
}

Function Get-DatabaseFilter {
    # The databases asked for as an SQL IN list, or every user database.
    param([String]$Column)
    $names = @($module.Params.databases)
    if ($names.Count -eq 0) {
        return "$Column > 4"
    }
    $quoted = @($names | ForEach-Object { "N'" + $_.Replace("'", "''") + "'" })
    return "DB_NAME($Column) IN (" + ($quoted -join ", ") + ")"
}

Function Get-RestoreTestHistory {
    # The db_backup job records its restore tests in sitekit-backup-history.json in its backup folder.
    $path = $module.Params.backup_settings
    if (-not $path -or -not (Test-Path -LiteralPath $path)) {
        return @()
    }
    $settings = Get-Content -LiteralPath $path -Raw -Encoding UTF8 | ConvertFrom-Json
    $historyPath = Join-Path -Path $settings.backup_dir -ChildPath "sitekit-backup-history.json"
    if (-not (Test-Path -LiteralPath $historyPath)) {
        return @()
    }
    return @((Get-Content -LiteralPath $historyPath -Raw -Encoding UTF8 | ConvertFrom-Json).restore_tests)
}

Function Get-BackupsFact {
    param([String]$Instance)
    $rows = (Invoke-InstanceQuery -Instance $Instance -Query ("SELECT d.name, d.recovery_model_desc, " +
            "(SELECT MAX(b.backup_finish_date) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name AND b.type = 'D') AS last_full, " +
            "(SELECT MAX(b.backup_finish_date) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name AND b.type = 'I') AS last_differential, " +
            "(SELECT MAX(b.backup_finish_date) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name AND b.type = 'L') AS last_log " +
            "FROM sys.databases AS d WHERE " + (Get-DatabaseFilter -Column "d.database_id"))).Rows
    $tests = Get-RestoreTestHistory
    $fact = @{}
    foreach ($row in $rows) {
        $mine = @($tests | Where-Object { $_.database -eq $row.name })
        $passed = @($mine | Where-Object { $_.result -eq "passed" })
        $result = $null
        if ($mine.Count -gt 0) {
            $result = "failed"
            if ($mine[-1].result -eq "passed") {
                $result = "succeeded"
            }
        }
        $lastTest = $null
        if ($passed.Count -gt 0) {
            $lastTest = ConvertTo-SitekitUtcText -Value $passed[-1].finished
        }
        $fact[$row.name] = @{
            recovery_model = "$($row.recovery_model_desc)"
            last_full = ConvertTo-SitekitUtcText -Value $row.last_full
            last_differential = ConvertTo-SitekitUtcText -Value $row.last_differential
            last_log = ConvertTo-SitekitUtcText -Value $row.last_log
            last_restore_test = $lastTest
            restore_test_result = $result
        }
    }
    foreach ($name in @($module.Params.databases)) {
        if (-not $fact.Contains($name)) {
            # Asked for but not there: never backed up.
            $fact[$name] = @{ last_full = $null; last_differential = $null; last_log = $null; last_restore_test = $null; restore_test_result = $null }
        }
    }
    return $fact
}

Function Get-SqlFilesFact {
    param([String]$Instance)
    $rows = (Invoke-InstanceQuery -Instance $Instance -Query ("SELECT DB_NAME(database_id) AS name, " +
            "SUM(CASE WHEN type = 0 THEN CAST(size AS bigint) ELSE 0 END) * 8 / 1024.0 AS data_mb, " +
            "SUM(CASE WHEN type = 1 THEN CAST(size AS bigint) ELSE 0 END) * 8 / 1024.0 AS log_mb " +
            "FROM sys.master_files WHERE " + (Get-DatabaseFilter -Column "database_id") + " GROUP BY database_id")).Rows
    $fact = @{}
    foreach ($row in $rows) {
        $fact[$row.name] = @{ data_mb = [Math]::Round([double]$row.data_mb, 2); log_mb = [Math]::Round([double]$row.log_mb, 2) }
    }
    return $fact
}

Function Get-DefenderFact {
    $status = Get-MpComputerStatus
    return @{
        antivirus_enabled = [bool]$status.AntivirusEnabled
        realtime_protection = [bool]$status.RealTimeProtectionEnabled
        engine_version = Get-DottedVersion -Text $status.AMEngineVersion
        platform_version = Get-DottedVersion -Text $status.AMProductVersion
        signature_version = Get-DottedVersion -Text $status.AntivirusSignatureVersion
        signature_last_updated = ConvertTo-SitekitUtcText -Value $status.AntivirusSignatureLastUpdated
        last_quick_scan = ConvertTo-SitekitUtcText -Value $status.QuickScanEndTime
        last_full_scan = ConvertTo-SitekitUtcText -Value $status.FullScanEndTime
    }
}

Function Get-DisksFact {
    $fact = [Ordered]@{}
    foreach ($disk in Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DriveType=3") {
        $size = [int64]$disk.Size
        $free = [int64]$disk.FreeSpace
        $percent = 0.0
        if ($size -gt 0) {
            $percent = [Math]::Round(100.0 * $free / $size, 1)
        }
        $fact[$disk.DeviceID] = @{ size_bytes = $size; free_bytes = $free; free_percent = $percent }
    }
    return $fact
}

Function Get-ServicesFact {
    param([String[]]$Names)
    $states = @{ "Running" = "running"; "Stopped" = "stopped"; "Paused" = "paused"; "Start Pending" = "starting"
        "Continue Pending" = "starting"; "Stop Pending" = "stopping"; "Pause Pending" = "stopping"
    }
    $modes = @{ "Auto" = "auto"; "Manual" = "manual"; "Disabled" = "disabled"; "Boot" = "auto"; "System" = "auto" }
    $all = @{}
    foreach ($service in Get-CimInstance -ClassName Win32_Service) {
        $all[$service.Name] = $service
    }
    $fact = [Ordered]@{}
    foreach ($name in $Names) {
        $service = $all[$name]
        if ($null -eq $service) {
            $fact[$name] = @{ state = "absent"; start_mode = $null }
            continue
        }
        $mode = $modes["$($service.StartMode)"]
        if ($mode -eq "auto" -and $service.DelayedAutoStart) {
            $mode = "delayed"
        }
        $fact[$name] = @{ state = $states["$($service.State)"]; start_mode = $mode }
    }
    return $fact
}

Function Get-LocalGroupsFact {
    # Through ADSI, which lists members Get-LocalGroupMember cannot resolve (orphaned SIDs).
    # A built-in group named in English is found through its SID (its name is localised:
    # Administratoren, Benutzer) and reported under the name asked for.
    param([String[]]$Names)
    $builtinSids = @{
        "administrators" = "S-1-5-32-544"; "users" = "S-1-5-32-545"; "guests" = "S-1-5-32-546"
        "power users" = "S-1-5-32-547"; "backup operators" = "S-1-5-32-551"
        "remote desktop users" = "S-1-5-32-555"; "remote management users" = "S-1-5-32-580"
    }
    $computer = $env:COMPUTERNAME
    $fact = [Ordered]@{}
    foreach ($name in $Names) {
        $localName = $name
        $sid = $builtinSids[$name.ToLowerInvariant()]
        if ($sid) {
            $account = (New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $sid).Translate([System.Security.Principal.NTAccount]).Value
            $localName = $account.Split("\")[-1]
        }
        try {
            $group = [ADSI]"WinNT://$computer/$localName,group"
            $null = $group.Name
        }
        catch {
            continue  # no such group: left out
        }
        $members = @(foreach ($member in $group.Invoke("Members")) {
                $path = $member.GetType().InvokeMember("ADsPath", "GetProperty", $null, $member, $null)
                $parts = @(($path -replace '^WinNT://', '') -split '/')
                if ($parts.Count -ge 2 -and $parts[-2] -eq $computer) {
                    $parts[-1]
                }
                elseif ($parts.Count -ge 2) {
                    "$($parts[-2])\$($parts[-1])"
                }
                else {
                    $parts[-1]
                }
            })
        $fact[$name] = @{ members = $members }
    }
    return $fact
}

Function Get-WinRMFact {
    $listeners = @(foreach ($listener in Get-ChildItem -Path WSMan:\localhost\Listener) {
            $values = @{}
            foreach ($item in Get-ChildItem -Path "WSMan:\localhost\Listener\$($listener.Name)") {
                $values[$item.Name] = $item.Value
            }
            $thumbprint = $null
            if ($values.CertificateThumbprint) {
                $thumbprint = "$($values.CertificateThumbprint)"
            }
            @{ transport = "$($values.Transport)".ToUpperInvariant(); port = [int]$values.Port; address = "$($values.Address)"
                certificate_thumbprint = $thumbprint
            }
        })
    return @{
        listeners = $listeners
        basic_auth = [bool]::Parse((Get-Item -Path WSMan:\localhost\Service\Auth\Basic).Value)
        allow_unencrypted = [bool]::Parse((Get-Item -Path WSMan:\localhost\Service\AllowUnencrypted).Value)
    }
}

Function Get-FirewallFact {
    $fact = [Ordered]@{}
    foreach ($fwProfile in Get-NetFirewallProfile -PolicyStore ActiveStore) {
        # NotConfigured means Windows' defaults: block inbound, allow outbound.
        $inbound = "block"
        if ("$($fwProfile.DefaultInboundAction)" -eq "Allow") {
            $inbound = "allow"
        }
        $outbound = "allow"
        if ("$($fwProfile.DefaultOutboundAction)" -eq "Block") {
            $outbound = "block"
        }
        $fact["$($fwProfile.Name)".ToLowerInvariant()] = @{
            enabled = "$($fwProfile.Enabled)" -ne "False"
            default_inbound = $inbound
            default_outbound = $outbound
        }
    }
    return $fact
}

Function Get-NetworkFact {
    # The host's IPv4 addresses (address/prefix) but loopback and link-local, and every enabled
    # inbound allow rule of the active policy with its protocol, local ports and remote
    # addresses as Windows reports them ("Any", "10.41.7.0/255.255.255.192", "LocalSubnet").
    # The filters are read once for all rules (-All) and joined by InstanceID: one query each,
    # not one per rule.
    $addresses = @(Get-NetIPAddress -AddressFamily IPv4 |
            Where-Object { $_.IPAddress -notlike "127.*" -and $_.IPAddress -notlike "169.254.*" } |
            ForEach-Object { "$($_.IPAddress)/$($_.PrefixLength)" } | Sort-Object)
    $ports = @{}
    foreach ($filter in Get-NetFirewallPortFilter -All -PolicyStore ActiveStore) {
        $ports[$filter.InstanceID] = $filter
    }
    $remotes = @{}
    foreach ($filter in Get-NetFirewallAddressFilter -All -PolicyStore ActiveStore) {
        $remotes[$filter.InstanceID] = $filter
    }
    $rules = @(Get-NetFirewallRule -PolicyStore ActiveStore -Direction Inbound -Action Allow -Enabled True |
            Sort-Object -Property DisplayName | ForEach-Object {
                $port = $ports[$_.InstanceID]
                @{
                    name = "$($_.DisplayName)"
                    protocol = "$($port.Protocol)".ToLowerInvariant()
                    local_ports = @($port.LocalPort | ForEach-Object { "$_" })
                    remote_addresses = @($remotes[$_.InstanceID].RemoteAddress | ForEach-Object { "$_" })
                }
            })
    return @{ addresses = $addresses; inbound_rules = $rules }
}

Function Get-ClockFact {
    param([String]$Reference)
    $ErrorActionPreference = "Continue"  # w32tm's stderr is judged by its output, not thrown
    $fact = @{}
    if ($Reference) {
        $output = & w32tm.exe /stripchart "/computer:$Reference" /samples:1 /dataonly 2>&1
        $sample = @($output | Where-Object { "$_" -match ',\s*([+-]\d+(\.\d+)?)s\s*$' }) | Select-Object -Last 1
        if ($null -eq $sample -or "$sample" -notmatch ',\s*([+-]\d+(\.\d+)?)s\s*$') {
            throw "w32tm /stripchart /computer:$Reference gave no sample: $($output -join ' ')"
        }
        # stripchart shows the reference minus the local clock; the facts want local minus reference.
        $fact.offset_seconds = -1 * [double]::Parse($Matches[1], [Globalization.CultureInfo]::InvariantCulture)
    }
    $source = & w32tm.exe /query /source 2>&1
    if ($LASTEXITCODE -eq 0) {
        $fact.source = "$source".Trim()
    }
    if ($Reference) {
        # The peer as w32tm shows it ("10.41.7.1,0x9") against the designated server (10.6.2);
        # no source (Windows Time not running) is not taking time from it.
        $fact.designated = $fact.ContainsKey("source") -and $fact.source.Split(",")[0].Trim() -eq $Reference.Trim()
    }
    return $fact
}

Function Get-AutologonFact {
    $key = "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
    $enabled = "$(Get-RegistryValue -Path $key -Name 'AutoAdminLogon')" -eq "1"
    $user = $null
    if ($enabled) {
        $user = Get-RegistryValue -Path $key -Name "DefaultUserName"
        if (-not $user) {
            $user = $null
        }
    }
    return @{ enabled = $enabled; user = $user }
}

Function Get-LoggingFact {
    # The advanced audit policy (auditpol /get /category:* /r: CSV with Subcategory and
    # Inclusion Setting), whether it overrides the legacy categories (CIS 2.3.2.1's value),
    # and the Security log's effective size and mode (Group Policy's over the log's own).
    $ErrorActionPreference = "Continue"  # auditpol's stderr is judged by its exit code
    $output = & auditpol.exe /get /category:* /r 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "auditpol /get /category:* failed: $($output -join ' ')"
    }
    $policy = @{}
    foreach ($row in (@($output | Where-Object { "$_".Trim() }) | ConvertFrom-Csv)) {
        $inclusion = "$($row.'Inclusion Setting')"
        # auditpol prints names and settings in the display language; only English is read.
        if ($inclusion -eq "No Auditing") {
            $flags = [string[]]@()
        }
        elseif ($inclusion -eq "Success") {
            $flags = [string[]]"success"
        }
        elseif ($inclusion -eq "Failure") {
            $flags = [string[]]"failure"
        }
        elseif ($inclusion -eq "Success and Failure") {
            $flags = [string[]]("success", "failure")
        }
        else {
            throw "auditpol shows '$inclusion' for $($row.Subcategory): not an English setting"
        }
        $key = ("$($row.Subcategory)".ToLowerInvariant() -replace '[^a-z0-9]+', '_').Trim('_')
        $policy[$key] = $flags
    }
    $force = Get-RegistryValue -Path "HKLM:\SYSTEM\CurrentControlSet\Control\Lsa" -Name "SCENoApplyLegacyAuditPolicy"
    $log = Get-WinEvent -ListLog Security -ErrorAction Stop
    return @{
        audit_policy = $policy
        force_subcategories = if ($null -eq $force) { $null } else { [int]$force -eq 1 }
        security_log = @{
            maximum_size_kb = [int64]($log.MaximumSizeInBytes / 1024)
            mode = $log.LogMode.ToString().ToLowerInvariant()
        }
    }
}

Function Get-ForwardingFact {
    # Windows Event Forwarding (PCI DSS 10.3.3): the Event Forwarding policy's subscription
    # managers ("Server=...,Refresh=...,IssuerCA=..."), whether NETWORK SERVICE (the forwarder)
    # may read the Security log (a member of Event Log Readers; both by SID, names are
    # localised), and what the forwarder's own log says of its subscription, by the
    # Microsoft-Windows-Forwarding provider's event IDs: 100 created; 101 created with channels
    # it cannot read, 102 not created, 105 the subscription manager does not answer, 107 the
    # policy is invalid. An unreadable log fails the subset: unknown, never passed.
    param([String]$Collector)
    $key = "HKLM:\SOFTWARE\Policies\Microsoft\Windows\EventLog\EventForwarding\SubscriptionManager"
    $managers = [string[]]@()
    if (Test-Path -LiteralPath $key) {
        $item = Get-Item -LiteralPath $key
        $managers = [string[]]@($item.GetValueNames() | Where-Object { $_ } | Sort-Object |
                ForEach-Object { "$($item.GetValue($_))" })
    }
    $configured = $null
    if ($Collector) {
        $configured = [bool]($managers | Where-Object {
                $_ -match '(?:^|,)\s*Server=([^,]+)' -and $Matches[1].Trim() -eq $Collector.Trim() })
    }
    $readers = @(Get-LocalGroupMember -SID "S-1-5-32-573" -ErrorAction Stop)
    $readable = [bool]($readers | Where-Object { "$($_.SID)" -eq "S-1-5-20" })
    $problemIds = @(101, 102, 105, 107)
    try {
        $events = @(Get-WinEvent -FilterHashtable @{
                LogName = "Microsoft-Windows-Forwarding/Operational"; Id = @(100) + $problemIds
            } -MaxEvents 500 -ErrorAction Stop)
    }
    catch {
        if ("$($_.FullyQualifiedErrorId)" -notmatch "NoMatchingEventsFound") {
            throw
        }
        $events = @()
    }
    # Newest first, as Get-WinEvent returns them.
    $success = $events | Where-Object { $_.Id -eq 100 } | Select-Object -First 1
    $problems = @($events | Where-Object {
            $_.Id -in $problemIds -and ($null -eq $success -or $_.TimeCreated -gt $success.TimeCreated) })
    return @{
        managers = $managers
        configured = $configured
        security_readable = $readable
        last_subscribed = if ($success) { ConvertTo-SitekitUtcText -Value $success.TimeCreated } else { $null }
        problems_since = $problems.Count
        last_problem = if ($problems.Count) { "$($problems[0].Id): $($problems[0].Message)" } else { $null }
    }
}

Function Get-HardeningFact {
    # Security options as the CIS items audit them: each registry value's data, $null when
    # it is not set (Windows then applies its default, which the audit does not assume).
    $policies = "HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies"
    $services = "HKLM:\SYSTEM\CurrentControlSet\Services"
    $dnsClient = "HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\DNSClient"
    $schannel = "HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"
    $rdp = "HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"
    $values = [Ordered]@{
        inactivity_timeout_seconds = @("$policies\System", "InactivityTimeoutSecs")
        smb1_server = @("$services\LanmanServer\Parameters", "SMB1")
        smb1_client_start = @("$services\mrxsmb10", "Start")
        smb_server_signing = @("$services\LanmanServer\Parameters", "RequireSecuritySignature")
        smb_client_signing = @("$services\LanmanWorkstation\Parameters", "RequireSecuritySignature")
        llmnr = @($dnsClient, "EnableMulticast")
        netbios = @($dnsClient, "EnableNetbios")
        netbt_node_type = @("$services\NetBT\Parameters", "NodeType")
        lm_compatibility_level = @("HKLM:\SYSTEM\CurrentControlSet\Control\Lsa", "LmCompatibilityLevel")
        wdigest_logon_credential = @("HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\WDigest", "UseLogonCredential")
        tls10_server = @("$schannel\TLS 1.0\Server", "Enabled")
        tls10_client = @("$schannel\TLS 1.0\Client", "Enabled")
        tls11_server = @("$schannel\TLS 1.1\Server", "Enabled")
        tls11_client = @("$schannel\TLS 1.1\Client", "Enabled")
        rdp_deny_connections = @($rdp, "fDenyTSConnections")
        rdp_nla = @($rdp, "UserAuthentication")
        rdp_max_idle_ms = @($rdp, "MaxIdleTime")
        autoplay_drive_types = @("$policies\Explorer", "NoDriveTypeAutoRun")
        autorun_off = @("$policies\Explorer", "NoAutorun")
        autoplay_non_volume_off = @("HKLM:\SOFTWARE\Policies\Microsoft\Windows\Explorer", "NoAutoplayfornonVolume")
        removable_drive_scanning_disabled = @("HKLM:\SOFTWARE\Policies\Microsoft\Windows Defender\Scan", "DisableRemovableDriveScanning")
    }
    $fact = [Ordered]@{}
    foreach ($name in $values.Keys) {
        $data = Get-RegistryValue -Path $values[$name][0] -Name $values[$name][1]
        $fact[$name] = if ($null -eq $data) { $null } else { [int64]$data }
    }
    # The built-in Administrator (RID 500) and Guest (RID 501), by SID: their names are
    # localised and may have been renamed.
    foreach ($account in @(@("administrator", "-500"), @("guest", "-501"))) {
        $user = Get-LocalUser | Where-Object { $_.SID.Value.EndsWith($account[1]) } | Select-Object -First 1
        $fact[$account[0]] = if ($null -eq $user) { $null } else { @{ name = $user.Name; enabled = [bool]$user.Enabled } }
    }
    return $fact
}

Function Get-AccountsFact {
    # The enabled local accounts whose own password never expires: the "Password never
    # expires" flag (UF_DONT_EXPIRE_PASSWD; Win32_UserAccount.PasswordExpires false), which the
    # policy's maximum password age does not reach.
    $names = @(Get-CimInstance -ClassName Win32_UserAccount -Filter "LocalAccount = True" |
            Where-Object { -not $_.Disabled -and -not $_.PasswordExpires } |
            ForEach-Object { "$($_.Name)" } | Sort-Object)
    # The enabled local accounts and their last logon (Get-LocalUser LastLogon, $null when
    # the account never logged on): the audit ages each from its last logon, or from when its
    # history first saw the account (PCI DSS 8.2.6; Windows keeps no creation time).
    $enabled = @(Get-LocalUser | Where-Object { $_.Enabled } | Sort-Object -Property Name | ForEach-Object {
            @{
                name = "$($_.Name)"
                last_logon = ConvertTo-SitekitUtcText -Value $_.LastLogon
            }
        })
    return @{ password_never_expires = [string[]]$names; enabled = $enabled }
}

$instance = $null
if ($gather | Where-Object { $_ -in @("sql_server", "backups", "sql_files") }) {
    $instance = Get-SqlInstanceName
}
$policy = $null

foreach ($subset in $gather) {
    try {
        switch ($subset) {
            "os" { $facts.os = Get-OsFact }
            "updates" { $facts.updates = Get-UpdatesFact }
            "application" { $facts.application = Get-ApplicationFact -Name $module.Params.application_name }
            "sql_server" {
                $facts.sql_server = $null
                if ($instance) {
                    $facts.sql_server = Get-SqlServerFact -Instance $instance
                }
            }
            "defender" { $facts.defender = Get-DefenderFact }
            "backups" {
                $facts.backups = @{}
                if ($instance) {
                    $facts.backups = Get-BackupsFact -Instance $instance
                }
            }
            "disks" { $facts.disks = Get-DisksFact }
            "sql_files" {
                $facts.sql_files = @{}
                if ($instance) {
                    $facts.sql_files = Get-SqlFilesFact -Instance $instance
                }
            }
            "services" { $facts.services = Get-ServicesFact -Names @($module.Params.services) }
            "local_groups" { $facts.local_groups = Get-LocalGroupsFact -Names @($module.Params.groups) }
            { $_ -in @("password_policy", "lockout_policy") } {
                # One secedit export for both, read as sitekit_account_policy reads it.
                if ($null -eq $policy) {
                    $policy = Get-SitekitSystemAccess
                }
                $facts[$subset] = Get-SitekitAccountPolicyFact -Policy $policy -Subset $subset
            }
            "winrm" { $facts.winrm = Get-WinRMFact }
            "firewall" { $facts.firewall = Get-FirewallFact }
            "network" { $facts.network = Get-NetworkFact }
            "clock" { $facts.clock = Get-ClockFact -Reference $module.Params.ntp_server }
            "autologon" { $facts.autologon = Get-AutologonFact }
            "logging" { $facts.logging = Get-LoggingFact }
            "hardening" { $facts.hardening = Get-HardeningFact }
            "accounts" { $facts.accounts = Get-AccountsFact }
            "forwarding" { $facts.forwarding = Get-ForwardingFact -Collector $module.Params.collector }
        }
    }
    catch {
        # Left out, with the reason: the audit makes its controls unknown, never pass.
        $facts.Remove($subset)
        $module.Result.unavailable[$subset] = "$($_.Exception.Message)"
    }
}

$module.Result.facts = $facts
$module.ExitJson()
