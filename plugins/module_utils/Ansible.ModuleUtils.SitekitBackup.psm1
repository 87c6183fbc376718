# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# What sitekit_sql_backup and sitekit_sql_restore_test share: finding the deployed backup
# job, and reading its history file (written by Invoke-SitekitBackup.ps1) and its times.

Function ConvertTo-UtcDate {
    <#
    .SYNOPSIS
    A time from the history (ISO 8601 text or a DateTime) in UTC.
    #>
    param($Value)
    if ($Value -is [DateTime]) {
        return $Value.ToUniversalTime()
    }
    $styles = [Globalization.DateTimeStyles]::RoundtripKind
    return [DateTime]::Parse([String]$Value, [Globalization.CultureInfo]::InvariantCulture, $styles).ToUniversalTime()
}

Function Read-SitekitBackupHistory {
    <#
    .SYNOPSIS
    The backup job's history: its backups and restore tests (none before the first run).
    #>
    param($Path)
    if (-not (Test-Path -LiteralPath $Path)) {
        return [PSCustomObject]@{ backups = @(); restore_tests = @() }
    }
    return Get-Content -LiteralPath $Path -Raw | ConvertFrom-Json
}

Function Get-SitekitBackupJob {
    <#
    .SYNOPSIS
    The deployed job's settings and the path of its history file. Before the role has
    deployed the job, check mode reports that it would run; a real run fails.
    #>
    param($Module, [String]$Script, [String]$SettingsPath)
    if (-not (Test-Path -LiteralPath $Script -PathType Leaf) -or -not (Test-Path -LiteralPath $SettingsPath -PathType Leaf)) {
        if ($Module.CheckMode) {
            $Module.Result.changed = $true
            $Module.Result.msg = "the backup job is not deployed yet: it would run after deployment"
            $Module.ExitJson()
        }
        $Module.FailJson("the backup job $Script or its settings $SettingsPath do not exist: deploy them first")
    }
    $settings = Get-Content -LiteralPath $SettingsPath -Raw | ConvertFrom-Json
    return [PSCustomObject]@{
        settings = $settings
        history_path = Join-Path -Path $settings.backup_dir -ChildPath "sitekit-backup-history.json"
    }
}

Export-ModuleMember -Function 'ConvertTo-UtcDate', 'Read-SitekitBackupHistory', 'Get-SitekitBackupJob'
