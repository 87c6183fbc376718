#!powershell

# Prove the newest backup chain restores (scratch database, DBCC CHECKDB); see sitekit_sql_restore_test.py.

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.SitekitBackup
#Requires -Module Ansible.ModuleUtils.SitekitTime

$spec = @{
    options = @{
        script = @{ type = "str"; required = $true }
        settings = @{ type = "str"; required = $true }
        max_age_hours = @{ type = "int"; default = 24 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.restore_tests = @()

$script = $module.Params.script
$settingsPath = $module.Params.settings
$maxAge = $module.Params.max_age_hours

$job = Get-SitekitBackupJob -Module $module -Script $script -SettingsPath $settingsPath
$settings = $job.settings
$historyPath = $job.history_path
$history = Read-SitekitBackupHistory -Path $historyPath
# To the second, as the job writes its times: a run finished this second is this run's.
$now = Get-SitekitUtcNow
$untested = @()
foreach ($name in @($settings.databases)) {
    $passed = @($history.restore_tests | Where-Object {
            $_.database -eq $name -and $_.result -eq "passed" -and ($now - (ConvertTo-SitekitUtcDate -Value $_.finished)).TotalHours -le $maxAge
        })
    if ($maxAge -eq 0 -or $passed.Count -eq 0) {
        $untested += $name
    }
}
$module.Result.changed = $untested.Count -gt 0
if ($module.CheckMode -or -not $module.Result.changed) {
    $module.ExitJson()
}

$run = Invoke-SitekitBackupJob -Script $script -SettingsPath $settingsPath -Type RestoreTest -Database $untested
$exitCode = $run.exit_code
$module.Result.output = @($run.output)
$history = Read-SitekitBackupHistory -Path $historyPath
# This run's tests by time and database, not by position: the job keeps the newest 50 and
# a scheduled run may have added its own meanwhile.
$module.Result.restore_tests = @($history.restore_tests | Where-Object {
        $untested -contains $_.database -and (ConvertTo-SitekitUtcDate -Value $_.finished) -ge $now
    })
if ($exitCode -ne 0) {
    $failures = @($module.Result.restore_tests | Where-Object { $_.result -ne "passed" } |
            ForEach-Object { "restore test of $($_.database) failed: $($_.message)" })
    if ($failures.Count -eq 0) {
        $failures = @("the restore test job failed: $($module.Result.output -join ' ')")
    }
    $module.FailJson("$($failures -join '; ') (exit code $exitCode)")
}
$module.ExitJson()
