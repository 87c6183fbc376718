# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The local password and lockout policy as secedit keeps it ([System Access]), read and
# written once for sitekit_account_policy (which sets it) and sitekit_facts (which reads
# it for the audit). The lab's twin is src/sitekit/lab/modules/sitekit_account_policy.py; both run the
# vectors in tests/data/vectors/account_policy.json, and a contract test reads the tables
# below out of this file and compares them with the twin's.

# Option -> secedit [System Access] key, lowest and highest value Windows accepts
# (the "Password Policy" and "Account Lockout Policy" settings, Microsoft's security
# policy settings reference).
$script:accountPolicyKeys = [Ordered]@{
    min_password_length = @("MinimumPasswordLength", 0, 14)
    password_complexity = @("PasswordComplexity", 0, 1)
    max_password_age_days = @("MaximumPasswordAge", 0, 999)
    min_password_age_days = @("MinimumPasswordAge", 0, 998)
    password_history_size = @("PasswordHistorySize", 0, 24)
    lockout_threshold = @("LockoutBadCount", 0, 999)
    lockout_duration_minutes = @("LockoutDuration", 0, 99999)
    lockout_reset_minutes = @("ResetLockoutCount", 1, 99999)
}
# What Windows uses while secedit leaves a lockout value out (no lockout threshold set).
$script:accountPolicyUnset = @{ LockoutDuration = 30; ResetLockoutCount = 30 }
# The policy's 0 ("never expire", "until an administrator unlocks") is -1 in secedit: read
# -1 as 0 and write 0 as -1, or every run sees a change (Microsoft's "Maximum password age"
# and "Account lockout duration" policy settings).
$script:accountPolicyNever = @("MaximumPasswordAge", "LockoutDuration")
# The audit's facts subsets (src/sitekit/audit/schemas/facts.schema.json): fact -> option.
$script:accountPolicyFacts = [Ordered]@{
    password_policy = @{
        min_length = "min_password_length"; complexity = "password_complexity"
        history = "password_history_size"; max_age_days = "max_password_age_days"
        min_age_days = "min_password_age_days"
    }
    lockout_policy = @{
        threshold = "lockout_threshold"; duration_minutes = "lockout_duration_minutes"
        window_minutes = "lockout_reset_minutes"
    }
}

Function Get-SitekitAccountPolicyKey {
    <#
    .SYNOPSIS
    The option -> @(secedit key, lowest, highest) table, in the options' order.
    #>
    return $script:accountPolicyKeys
}

Function Invoke-SitekitSecEdit {
    <#
    .SYNOPSIS
    Run SecEdit.exe with its log; throw with the exit code, output and log when it fails.
    #>
    param([String[]]$Arguments)
    # Under the module wrapper's Stop, a stderr line through 2>&1 would end the module in
    # Windows PowerShell 5.1 before its exit code and log are read (pslint PSL003).
    $ErrorActionPreference = "Continue"
    $log = [IO.Path]::GetTempFileName()
    try {
        $output = & "$env:SystemRoot\System32\SecEdit.exe" @Arguments /log $log /quiet 2>&1 | Out-String
        $rc = $LASTEXITCODE
        $text = (Get-Content -LiteralPath $log -ErrorAction SilentlyContinue) -join "`n"
    }
    finally {
        Remove-Item -LiteralPath $log -Force -ErrorAction SilentlyContinue
    }
    if ($rc -ne 0) {
        throw "SecEdit.exe $($Arguments[0]) failed with rc ${rc}: $("$output".Trim()) $text"
    }
}

