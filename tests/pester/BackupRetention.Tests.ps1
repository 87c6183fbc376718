# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The backup job's retention (Select-SitekitExpiredBackup in the db_backup role's template)
# against the shared vectors that also drive sitekit.backup.retention's Python tests.
# Run with Pester 5 on Windows PowerShell 5.1 or PowerShell 7: Invoke-Pester tests/pester

BeforeDiscovery {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'Import-SitekitFunction.ps1')
    # Hashtables: Pester makes each key a variable of the test and names it by <name>.
    $cases = @(Get-SitekitVector -Name 'backup_retention' | ForEach-Object { @{ name = $_.name; case = $_ } })
}

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'Import-SitekitFunction.ps1')
    $job = Join-Path -Path $PSScriptRoot -ChildPath '../../roles/db_backup/templates/ProgramData/Sitekit/Backup/Invoke-SitekitBackup.ps1.j2'
    . ([ScriptBlock]::Create((Get-SitekitFunctionDefinition -Path $job -Name 'ConvertTo-UtcDate', 'Select-SitekitExpiredBackup')))
}

Describe 'Select-SitekitExpiredBackup' {
    It '<name>' -ForEach $cases {
        # PowerShell 7's ConvertFrom-Json reads ISO dates as DateTime, 5.1's as text: both work.
        $now = ConvertTo-UtcDate -Value $case.now
        $expired = Select-SitekitExpiredBackup -Backups @($case.backups) -Now $now -RetentionDays $case.retention_days
        # Joined, so that "nothing expires" compares as the empty string, not an empty pipeline.
        (@($expired | ForEach-Object { $_.path }) -join ', ') | Should -Be (@($case.expired) -join ', ')
    }
}
