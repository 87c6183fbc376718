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

# Check everything first: a missing driver or address fails before anything changes.
$seen = @{}
$drivers = @(Get-PrinterDriver | ForEach-Object { $_.Name })
foreach ($wanted in $module.Params.printers) {
    if ($seen.ContainsKey($wanted.name.ToLowerInvariant())) {
        $module.FailJson("the printer $($wanted.name) is listed twice")
    }
    $seen[$wanted.name.ToLowerInvariant()] = $true
    if ($wanted.state -eq "present") {
        if (-not $wanted.address) {
            $module.FailJson("address is required to add the printer $($wanted.name)")
        }
        if ($wanted.driver -notin $drivers) {
            $module.FailJson("the printer driver '$($wanted.driver)' of $($wanted.name) is not installed on this host: install it first (pnputil /add-driver, then Add-PrinterDriver) or name an installed driver")
        }
    }
}

$existing = @{}
foreach ($printer in @(Get-Printer)) {
    $existing[$printer.Name.ToLowerInvariant()] = $printer
}
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
$removedPorts = @()
foreach ($printer in $doomed) {
    $module.Result.changes += , @{ name = $printer.Name; action = "removed" }
    if ($check) {
        continue
    }
    try {
        Remove-Printer -Name $printer.Name -ErrorAction Stop
        $inUse = @(Get-Printer | Where-Object { $_.PortName -eq $printer.PortName })
        if ($inUse.Count -eq 0 -and $printer.PortName -like "IP_*" -and $printer.PortName -notin $removedPorts) {
            Remove-PrinterPort -Name $printer.PortName -ErrorAction Stop
            $removedPorts += $printer.PortName
        }
    }
    catch {
        $module.FailJson("failed to remove the printer $($printer.Name): $($_.Exception.Message)", $_)
    }
}

if ($module.Result.changes.Count -gt 0) {
    $module.Result.changed = $true
    $module.Diff.before = @{ printers = @($existing.Values | ForEach-Object { Get-PrinterRecord -Printer $_ }) }
    $module.Diff.after = @{ printers = $module.Result.printers; removed = @($doomed | ForEach-Object { $_.Name }) }
}
$module.ExitJson()
