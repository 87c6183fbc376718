#!powershell

# Microsoft Defender preferences, policy exclusions and signatures in one call; see
# sitekit_defender.py.

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.SitekitTime

$spec = @{
    options = @{
        realtime_protection = @{ type = "bool" }
        behavior_monitoring = @{ type = "bool" }
        scan_day = @{ type = "str"; choices = @("everyday", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "never") }
        scan_time = @{ type = "str" }
        scan_type = @{ type = "str"; choices = @("quick", "full") }
        quick_scan_time = @{ type = "str" }
        check_signatures_before_scan = @{ type = "bool" }
        signature_update_interval = @{ type = "int" }
        exclusion_paths = @{ type = "list"; elements = "str" }
        exclusion_processes = @{ type = "list"; elements = "str" }
        exclusion_extensions = @{ type = "list"; elements = "str" }
        signature_max_age_hours = @{ type = "int" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changes = @()
$module.Result.signatures_updated = $false

# ScanScheduleDay: 0 every day, 1 Sunday ... 7 Saturday, 8 never.
$days = @("everyday", "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "never")
$policyKey = "HKLM:\SOFTWARE\Policies\Microsoft\Windows Defender\Exclusions"
$exclusionKinds = @{ exclusion_paths = "Paths"; exclusion_processes = "Processes"; exclusion_extensions = "Extensions" }
# HH:mm the same on every host, whatever its culture's separators (pslint PSL004); times
# are the kit's one format (Ansible.ModuleUtils.SitekitTime).
$invariant = [Globalization.CultureInfo]::InvariantCulture

Function Format-Clock {
    param($Value)
    if ($null -eq $Value) {
        return $null
    }
    if ($Value -is [DateTime]) {
        return $Value.ToString("HH:mm", $invariant)
    }
    if ($Value -is [TimeSpan]) {
        return [DateTime]::Today.Add($Value).ToString("HH:mm", $invariant)
    }
    return [DateTime]::Today.AddMinutes([int]$Value).ToString("HH:mm", $invariant)
}

Function ConvertTo-Clock {
    param([String]$Text, [String]$Option)
    try {
        return [DateTime]::ParseExact($Text, "HH:mm", $invariant)
    }
    catch {
        $module.FailJson("$Option must be a time of day written HH:MM, got '$Text'", $_)
    }
}

Function Get-Preference {
    $pref = Get-MpPreference
    $scanType = "quick"
    if ([int]$pref.ScanParameters -eq 2) {
        $scanType = "full"
    }
    return @{
        realtime_protection = -not $pref.DisableRealtimeMonitoring
        behavior_monitoring = -not $pref.DisableBehaviorMonitoring
        scan_day = $days[[int]$pref.ScanScheduleDay]
        scan_time = Format-Clock -Value $pref.ScanScheduleTime
        scan_type = $scanType
        quick_scan_time = Format-Clock -Value $pref.ScanScheduleQuickScanTime
        check_signatures_before_scan = [bool]$pref.CheckForSignaturesBeforeRunningScan
        signature_update_interval = [int]$pref.SignatureUpdateInterval
    }
}

Function Get-Exclusion {
    param([String]$Kind)
    $key = "$policyKey\$Kind"
    if (-not (Test-Path -LiteralPath $key)) {
        return , @()
    }
    return , @((Get-Item -LiteralPath $key).GetValueNames() | Where-Object { $_ } | Sort-Object)
}

Function Get-Status {
    $status = Get-MpComputerStatus
    $updated = $status.AntivirusSignatureLastUpdated
    $age = $null
    $updatedText = $null
    if ($null -ne $updated) {
        $age = [int][Math]::Floor(((Get-Date) - $updated).TotalHours)
        $updatedText = ConvertTo-SitekitUtcText -Value $updated
    }
    return @{
        antivirus_enabled = [bool]$status.AntivirusEnabled
        realtime_protection_enabled = [bool]$status.RealTimeProtectionEnabled
        is_tamper_protected = [bool]$status.IsTamperProtected
        antivirus_signature_version = [String]$status.AntivirusSignatureVersion
        antivirus_signature_last_updated = $updatedText
        antivirus_signature_age_hours = $age
    }
}

$params = $module.Params
if ($null -ne $params.signature_update_interval -and ($params.signature_update_interval -lt 0 -or $params.signature_update_interval -gt 24)) {
    $module.FailJson("signature_update_interval must be 0 to 24 hours, got $($params.signature_update_interval)")
}

# Preferences: compare, then one Set-MpPreference with every parameter that differs.
$before = Get-Preference
$after = $before.Clone()
$setArgs = @{}
$names = @{
    realtime_protection = "DisableRealtimeMonitoring"; behavior_monitoring = "DisableBehaviorMonitoring"
    scan_day = "ScanScheduleDay"; scan_time = "ScanScheduleTime"; scan_type = "ScanParameters"
    quick_scan_time = "ScanScheduleQuickScanTime"; check_signatures_before_scan = "CheckForSignaturesBeforeRunningScan"
    signature_update_interval = "SignatureUpdateInterval"
}
foreach ($option in $names.Keys) {
    $wanted = $params.$option
    if ($null -eq $wanted) {
        continue
    }
    if ($option -in @("scan_time", "quick_scan_time")) {
        $wanted = (ConvertTo-Clock -Text $wanted -Option $option).ToString("HH:mm", $invariant)
    }
    if ($before[$option] -eq $wanted) {
        continue
    }
    $after[$option] = $wanted
    $module.Result.changes += $option
    switch ($option) {
        { $_ -in @("realtime_protection", "behavior_monitoring") } { $setArgs[$names[$option]] = -not $wanted }
        "scan_day" { $setArgs[$names[$option]] = [Array]::IndexOf($days, $wanted) }
        { $_ -in @("scan_time", "quick_scan_time") } { $setArgs[$names[$option]] = ConvertTo-Clock -Text $wanted -Option $option }
        "scan_type" { $setArgs[$names[$option]] = @{ quick = 1; full = 2 }[$wanted] }
        default { $setArgs[$names[$option]] = $wanted }
    }
}
if ($setArgs.Count -gt 0 -and -not $module.CheckMode) {
    try {
        Set-MpPreference @setArgs -ErrorAction Stop
    }
    catch {
        $module.FailJson("Set-MpPreference failed: $($_.Exception.Message); if tamper protection is on, change these settings where it is managed (Microsoft Defender for Endpoint or Intune)", $_)
    }
    # Tamper protection makes Set-MpPreference return without error and keep the setting:
    # read back, and fail on what did not take rather than report it as done.
    $applied = Get-Preference
    $ignored = @($module.Result.changes | Where-Object { $applied[$_] -ne $after[$_] })
    if ($ignored.Count -gt 0) {
        $wantedText = ($ignored | ForEach-Object { "$_=$($after[$_])" }) -join ", "
        $module.Result.preferences = $applied
        $module.FailJson("Defender kept $($ignored -join ', ') as they were (wanted $wantedText): tamper protection (IsTamperProtected: $((Get-MpComputerStatus).IsTamperProtected)) ignores changes to them. Change them where tamper protection is managed (Microsoft Defender for Endpoint or Intune), or leave them out.")
    }
}

# Exclusions: the policy keys hold each one as a value named after it, with the kind's
# switch (Exclusions_Paths ...) turned on.
$exclusionsBefore = @{}
$exclusionsAfter = @{}
foreach ($option in $exclusionKinds.Keys) {
    $kind = $exclusionKinds[$option]
    $current = Get-Exclusion -Kind $kind
    $exclusionsBefore[$kind.ToLowerInvariant()] = $current
    $exclusionsAfter[$kind.ToLowerInvariant()] = $current
    if ($null -eq $params.$option) {
        continue
    }
    $wanted = @($params.$option | Where-Object { $_ } | Sort-Object -Unique)
    $missing = @($wanted | Where-Object { $_ -notin $current })
    $extra = @($current | Where-Object { $_ -notin $wanted })
    $exclusionsAfter[$kind.ToLowerInvariant()] = $wanted
    if ($missing.Count -eq 0 -and $extra.Count -eq 0) {
        continue
    }
    $module.Result.changes += $option
    if ($module.CheckMode) {
        continue
    }
    $key = "$policyKey\$kind"
    if (-not (Test-Path -LiteralPath $key)) {
        New-Item -Path $key -Force | Out-Null
    }
    foreach ($item in $extra) {
        Remove-ItemProperty -LiteralPath $key -Name $item -Force
    }
    foreach ($item in $missing) {
        New-ItemProperty -LiteralPath $key -Name $item -PropertyType String -Value "0" -Force | Out-Null
    }
    New-ItemProperty -LiteralPath $policyKey -Name "Exclusions_$kind" -PropertyType DWord -Value 1 -Force | Out-Null
}

# Signatures: update when older than the limit.
$status = Get-Status
$limit = $params.signature_max_age_hours
if ($null -ne $limit -and ($null -eq $status.antivirus_signature_age_hours -or $status.antivirus_signature_age_hours -ge $limit)) {
    $module.Result.signatures_updated = $true
    if (-not $module.CheckMode) {
        try {
            Update-MpSignature -ErrorAction Stop
        }
        catch {
            $module.FailJson("Defender's signatures are $($status.antivirus_signature_age_hours) hours old and updating them failed: $($_.Exception.Message). Check that the host reaches its update source (Windows Update, WSUS or the definition share), or update it offline with mpam-fe.exe, then run the role again.", $_)
        }
        $status = Get-Status
    }
}

$module.Result.preferences = $after
$module.Result.exclusions = $exclusionsAfter
$module.Result.status = $status
if ($module.Result.changes.Count -gt 0 -or $module.Result.signatures_updated) {
    $module.Result.changed = $true
    $module.Diff.before = @{ preferences = $before; exclusions = $exclusionsBefore }
    $module.Diff.after = @{ preferences = $after; exclusions = $exclusionsAfter }
}
$module.ExitJson()
