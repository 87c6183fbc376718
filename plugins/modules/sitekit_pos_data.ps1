#!powershell

# Loads a restaurant's initial data (menu items, dining tables) into the application
# database in one call; see sitekit_pos_data.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        sql_instance = @{ type = "str"; required = $true }
        database = @{ type = "str"; required = $true }
        tables = @{
            type = "list"
            elements = "dict"
            required = $true
            options = @{
                name = @{ type = "str"; required = $true }
                key = @{ type = "str"; required = $true }
                columns = @{
                    type = "list"
                    elements = "dict"
                    required = $true
                    options = @{
                        name = @{ type = "str"; required = $true }
                        type = @{ type = "str"; required = $true }
                    }
                }
                rows = @{ type = "list"; elements = "dict"; required = $true }
            }
        }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.counts = @{}
$module.Result.changes = @{}

$invariant = [Globalization.CultureInfo]::InvariantCulture
$identifier = "^[A-Za-z_][A-Za-z0-9_]{0,127}$"
$sqlType = "^(?i)(int|bigint|smallint|tinyint|bit|date|datetime2|(n?varchar|n?char)\((\d{1,4}|max)\)|decimal\(\d{1,2},\d{1,2}\))$"

Function Get-Quoted {
    param([String]$Name)
    return "[" + $Name.Replace("]", "]]") + "]"
}

Function Format-Value {
    # The canonical text of a value, so that a row read back compares equal to the row given.
    param($Value, [String]$Type)
    if ($null -eq $Value -or $Value -is [DBNull]) {
        return ""
    }
    if ($Type -match "^(?i)decimal") {
        return ([Decimal]::Parse([String]::Format($invariant, "{0}", $Value), $invariant)).ToString("0.00##", $invariant)
    }
    if ($Value -is [Boolean]) {
        return ([String]$Value).ToLowerInvariant()
    }
    return [String]::Format($invariant, "{0}", $Value).Trim()
}

Function Invoke-Sql {
    param($Connection, $Transaction, [String]$Text, [Hashtable]$Parameters = @{})
    $command = $Connection.CreateCommand()
    $command.CommandText = $Text
    $command.Transaction = $Transaction
    foreach ($entry in $Parameters.GetEnumerator()) {
        $value = $entry.Value
        if ($null -eq $value) {
            $value = [DBNull]::Value
        }
        [void]$command.Parameters.AddWithValue("@" + $entry.Key, $value)
    }
    return $command
}

# Check every table's definition and rows before touching the database.
foreach ($table in $module.Params.tables) {
    if ($table.name -notmatch $identifier) {
        $module.FailJson("table name '$($table.name)' is not a plain SQL identifier")
    }
    $names = @($table.columns | ForEach-Object { $_.name })
    foreach ($column in $table.columns) {
        if ($column.name -notmatch $identifier) {
            $module.FailJson("column name '$($column.name)' of $($table.name) is not a plain SQL identifier")
        }
        if ($column.type -notmatch $sqlType) {
            $module.FailJson("column $($table.name).$($column.name) has the type '$($column.type)', which this module does not create")
        }
    }
    if ($table.key -notin $names) {
        $module.FailJson("the key '$($table.key)' of $($table.name) is not one of its columns")
    }
    $keys = @{}
    foreach ($row in $table.rows) {
        foreach ($name in $row.Keys) {
            if ($name -notin $names) {
                $module.FailJson("a row of $($table.name) has '$name', which is not one of its columns")
            }
        }
        $key = [String]$row[$table.key]
        if ($keys.ContainsKey($key)) {
            $module.FailJson("$($table.name) has the key $key twice")
        }
        $keys[$key] = $true
    }
}

$builder = New-Object -TypeName System.Data.SqlClient.SqlConnectionStringBuilder
$builder["Data Source"] = $module.Params.sql_instance
$builder["Initial Catalog"] = $module.Params.database
$builder["Integrated Security"] = $true
$builder["Application Name"] = "sitekit_pos_data"
$connection = New-Object -TypeName System.Data.SqlClient.SqlConnection -ArgumentList $builder.ConnectionString
try {
    $connection.Open()
}
catch {
    $module.FailJson("cannot connect to the database $($module.Params.database) on $($module.Params.sql_instance): $($_.Exception.Message)", $_)
}

