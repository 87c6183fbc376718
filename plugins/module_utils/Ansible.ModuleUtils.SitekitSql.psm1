# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# One query against SQL Server, as every module that reads SQL Server runs it: Windows
# authentication, a bounded wait to connect and to answer (a module never hangs on an
# instance that does not answer), the connection closed whatever happens. How to reach
# the instance is the inventory's (sitekit_sql.connect), never worked out here. The backup
# job (a scheduled task, not a module) keeps its own copy without the command timeout:
# a backup takes as long as it takes.

Function Invoke-SitekitSqlQuery {
    <#
    .SYNOPSIS
    The rows a query returns, as a DataTable (one object, not its rows enumerated).
    .DESCRIPTION
    ConnectTimeout: seconds to open the connection (SqlConnection's Connect Timeout, 15 by
    default in .NET too); CommandTimeout: seconds for the query (SqlCommand.CommandTimeout;
    0 waits for ever, so a module never uses it).
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Server,
        [Parameter(Mandatory = $true)][String]$Query,
        [Parameter(Mandatory = $true)][String]$ApplicationName,
        [String]$Database = "master",
        [ValidateRange(1, 600)][Int]$ConnectTimeout = 15,
        [ValidateRange(1, 3600)][Int]$CommandTimeout = 60
    )
    $builder = New-Object -TypeName System.Data.SqlClient.SqlConnectionStringBuilder
    $builder["Data Source"] = $Server
    $builder["Initial Catalog"] = $Database
    $builder["Integrated Security"] = $true
    $builder["Connect Timeout"] = $ConnectTimeout
    $builder["Application Name"] = $ApplicationName
    $connection = New-Object -TypeName System.Data.SqlClient.SqlConnection -ArgumentList $builder.ConnectionString
    $connection.Open()
    try {
        $command = $connection.CreateCommand()
        $command.CommandText = $Query
        $command.CommandTimeout = $CommandTimeout
        $table = New-Object -TypeName System.Data.DataTable
        $table.Load($command.ExecuteReader())
        return , $table
    }
    finally {
        $connection.Dispose()
    }
}

Export-ModuleMember -Function 'Invoke-SitekitSqlQuery'
