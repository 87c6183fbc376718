#!powershell

# The local password and account lockout policy in one secedit call; see sitekit_account_policy.py.

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.SitekitSecurityPolicy

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

$keys = Get-SitekitAccountPolicyKey
try {
    $current = Get-SitekitSystemAccess
    $wanted = Get-SitekitAccountPolicyChange -Policy $current -Options $module.Params
}
catch {
    $module.FailJson($_.Exception.Message, $_)
}
$before = ConvertTo-SitekitAccountPolicy -Policy $current
$after = ConvertTo-SitekitAccountPolicy -Policy $wanted

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
            # As secedit keeps them: the complexity 0/1, "never" -1.
            $key = $keys[$name][0]
            $value = $wanted[$key]
            if ($null -eq $value) {
                $value = $after[$name]  # left out by secedit: the value Windows uses
            }
            $lines += "$key = $([Int64]$value)"
        }
        $ini = [IO.Path]::GetTempFileName()
        $db = [IO.Path]::GetTempFileName()
        Remove-Item -LiteralPath $db -Force
        try {
            Set-Content -LiteralPath $ini -Value ($lines -join "`r`n") -Encoding Unicode
            Invoke-SitekitSecEdit -Arguments @("/configure", "/db", $db, "/cfg", $ini, "/areas", "SECURITYPOLICY")
        }
        catch {
            $module.FailJson($_.Exception.Message, $_)
        }
        finally {
            Remove-Item -LiteralPath $ini, $db -Force -ErrorAction SilentlyContinue
        }
    }
}
$module.ExitJson()