$diffBefore = @{}
$diffAfter = @{}
try {
    foreach ($table in $module.Params.tables) {
        $quotedTable = "[dbo]." + (Get-Quoted -Name $table.name)
        $types = @{}
        foreach ($column in $table.columns) {
            $types[$column.name] = $column.type
        }
        $exists = (Invoke-Sql -Connection $connection -Transaction $null -Text "SELECT OBJECT_ID(@name, 'U')" -Parameters @{ name = "dbo.$($table.name)" }).ExecuteScalar()
        $current = @{}
        # Each row's key as SQL Server holds it, to delete it by.
        $rawKeys = @{}
        if ($exists -isnot [DBNull] -and $null -ne $exists) {
            $select = "SELECT " + (($table.columns | ForEach-Object { Get-Quoted -Name $_.name }) -join ", ") + " FROM $quotedTable"
            $reader = (Invoke-Sql -Connection $connection -Transaction $null -Text $select).ExecuteReader()
            try {
                while ($reader.Read()) {
                    $values = @{}
                    for ($i = 0; $i -lt $table.columns.Count; $i++) {
                        $name = $table.columns[$i].name
                        $values[$name] = Format-Value -Value $reader.GetValue($i) -Type $types[$name]
                    }
                    $current[$values[$table.key]] = $values
                    $rawKeys[$values[$table.key]] = $reader.GetValue([Array]::IndexOf(@($table.columns | ForEach-Object { $_.name }), $table.key))
                }
            }
            finally {
                $reader.Close()
            }
        }
        # Row by row: insert the new keys, update the changed rows, delete only the keys the
        # list no longer has. Never the whole table: other rows (orders) refer to these by
        # key, and columns the kit does not manage keep their values.
        $toInsert = @()
        $toUpdate = @()
        $wantedKeys = @{}
        foreach ($row in $table.rows) {
            $values = @{}
            foreach ($column in $table.columns) {
                $values[$column.name] = Format-Value -Value $row[$column.name] -Type $column.type
            }
            $key = $values[$table.key]
            $wantedKeys[$key] = $true
            if (-not $current.ContainsKey($key)) {
                $toInsert += , $row
                continue
            }
            foreach ($column in $table.columns) {
                if ($current[$key][$column.name] -cne $values[$column.name]) {
                    $toUpdate += , $row
                    break
                }
            }
        }
        $toDelete = @($current.Keys | Where-Object { -not $wantedKeys.ContainsKey($_) })
        $inserted = $toInsert.Count
        $updated = $toUpdate.Count
        $deleted = $toDelete.Count
        $missing = ($null -eq $exists -or $exists -is [DBNull])
        $module.Result.counts[$table.name] = $table.rows.Count
        $module.Result.changes[$table.name] = @{ inserted = $inserted; updated = $updated; deleted = $deleted; created = $missing }
        if (-not ($missing -or $inserted -or $updated -or $deleted)) {
            continue
        }
        $module.Result.changed = $true
        $diffBefore[$table.name] = $current.Count
        $diffAfter[$table.name] = $table.rows.Count
        if ($module.CheckMode) {
            continue
        }
        $transaction = $connection.BeginTransaction()
        try {
            if ($missing) {
                $definitions = @()
                foreach ($column in $table.columns) {
                    $nullable = " NULL"
                    if ($column.name -eq $table.key) {
                        $nullable = " NOT NULL"
                    }
                    $definitions += (Get-Quoted -Name $column.name) + " " + $column.type + $nullable
                }
                $definitions += "CONSTRAINT " + (Get-Quoted -Name "PK_$($table.name)") + " PRIMARY KEY (" + (Get-Quoted -Name $table.key) + ")"
                [void](Invoke-Sql -Connection $connection -Transaction $transaction -Text "CREATE TABLE $quotedTable ($($definitions -join ', '))").ExecuteNonQuery()
            }
            $quotedKey = Get-Quoted -Name $table.key
            foreach ($key in $toDelete) {
                [void](Invoke-Sql -Connection $connection -Transaction $transaction -Text "DELETE FROM $quotedTable WHERE $quotedKey = @key" -Parameters @{ key = $rawKeys[$key] }).ExecuteNonQuery()
            }
            $columnList = ($table.columns | ForEach-Object { Get-Quoted -Name $_.name }) -join ", "
            $parameterList = (0..($table.columns.Count - 1) | ForEach-Object { "@p$_" }) -join ", "
            $assignments = @(for ($i = 0; $i -lt $table.columns.Count; $i++) {
                    if ($table.columns[$i].name -ne $table.key) {
                        (Get-Quoted -Name $table.columns[$i].name) + " = @p$i"
                    }
                }) -join ", "
            $statements = @(
                @{ rows = $toUpdate; text = "UPDATE $quotedTable SET $assignments WHERE $quotedKey = @key" }
                @{ rows = $toInsert; text = "INSERT INTO $quotedTable ($columnList) VALUES ($parameterList)" }
            )
            foreach ($statement in $statements) {
                foreach ($row in $statement.rows) {
                    $parameters = @{ key = $row[$table.key] }
                    for ($i = 0; $i -lt $table.columns.Count; $i++) {
                        $parameters["p$i"] = $row[$table.columns[$i].name]
                    }
                    [void](Invoke-Sql -Connection $connection -Transaction $transaction -Text $statement.text -Parameters $parameters).ExecuteNonQuery()
                }
            }
            $transaction.Commit()
        }
        catch {
            $transaction.Rollback()
            throw
        }
    }
}
catch {
    $module.FailJson("loading the data into $($module.Params.database) failed: $($_.Exception.Message)", $_)
}
finally {
    $connection.Close()
}
if ($module.Result.changed) {
    $module.Diff.before = @{ rows = $diffBefore }
    $module.Diff.after = @{ rows = $diffAfter }
}
$module.ExitJson()
