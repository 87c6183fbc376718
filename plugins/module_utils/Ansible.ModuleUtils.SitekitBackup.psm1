# Copyright: sitekit contributors
# MIT License (see LICENSE)

# What sitekit_sql_backup and sitekit_sql_restore_test share: reading the backup job's
# history file (written by Invoke-SitekitBackup.ps1) and its times.

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

Export-ModuleMember -Function 'ConvertTo-UtcDate', 'Read-SitekitBackupHistory'
