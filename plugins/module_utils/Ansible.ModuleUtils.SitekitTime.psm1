# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The one way the kit's modules write a moment: UTC to the second with Z, in the invariant
# culture (a custom format takes ':' and the calendar from the current culture otherwise,
# tests/pslint PSL004; "Custom date and time format strings", Microsoft .NET docs). The
# Python side (src/sitekit/timestamps.py: the audit, the lab's models) reads exactly this.
# The backup job (roles/db_backup/templates/.../Invoke-SitekitBackup.ps1.j2) runs as a
# scheduled task, not a module, and keeps its own copy of the format.

$script:utcFormat = "yyyy-MM-ddTHH:mm:ssZ"

Function ConvertTo-SitekitUtcDate {
    <#
    .SYNOPSIS
    A time (the kit's text, any ISO 8601 text, or a DateTime) as a UTC DateTime.
    .DESCRIPTION
    -Utc says a DateTime's clock is UTC whatever its Kind (the Windows Update history's
    dates are UTC with no Kind); otherwise a DateTime without a Kind (SQL Server's, WMI's)
    is the host's local time, as .NET's ToUniversalTime takes it.
    #>
    param($Value, [Switch]$Utc)
    if ($Value -is [DateTime]) {
        if ($Utc) {
            return [DateTime]::SpecifyKind($Value, [DateTimeKind]::Utc)
        }
        return $Value.ToUniversalTime()
    }
    $styles = [Globalization.DateTimeStyles]::RoundtripKind
    return [DateTime]::Parse([String]$Value, [Globalization.CultureInfo]::InvariantCulture, $styles).ToUniversalTime()
}

Function ConvertTo-SitekitUtcText {
    <#
    .SYNOPSIS
    A time as the kit writes it (2026-12-07T03:12:00Z); $null for none.
    .DESCRIPTION
    None is $null, DBNull (a column SQL Server has no value for), empty text, or a year
    before 1980: Defender reports a scan that never ran as 1601 or 0001.
    #>
    param($Value, [Switch]$Utc)
    if ($null -eq $Value -or $Value -is [DBNull] -or "$Value" -eq "") {
        return $null
    }
    $date = ConvertTo-SitekitUtcDate -Value $Value -Utc:$Utc
    if ($date.Year -lt 1980) {
        return $null
    }
    return $date.ToString($script:utcFormat, [Globalization.CultureInfo]::InvariantCulture)
}

Function Get-SitekitUtcNow {
    <#
    .SYNOPSIS
    Now in UTC, to the second: the resolution of every time the kit writes, so that a
    time read back compares with it as written.
    #>
    $now = [DateTime]::UtcNow
    return $now.AddTicks(-($now.Ticks % [TimeSpan]::TicksPerSecond))
}

Export-ModuleMember -Function 'ConvertTo-SitekitUtcDate', 'ConvertTo-SitekitUtcText', 'Get-SitekitUtcNow'
