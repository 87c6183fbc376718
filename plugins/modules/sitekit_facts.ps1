#!powershell

# Copyright: sitekit contributors
# MIT License (see LICENSE)

#AnsibleRequires -CSharpUtil Ansible.Basic

# One call returns what preflight and the monthly audit read from a host, by subset,
# so checking a site costs one WinRM round trip per host and not one per fact.

$spec = @{
    options = @{
        gather = @{
            type = "list"
            elements = "str"
            default = @("os", "disks", "clock")
            choices = @("os", "disks", "clock")
        }
    }
    supports_check_mode = $true
}

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$gather = $module.Params.gather
$facts = @{}

if ($gather -contains "os") {
    $version = Get-ItemProperty -LiteralPath "HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion"
    $os = Get-CimInstance -ClassName Win32_OperatingSystem
    $facts.os = @{
        caption = $os.Caption
        version = $os.Version
        build = [int]$version.CurrentBuild
        ubr = [int]$version.UBR
        display_version = $version.DisplayVersion
        installation_type = $version.InstallationType
        computer_name = $env:COMPUTERNAME
        last_boot = $os.LastBootUpTime.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ")
    }
}

if ($gather -contains "disks") {
    $facts.disks = @(
        Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DriveType=3" | ForEach-Object {
            @{
                drive = $_.DeviceID.TrimEnd(":")
                size_bytes = [int64]$_.Size
                free_bytes = [int64]$_.FreeSpace
            }
        }
    )
}

if ($gather -contains "clock") {
    $facts.clock = @{
        utc = [DateTime]::UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ")
        time_zone = (Get-TimeZone).Id
    }
}

$module.Result.facts = $facts
$module.ExitJson()
