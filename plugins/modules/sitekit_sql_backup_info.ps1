#!powershell

# An instance's databases and their backup history; see sitekit_sql_backup_info.py.

#AnsibleRequires -CSharpUtil Ansible.Basic
#Requires -Module Ansible.ModuleUtils.SitekitSql
#Requires -Module Ansible.ModuleUtils.SitekitTime

$spec = @{
    options = @{
        instance = @{ type = "str"; required = $true }
        service = @{ type = "str"; required = $true }
        server = @{ type = "str"; required = $true }
        databases = @{ type = "list"; elements = "str"; default = @() }
        settings = @{ type = "str" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.instance = $null
$module.Result.databases = @{}

# The instance's service and connect string are the inventory's (sitekit_sql), never worked out here.
$instanceName = $module.Params.instance
$serviceName = $module.Params.service
$server = $module.Params.server
$service = Get-Service -Name $serviceName -ErrorAction SilentlyContinue
if ($null -eq $service) {
    $module.ExitJson()
}

Function Invoke-Query {
    param([String]$Query)
    return , (Invoke-SitekitSqlQuery -Server $server -Query $Query -ApplicationName "sitekit-backup-info")
}

try {
    $properties = (Invoke-Query -Query ("SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(64)) AS version, " +
            "CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition")).Rows[0]
    $rows = (Invoke-Query -Query ("SELECT d.name, d.recovery_model_desc, " +
            "(SELECT MAX(b.backup_finish_date) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name AND b.type = 'D') AS last_full, " +
            "(SELECT MAX(b.backup_finish_date) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name AND b.type = 'I') AS last_differential, " +
            "(SELECT MAX(b.backup_finish_date) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name AND b.type = 'L') AS last_log, " +
            "(SELECT COUNT(*) FROM msdb.dbo.backupset AS b WHERE b.database_name = d.name) AS backup_count " +
            "FROM sys.databases AS d WHERE d.database_id > 4")).Rows
}
catch {
    $module.FailJson("cannot query SQL Server instance ${instanceName}: $($_.Exception.Message)", $_)
}

$history = [PSCustomObject]@{ backups = @(); restore_tests = @() }
if ($module.Params.settings -and (Test-Path -LiteralPath $module.Params.settings)) {
    $settings = Get-Content -LiteralPath $module.Params.settings -Raw -Encoding UTF8 | ConvertFrom-Json
    $historyPath = Join-Path -Path $settings.backup_dir -ChildPath "sitekit-backup-history.json"
    if (Test-Path -LiteralPath $historyPath) {
        $history = Get-Content -LiteralPath $historyPath -Raw -Encoding UTF8 | ConvertFrom-Json
    }
}

$module.Result.instance = @{
    name = $instanceName; version = $properties.version; edition = $properties.edition
    service = $serviceName; backup_dir = $null
}
$names = @($module.Params.databases)
if ($names.Count -eq 0) {
    $names = @($rows | ForEach-Object { $_.name })
}
foreach ($name in $names) {
    $row = $rows | Where-Object { $_.name -eq $name } | Select-Object -First 1
    if ($null -eq $row) {
        $module.Result.databases[$name] = @{ exists = $false }
        continue
    }
    $verified = @($history.backups | Where-Object { $_.database -eq $name -and $_.type -eq "full" -and $_.verified }) | Select-Object -Last 1
    $test = @($history.restore_tests | Where-Object { $_.database -eq $name }) | Select-Object -Last 1
    $module.Result.databases[$row.name] = @{
        exists = $true
        recovery_model = $row.recovery_model_desc
        last_full = ConvertTo-SitekitUtcText -Value $row.last_full
        last_verified_full = $verified
        last_differential = ConvertTo-SitekitUtcText -Value $row.last_differential
        last_log = ConvertTo-SitekitUtcText -Value $row.last_log
        backup_count = [int]$row.backup_count
        last_restore_test = $test
    }
}
$module.ExitJson()
