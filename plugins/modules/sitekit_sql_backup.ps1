#!powershell

# Make sure each database has a recent verified backup with its copy; see sitekit_sql_backup.py.

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.SitekitBackup
#Requires -Module Ansible.ModuleUtils.SitekitTime

$spec = @{
    options = @{
        script = @{ type = "str"; required = $true }
        settings = @{ type = "str"; required = $true }
        type = @{ type = "str"; choices = @("full", "differential", "log"); default = "full" }
        max_age_hours = @{ type = "int"; default = 24 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.backups = @()
$module.Result.copied = @()
$module.Result.deleted = @()

$script = $module.Params.script
$settingsPath = $module.Params.settings
$kind = $module.Params.type
$maxAge = $module.Params.max_age_hours

$job = Get-SitekitBackupJob -Module $module -Script $script -SettingsPath $settingsPath
$settings = $job.settings
$historyPath = $job.history_path
$history = Read-SitekitBackupHistory -Path $historyPath
# To the second, as the job writes its times: a run finished this second is this run's.
$now = Get-SitekitUtcNow
$stale = @()
$uncopied = @()
foreach ($name in @($settings.databases)) {
    $last = @($history.backups | Where-Object { $_.database -eq $name -and $_.type -eq $kind -and $_.verified } |
            Sort-Object -Property { ConvertTo-SitekitUtcDate -Value $_.finished }) | Select-Object -Last 1
    $fresh = $maxAge -gt 0 -and $null -ne $last -and ($now - (ConvertTo-SitekitUtcDate -Value $last.finished)).TotalHours -le $maxAge
    if (-not $fresh) {
        $stale += $name
    }
    elseif ($settings.copy_dir -and -not ($last.copy_path -and (Test-Path -LiteralPath $last.copy_path))) {
        $uncopied += $last
    }
}
$module.Result.changed = ($stale.Count + $uncopied.Count) -gt 0
if ($module.CheckMode -or -not $module.Result.changed) {
    $module.ExitJson()
}

$copies = @{}
foreach ($entry in $uncopied) {
    $folder = Join-Path -Path $settings.copy_dir -ChildPath $entry.database
    $target = Join-Path -Path $folder -ChildPath (Split-Path -Path $entry.path -Leaf)
    try {
        New-Item -Path $folder -ItemType Directory -Force | Out-Null
        Copy-Item -LiteralPath $entry.path -Destination $target -Force
    }
    catch {
        $module.FailJson("copying $($entry.path) to the second target $target failed: $($_.Exception.Message)", $_)
    }
    $copies[$entry.path] = $target
    $module.Result.copied += $target
}
if ($copies.Count -gt 0) {
    # Merged into the history as it is now, under the job's mutex: a scheduled run may
    # have written since it was read above.
    Update-SitekitBackupHistory -Path $historyPath -Change {
        param($Current)
        foreach ($entry in @($Current.backups)) {
            if ($copies.ContainsKey([String]$entry.path)) {
                $entry.copy_path = $copies[[String]$entry.path]
            }
        }
    }
}

if ($stale.Count -gt 0) {
    $before = @($history.backups | ForEach-Object { $_.path })
    $run = Invoke-SitekitBackupJob -Script $script -SettingsPath $settingsPath -Type $kind -Database $stale
    $exitCode = $run.exit_code
    $module.Result.output = @($run.output)
    $history = Read-SitekitBackupHistory -Path $historyPath
    $after = @($history.backups | ForEach-Object { $_.path })
    $module.Result.backups = @($history.backups | Where-Object { $before -notcontains $_.path })
    $module.Result.deleted = @($before | Where-Object { $after -notcontains $_ })
    if ($exitCode -ne 0) {
        $module.FailJson("the $kind backup of $($stale -join ', ') failed (exit code $exitCode): $($module.Result.output -join ' ')")
    }
}
$module.ExitJson()
