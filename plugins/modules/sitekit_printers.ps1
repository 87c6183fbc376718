#!powershell

# Network printers and their TCP/IP ports in one call; see sitekit_printers.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        printers = @{
            type = "list"
            elements = "dict"
            required = $true
            options = @{
                name = @{ type = "str"; required = $true }
                address = @{ type = "str" }
                port_number = @{ type = "int"; default = 9100 }
                driver = @{ type = "str"; default = "Generic / Text Only" }
                location = @{ type = "str"; default = "" }
                state = @{ type = "str"; choices = @("present", "absent"); default = "present" }
            }
        }
        marker = @{ type = "str"; default = "Managed by sitekit" }
        purge = @{ type = "bool"; default = $false }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changes = @()
$module.Result.printers = @()
$module.Result.drivers_installed = @()
$marker = $module.Params.marker
$check = $module.CheckMode

Function Get-PortName {
    param([String]$Address, [int]$Number)
    if ($Number -eq 9100) {
        return "IP_$Address"
    }
    return "IP_$($Address)_$Number"
}

Function Get-PrinterRecord {
    param($Printer)
    $record = @{
        name = $Printer.Name; port = $Printer.PortName; address = $null; port_number = $null
        driver = $Printer.DriverName; location = [String]$Printer.Location; comment = [String]$Printer.Comment
    }
    $port = Get-PrinterPort -Name $Printer.PortName -ErrorAction SilentlyContinue
    if ($null -ne $port) {
        $record.address = $port.PrinterHostAddress
        $record.port_number = [int]$port.PortNumber
    }
    return $record
}

# Check everything first: a missing address or driver fails before any printer changes.
$seen = @{}
$drivers = @(Get-PrinterDriver | ForEach-Object { $_.Name })
$missingDrivers = @()
foreach ($wanted in $module.Params.printers) {
    if ($seen.ContainsKey($wanted.name.ToLowerInvariant())) {
        $module.FailJson("the printer $($wanted.name) is listed twice")
    }
    $seen[$wanted.name.ToLowerInvariant()] = $true
    if ($wanted.state -eq "present") {
        if (-not $wanted.address) {
            $module.FailJson("address is required to add the printer $($wanted.name)")
        }
        if ($wanted.driver -notin $drivers -and $wanted.driver -notin $missingDrivers) {
            $missingDrivers += $wanted.driver
        }
    }
}
# A fresh Windows has "Generic / Text Only" in its driver store, not installed: Add-Printer
# fails with it until Add-PrinterDriver installs it by name from the store.
foreach ($driver in $missingDrivers) {
    $module.Result.drivers_installed += $driver
    if ($check) {
        continue
    }
    try {
        Add-PrinterDriver -Name $driver -ErrorAction Stop
    }
    catch {
        $module.FailJson("the printer driver '$driver' is neither installed nor in this host's driver store: add its package first (pnputil /add-driver <driver>.inf /install) or name another driver: $($_.Exception.Message)", $_)
    }
}

