# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# What sitekit_sql_backup and sitekit_sql_restore_test share: finding the deployed backup
# job, running it, and reading and updating its history file (written by
# Invoke-SitekitBackup.ps1) under the mutex every writer of that file takes.

# The same name as in roles/db_backup/templates/.../Invoke-SitekitBackup.ps1.j2.
$script:historyMutexName = "Global\SitekitBackupHistory"

Function Read-SitekitBackupHistory {
    <#
    .SYNOPSIS
    The backup job's history: its backups and restore tests (none before the first run).
    #>
    param($Path)
    if (-not (Test-Path -LiteralPath $Path)) {
        return [PSCustomObject]@{ backups = @(); restore_tests = @() }
    }
    return Get-Content -LiteralPath $Path -Raw -Encoding UTF8 | ConvertFrom-Json
}

Function Update-SitekitBackupHistory {
    <#
    .SYNOPSIS
    Re-read the history, apply $Change to it and replace the file, all inside the mutex the
    backup job takes (Global\: the job runs as SYSTEM in session 0, modules in a WinRM
    logon; open to SYSTEM and Administrators by SID). A temporary file of this writer's own,
    swapped in with ReplaceFile, so readers never see half a file.
    #>
    param([String]$Path, [ScriptBlock]$Change)
    $security = New-Object -TypeName System.Security.AccessControl.MutexSecurity
    foreach ($sid in @("S-1-5-18", "S-1-5-32-544")) {
        $identity = New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList $sid
        $security.AddAccessRule((New-Object -TypeName System.Security.AccessControl.MutexAccessRule -ArgumentList $identity, "FullControl", "Allow"))
    }
    $created = $false
    $mutex = [System.Threading.Mutex]::new($false, $script:historyMutexName, [ref]$created, $security)
    $held = $false
    try {
        try {
            $held = $mutex.WaitOne([TimeSpan]::FromMinutes(10))
        }
        catch [System.Threading.AbandonedMutexException] {
            $held = $true  # its holder died; the file was replaced whole or not at all
        }
        if (-not $held) {
            throw "another writer has held $($script:historyMutexName) for 10 minutes; $Path was not updated"
        }
        $history = Read-SitekitBackupHistory -Path $Path
        & $Change $history | Out-Null
        $temporary = "{0}.{1}.tmp" -f $Path, [Guid]::NewGuid().ToString("N")
        $json = ConvertTo-Json -InputObject $history -Depth 6
        [IO.File]::WriteAllText($temporary, $json, (New-Object -TypeName System.Text.UTF8Encoding -ArgumentList $true))
        if (Test-Path -LiteralPath $Path) {
            [IO.File]::Replace($temporary, $Path, [NullString]::Value)
        }
        else {
            [IO.File]::Move($temporary, $Path)
        }
    }
    finally {
        if ($held) {
            $mutex.ReleaseMutex()
        }
        $mutex.Dispose()
    }
}

Function Invoke-SitekitBackupJob {
    <#
    .SYNOPSIS
    Run the backup job in a new powershell.exe; its exit code and what it wrote (stdout and
    stderr, as lines).
    .DESCRIPTION
    The databases go as one comma-separated string: powershell.exe -File binds each word as
    a string and cannot pass an array (about_PowerShell_exe). The streams are read through
    System.Diagnostics.Process, not `2>&1`: under the module wrapper's
    $ErrorActionPreference = 'Stop', Windows PowerShell 5.1 turns a native command's stderr
    line redirected with 2>&1 into a terminating error (about_Redirection; fixed only in 7.2).
    #>
    param([String]$Script, [String]$SettingsPath, [String]$Type, [String[]]$Database)
    $quoted = ($Database | ForEach-Object { ([String]$_).Replace('"', '\"') }) -join ","
    $info = New-Object -TypeName System.Diagnostics.ProcessStartInfo
    $info.FileName = Join-Path -Path $env:SystemRoot -ChildPath "System32\WindowsPowerShell\v1.0\powershell.exe"
    $info.Arguments = ('-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" -Type {1} -SettingsPath "{2}" -Database "{3}"' -f
        $Script, $Type, $SettingsPath, $quoted)
    $info.UseShellExecute = $false
    $info.CreateNoWindow = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    try {
        # Read stderr on another thread while reading stdout: a full pipe would block the job.
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEnd()
        $process.WaitForExit()
        $lines = @(($stdout + $stderr.Result) -split "\r?\n" | Where-Object { $_ })
        return [PSCustomObject]@{ exit_code = $process.ExitCode; output = $lines }
    }
    finally {
        $process.Dispose()
    }
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
    $settings = Get-Content -LiteralPath $SettingsPath -Raw -Encoding UTF8 | ConvertFrom-Json
    return [PSCustomObject]@{
        settings = $settings
        history_path = Join-Path -Path $settings.backup_dir -ChildPath "sitekit-backup-history.json"
    }
}

Export-ModuleMember -Function 'Read-SitekitBackupHistory', 'Update-SitekitBackupHistory', 'Invoke-SitekitBackupJob', 'Get-SitekitBackupJob'
