#!powershell

# Many registry values set or removed in one call; see sitekit_registry.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        values = @{
            type = "list"
            elements = "dict"
            required = $true
            options = @{
                path = @{ type = "str"; required = $true }
                name = @{ type = "str"; required = $true }
                type = @{ type = "str"; choices = @("string", "expandstring", "multistring", "dword", "qword", "binary"); default = "string" }
                data = @{ type = "raw" }
                state = @{ type = "str"; choices = @("present", "absent"); default = "present" }
            }
        }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changes = @()

$hives = @{
    "HKEY_LOCAL_MACHINE" = "HKLM:"; "HKLM" = "HKLM:"; "HKEY_CURRENT_USER" = "HKCU:"; "HKCU" = "HKCU:"
    "HKEY_CLASSES_ROOT" = "HKCR:"; "HKCR" = "HKCR:"; "HKEY_USERS" = "HKU:"; "HKU" = "HKU:"
    "HKEY_CURRENT_CONFIG" = "HKCC:"; "HKCC" = "HKCC:"
}
$kinds = @{
    string = "String"; expandstring = "ExpandString"; multistring = "MultiString"
    dword = "DWord"; qword = "QWord"; binary = "Binary"
}
# Keys are opened with the .NET registry API, not the registry provider: a key name may hold
# "/" ("Ciphers\RC4 128/128" under SCHANNEL), which the provider takes for a path separator,
# even with -LiteralPath. Only "\" separates keys (as ansible.windows.win_regedit does).
$hiveKeys = @{
    "HKLM:" = [Microsoft.Win32.Registry]::LocalMachine; "HKCU:" = [Microsoft.Win32.Registry]::CurrentUser
    "HKCR:" = [Microsoft.Win32.Registry]::ClassesRoot; "HKU:" = [Microsoft.Win32.Registry]::Users
    "HKCC:" = [Microsoft.Win32.Registry]::CurrentConfig
}

