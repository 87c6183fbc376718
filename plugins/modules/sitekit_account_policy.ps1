#!powershell

# The local password and account lockout policy in one secedit call; see sitekit_account_policy.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        min_password_length = @{ type = "int" }
        password_complexity = @{ type = "bool" }
        max_password_age_days = @{ type = "int" }
        min_password_age_days = @{ type = "int" }
        password_history_size = @{ type = "int" }
        lockout_threshold = @{ type = "int" }
        lockout_duration_minutes = @{ type = "int" }
        lockout_reset_minutes = @{ type = "int" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

# Option -> secedit [System Access] key, lowest and highest value Windows accepts.
$keys = [Ordered]@{
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
$unset = @{ LockoutDuration = 30; ResetLockoutCount = 30 }
# The policy's 0 ("never expire", "until an administrator unlocks") is -1 in secedit: read
# -1 as 0 and write 0 as -1, or every run sees a change (Microsoft's "Maximum password age"
# and "Account lockout duration" policy settings).
$never = @("MaximumPasswordAge", "LockoutDuration")

Function Invoke-SecEdit {
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
        $module.Result.rc = $rc
        $module.Result.stdout = $output
        $module.Result.log = $text
        $module.FailJson("SecEdit.exe $($Arguments[0]) failed with rc $rc")
    }
}

Function Get-SystemAccess {
    $ini = [IO.Path]::GetTempFileName()
    try {
        # A UTF-16 file first, so secedit exports in UTF-16 rather than the ANSI code page.
        Set-Content -LiteralPath $ini -Value "" -Encoding Unicode
        Invoke-SecEdit -Arguments @("/export", "/cfg", $ini, "/areas", "SECURITYPOLICY")
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

Function ConvertTo-Options {
    param([Hashtable]$Policy)
    $options = @{}
    foreach ($name in $keys.Keys) {
        $key = $keys[$name][0]
        $value = $Policy[$key]
        if ($null -eq $value) {
            $value = $unset[$key]
        }
        if ($name -eq "password_complexity") {
            $options[$name] = [bool]$value
        }
        elseif ($key -in $never -and [Int64]$value -eq -1) {
            $options[$name] = [Int64]0
        }
        else {
            $options[$name] = [Int64]$value
        }
    }
    return $options
}

$current = Get-SystemAccess
$wanted = @{}
foreach ($entry in $current.GetEnumerator()) {
    $wanted[$entry.Key] = $entry.Value
}
foreach ($name in $keys.Keys) {
    $value = $module.Params[$name]
    if ($null -eq $value) {
        continue
    }
    $key, $low, $high = $keys[$name]
    $number = [Int64]$value
    if ($number -lt $low -or $number -gt $high) {
        $module.FailJson("$name must be between $low and $high, got $number")
    }
    $wanted[$key] = $number
}
$before = ConvertTo-Options -Policy $current
$after = ConvertTo-Options -Policy $wanted
if ($after.lockout_threshold -gt 0 -and $after.lockout_duration_minutes -gt 0 -and
    $after.lockout_reset_minutes -gt $after.lockout_duration_minutes) {
    $module.FailJson("lockout_reset_minutes ($($after.lockout_reset_minutes)) must not be longer than lockout_duration_minutes ($($after.lockout_duration_minutes))")
}
if ($after.max_password_age_days -gt 0 -and $after.min_password_age_days -ge $after.max_password_age_days) {
    $module.FailJson("min_password_age_days ($($after.min_password_age_days)) must be less than max_password_age_days ($($after.max_password_age_days))")
}

$changes = @($keys.Keys | Where-Object { $before[$_] -ne $after[$_] })
$module.Result.policy = $after
$module.Result.changes = $changes
if ($changes.Count -gt 0) {
    $module.Result.changed = $true
    $module.Diff.before = @{}
    $module.Diff.after = @{}
    foreach ($name in $changes) {
        $module.Diff.before[$name] = $before[$name]
        $module.Diff.after[$name] = $after[$name]
    }
    if (-not $module.CheckMode) {
        $lines = @("[Unicode]", "Unicode=yes", "[Version]", 'signature="$CHICAGO$"', "Revision=1", "[System Access]")
        foreach ($name in $keys.Keys) {
            $key = $keys[$name][0]
            if ($name -eq "password_complexity") {
                $lines += "$key = $([int]$after[$name])"
            }
            elseif ($key -in $never -and $after[$name] -eq 0) {
                $lines += "$key = -1"
            }
            else {
                $lines += "$key = $($after[$name])"
            }
        }
        $ini = [IO.Path]::GetTempFileName()
        $db = [IO.Path]::GetTempFileName()
        Remove-Item -LiteralPath $db -Force
        try {
            Set-Content -LiteralPath $ini -Value ($lines -join "`r`n") -Encoding Unicode
            Invoke-SecEdit -Arguments @("/configure", "/db", $db, "/cfg", $ini, "/areas", "SECURITYPOLICY")
        }
        finally {
            Remove-Item -LiteralPath $ini, $db -Force -ErrorAction SilentlyContinue
        }
    }
}
$module.ExitJson()