$existing = @{}
foreach ($printer in @(Get-Printer)) {
    $existing[$printer.Name.ToLowerInvariant()] = $printer
}
# The diff's "before", read now: a record read after the changes shows the new ports.
$beforeRecords = @($existing.Values | ForEach-Object { Get-PrinterRecord -Printer $_ })
$doomed = @()
foreach ($wanted in $module.Params.printers) {
    $current = $existing[$wanted.name.ToLowerInvariant()]
    if ($wanted.state -eq "absent") {
        if ($null -ne $current) {
            $doomed += , $current
        }
        continue
    }
    $portName = Get-PortName -Address $wanted.address -Number $wanted.port_number
    $after = @{
        name = $wanted.name; port = $portName; address = $wanted.address; port_number = $wanted.port_number
        driver = $wanted.driver; location = $wanted.location; comment = $marker
    }
    $port = Get-PrinterPort -Name $portName -ErrorAction SilentlyContinue
    $portChanged = $null -eq $port -or $port.PrinterHostAddress -ne $wanted.address -or [int]$port.PortNumber -ne $wanted.port_number
    if ($null -eq $current) {
        $action = "added"
    }
    else {
        $before = Get-PrinterRecord -Printer $current
        $action = $null
        if ($portChanged -or $before.port -ne $portName -or $before.driver -ne $wanted.driver -or $before.location -cne $wanted.location -or $before.comment -cne $marker) {
            $action = "changed"
        }
    }
    $module.Result.printers += , $after
    if ($null -eq $action) {
        continue
    }
    $module.Result.changes += , @{ name = $wanted.name; action = $action }
    if ($check) {
        continue
    }
    try {
        if ($null -eq $port) {
            Add-PrinterPort -Name $portName -PrinterHostAddress $wanted.address -PortNumber $wanted.port_number -ErrorAction Stop
        }
        elseif ($portChanged) {
            # A Standard TCP/IP port keeps its address in its configuration: recreate it.
            $users = @(Get-Printer | Where-Object { $_.PortName -eq $portName })
            foreach ($user in $users) {
                Set-Printer -Name $user.Name -PortName "PORTPROMPT:" -ErrorAction Stop
            }
            Remove-PrinterPort -Name $portName -ErrorAction Stop
            Add-PrinterPort -Name $portName -PrinterHostAddress $wanted.address -PortNumber $wanted.port_number -ErrorAction Stop
            foreach ($user in $users) {
                Set-Printer -Name $user.Name -PortName $portName -ErrorAction Stop
            }
        }
        if ($null -eq $current) {
            Add-Printer -Name $wanted.name -DriverName $wanted.driver -PortName $portName -Location $wanted.location -Comment $marker -ErrorAction Stop
        }
        else {
            Set-Printer -Name $wanted.name -DriverName $wanted.driver -PortName $portName -Location $wanted.location -Comment $marker -ErrorAction Stop
        }
    }
    catch {
        $module.FailJson("failed to set the printer $($wanted.name): $($_.Exception.Message)", $_)
    }
}

if ($module.Params.purge) {
    foreach ($printer in $existing.Values) {
        if ($printer.Comment -ceq $marker -and -not $seen.ContainsKey($printer.Name.ToLowerInvariant())) {
            $doomed += , $printer
        }
    }
}
# Every doomed printer first, then the ports none uses any more: the spooler holds a port
# while a printer uses it, and releases it a moment after Remove-Printer returns.
foreach ($printer in $doomed) {
    $module.Result.changes += , @{ name = $printer.Name; action = "removed" }
    if ($check) {
        continue
    }
    try {
        Remove-Printer -Name $printer.Name -ErrorAction Stop
    }
    catch {
        $module.FailJson("failed to remove the printer $($printer.Name): $($_.Exception.Message)", $_)
    }
}
if (-not $check -and $doomed.Count -gt 0) {
    $inUse = @(Get-Printer | ForEach-Object { $_.PortName })
    $ports = @($doomed | ForEach-Object { $_.PortName } | Where-Object { $_ -like "IP_*" -and $_ -notin $inUse } | Select-Object -Unique)
    foreach ($portName in $ports) {
        for ($attempt = 1; ; $attempt++) {
            try {
                Remove-PrinterPort -Name $portName -ErrorAction Stop
                break
            }
            catch {
                if ($attempt -ge 5) {
                    $module.FailJson("removed its printers, but the spooler still holds the port $($portName): $($_.Exception.Message); restart the Print Spooler service and run again", $_)
                }
                Start-Sleep -Seconds 1
            }
        }
    }
}

if ($module.Result.drivers_installed.Count -gt 0) {
    $module.Result.changed = $true
}
if ($module.Result.changes.Count -gt 0) {
    $module.Result.changed = $true
    $module.Diff.before = @{ printers = $beforeRecords }
    $module.Diff.after = @{ printers = $module.Result.printers; removed = @($doomed | ForEach-Object { $_.Name }) }
}
$module.ExitJson()