Function Open-Key {
    # The key at a "HKLM:\..." path, or $null when it does not exist (or, -Create, made).
    param([String]$Key, [Switch]$Writable, [Switch]$Create)
    $drive, $subKey = $Key.Split("\", 2)
    if ($Create) {
        return $hiveKeys[$drive].CreateSubKey($subKey)
    }
    return $hiveKeys[$drive].OpenSubKey($subKey, [bool]$Writable)
}

Function ConvertTo-KeyPath {
    param([String]$Path)
    $parts = $Path.Split("\", 2)
    $head = $parts[0].TrimEnd(":").ToUpperInvariant()
    if (-not $hives.ContainsKey($head)) {
        $module.FailJson("path: $Path is not a valid powershell path, see module documentation for examples.")
    }
    $rest = ""
    if ($parts.Count -gt 1) {
        $rest = $parts[1].TrimEnd("\")
    }
    return "$($hives[$head])\$rest"
}

Function ConvertTo-RegistryData {
    param([String]$Kind, $Data, [String]$Label)
    try {
        switch ($Kind) {
            { $_ -in @("dword", "qword") } {
                $text = ([String]$Data).Trim()
                if ($text.StartsWith("0x", [StringComparison]::OrdinalIgnoreCase)) {
                    $number = [Convert]::ToUInt64($text.Substring(2), 16)
                }
                else {
                    $number = [UInt64]::Parse($text)
                }
                if ($Kind -eq "dword") {
                    return [BitConverter]::ToInt32([BitConverter]::GetBytes([UInt32]$number), 0)
                }
                return [BitConverter]::ToInt64([BitConverter]::GetBytes($number), 0)
            }
            "multistring" {
                return , [String[]]@($Data | ForEach-Object { [String]$_ })
            }
            "binary" {
                if ($Data -is [String]) {
                    $Data = $Data.Split(",") | ForEach-Object { $_.Trim() } | Where-Object { $_ }
                }
                $bytes = @($Data | ForEach-Object {
                        if ($_ -is [String]) { [Convert]::ToByte($_.Replace("0x", ""), 16) } else { [Byte]$_ }
                    })
                return , [Byte[]]$bytes
            }
            default {
                return [String]$Data
            }
        }
    }
    catch {
        $module.FailJson("data $Data of $Label is not valid for the type $Kind", $_)
    }
}

Function Get-CurrentValue {
    param([String]$Key, [String]$Name)
    $item = Open-Key -Key $Key
    if ($null -eq $item) {
        return $null
    }
    try {
        if ($Name -notin $item.GetValueNames()) {
            return $null
        }
        $kind = $item.GetValueKind($Name).ToString()
        $data = $item.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
    }
    finally {
        $item.Dispose()
    }
    $typeName = ($kinds.GetEnumerator() | Where-Object { $_.Value -eq $kind } | Select-Object -First 1).Key
    if ($null -eq $typeName) {
        $typeName = $kind.ToLowerInvariant()
    }
    return @{ type = $typeName; data = $data }
}

Function Test-SameData {
    param($Current, [String]$Kind, $Data)
    if ($null -eq $Current -or $Current.type -ne $Kind) {
        return $false
    }
    if ($Kind -in @("multistring", "binary")) {
        $left = @($Current.data)
        $right = @($Data)
        if ($left.Count -ne $right.Count) {
            return $false
        }
        for ($i = 0; $i -lt $left.Count; $i++) {
            if ($left[$i] -cne $right[$i]) {
                return $false
            }
        }
        return $true
    }
    return $Current.data -ceq $Data
}

$seen = @{}
$plan = @()
foreach ($value in $module.Params.values) {
    $key = ConvertTo-KeyPath -Path $value.path
    $label = "$($value.path)\$($value.name)"
    $ident = "$($key.ToLowerInvariant())|$($value.name.ToLowerInvariant())"
    if ($seen.ContainsKey($ident)) {
        $module.FailJson("the value $label is listed twice")
    }
    $seen[$ident] = $true
    $wanted = $null
    if ($value.state -eq "present") {
        if ($null -eq $value.data) {
            $module.FailJson("data is required to set $label")
        }
        $wanted = @{ type = $value.type; data = (ConvertTo-RegistryData -Kind $value.type -Data $value.data -Label $label) }
    }
    $plan += , @{ key = $key; name = $value.name; wanted = $wanted }
}

$diffBefore = @{}
$diffAfter = @{}
foreach ($item in $plan) {
    $current = Get-CurrentValue -Key $item.key -Name $item.name
    $wanted = $item.wanted
    if ($null -eq $wanted) {
        if ($null -eq $current) {
            continue
        }
    }
    elseif (Test-SameData -Current $current -Kind $wanted.type -Data $wanted.data) {
        continue
    }
    $module.Result.changes += , @{ path = $item.key; name = $item.name; before = $current; after = $wanted }
    if ($null -ne $current) {
        $diffBefore["$($item.key)\$($item.name)"] = $current
    }
    if ($null -ne $wanted) {
        $diffAfter["$($item.key)\$($item.name)"] = $wanted
    }
    $module.Result.changed = $true
    if ($module.CheckMode) {
        continue
    }
    try {
        if ($null -eq $wanted) {
            $open = Open-Key -Key $item.key -Writable
            try {
                $open.DeleteValue($item.name, $false)
            }
            finally {
                $open.Dispose()
            }
        }
        else {
            $open = Open-Key -Key $item.key -Create
            try {
                $open.SetValue($item.name, $wanted.data, [Microsoft.Win32.RegistryValueKind]$kinds[$wanted.type])
            }
            finally {
                $open.Dispose()
            }
        }
    }
    catch {
        $module.FailJson("failed to set $($item.key)\$($item.name): $($_.Exception.Message)", $_)
    }
}
if ($module.Result.changed) {
    $module.Diff.before = $diffBefore
    $module.Diff.after = $diffAfter
}
$module.ExitJson()