Function Get-SitekitSystemAccess {
    <#
    .SYNOPSIS
    secedit /export's [System Access] section: key -> number.
    #>
    $ini = [IO.Path]::GetTempFileName()
    try {
        # A UTF-16 file first, so secedit exports in UTF-16 rather than the ANSI code page.
        Set-Content -LiteralPath $ini -Value "" -Encoding Unicode
        Invoke-SitekitSecEdit -Arguments @("/export", "/cfg", $ini, "/areas", "SECURITYPOLICY")
        $policy = @{}
        $inSection = $false
        foreach ($line in (Get-Content -LiteralPath $ini -Encoding Unicode)) {
            if ($line -match '^\[(.+)\]') {
                $inSection = $matches[1] -eq "System Access"
            }
            elseif ($inSection -and $line -match '^\s*(\w+)\s*=\s*(-?\d+)\s*$') {
                $policy[$matches[1]] = [Int64]$matches[2]
            }
        }
        return $policy
    }
    finally {
        Remove-Item -LiteralPath $ini -Force -ErrorAction SilentlyContinue
    }
}

Function ConvertTo-SitekitAccountPolicy {
    <#
    .SYNOPSIS
    A [System Access] section as the options: names, unset values filled, -1 as 0, the
    complexity a bool.
    #>
    param($Policy)
    $options = [Ordered]@{}
    foreach ($name in $script:accountPolicyKeys.Keys) {
        $key = $script:accountPolicyKeys[$name][0]
        $value = $Policy[$key]
        if ($null -eq $value) {
            $value = $script:accountPolicyUnset[$key]
        }
        if ($name -eq "password_complexity") {
            $options[$name] = [bool]$value
        }
        elseif ($key -in $script:accountPolicyNever -and [Int64]$value -eq -1) {
            $options[$name] = [Int64]0
        }
        else {
            $options[$name] = [Int64]$value
        }
    }
    return $options
}

Function Get-SitekitAccountPolicyChange {
    <#
    .SYNOPSIS
    The [System Access] section with the options given applied, as secedit takes it; throws
    with the option's name on a value Windows refuses or options that do not fit together.
    #>
    param($Policy, $Options)
    $wanted = @{}
    foreach ($entry in $Policy.GetEnumerator()) {
        $wanted[$entry.Key] = $entry.Value
    }
    foreach ($name in $script:accountPolicyKeys.Keys) {
        $value = $Options[$name]
        if ($null -eq $value) {
            continue
        }
        $key, $low, $high = $script:accountPolicyKeys[$name]
        $number = [Int64]$value
        if ($number -lt $low -or $number -gt $high) {
            throw "$name must be between $low and $high, got $number"
        }
        if ($key -in $script:accountPolicyNever -and $number -eq 0) {
            $number = [Int64]-1
        }
        $wanted[$key] = $number
    }
    $after = ConvertTo-SitekitAccountPolicy -Policy $wanted
    if ($after.lockout_threshold -gt 0 -and $after.lockout_duration_minutes -gt 0 -and
        $after.lockout_reset_minutes -gt $after.lockout_duration_minutes) {
        throw "lockout_reset_minutes ($($after.lockout_reset_minutes)) must not be longer than lockout_duration_minutes ($($after.lockout_duration_minutes))"
    }
    if ($after.max_password_age_days -gt 0 -and $after.min_password_age_days -ge $after.max_password_age_days) {
        throw "min_password_age_days ($($after.min_password_age_days)) must be less than max_password_age_days ($($after.max_password_age_days))"
    }
    return $wanted
}

Function Get-SitekitAccountPolicyFact {
    <#
    .SYNOPSIS
    One of the audit's facts subsets (password_policy, lockout_policy) of a [System Access]
    section.
    #>
    param($Policy, [String]$Subset)
    $options = ConvertTo-SitekitAccountPolicy -Policy $Policy
    $fact = @{}
    foreach ($name in $script:accountPolicyFacts[$Subset].Keys) {
        $fact[$name] = $options[$script:accountPolicyFacts[$Subset][$name]]
    }
    return $fact
}

Export-ModuleMember -Function 'Get-SitekitAccountPolicyKey', 'Invoke-SitekitSecEdit', 'Get-SitekitSystemAccess',
'ConvertTo-SitekitAccountPolicy', 'Get-SitekitAccountPolicyChange', 'Get-SitekitAccountPolicyFact'
