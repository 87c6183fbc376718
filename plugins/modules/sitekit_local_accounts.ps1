#!powershell

# A user plan's local users and groups in one call; see sitekit_local_accounts.py.
# The module reads every local account once, works out every change on that copy (so
# check mode reports exactly what a real run does), then applies the changes.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        users = @{
            type = "list"
            elements = "dict"
            default = @()
            options = @{
                name = @{ type = "str"; required = $true }
                fullname = @{ type = "str" }
                password = @{ type = "str"; no_log = $true }
                state = @{ type = "str"; choices = @("present", "absent"); default = "present" }
            }
        }
        groups = @{
            type = "list"
            elements = "dict"
            default = @()
            options = @{
                name = @{ type = "str"; required = $true }
                description = @{ type = "str" }
                members = @{ type = "list"; elements = "str" }
                member_of = @{ type = "list"; elements = "str"; default = @() }
                state = @{ type = "str"; choices = @("present", "absent"); default = "present" }
            }
        }
        initial_password = @{ type = "str"; no_log = $true }
        managed_description = @{ type = "str"; default = "Managed by sitekit" }
        unlisted_users = @{ type = "str"; choices = @("disable", "remove", "keep"); default = "disable" }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)

$ADS_UF_ACCOUNTDISABLE = 0x0002
# ERROR_MEMBER_IN_ALIAS: the account is already a member of the group.
$E_MEMBER_IN_ALIAS = -2147023774
# Built-in groups by SID: their names are localised ("Administratoren", "Benutzer"), so the
# English names a plan uses are mapped to the SID and the SID to this host's name.
# https://learn.microsoft.com/en-us/windows/win32/secauthz/well-known-sids
$builtinSids = @{
    "administrators" = "S-1-5-32-544"; "users" = "S-1-5-32-545"; "guests" = "S-1-5-32-546"
    "power users" = "S-1-5-32-547"; "backup operators" = "S-1-5-32-551"
    "remote desktop users" = "S-1-5-32-555"; "remote management users" = "S-1-5-32-580"
}
$usersSid = "S-1-5-32-545"
$computerName = $env:COMPUTERNAME
$adsi = [ADSI]"WinNT://$computerName"
$marker = $module.Params.managed_description
$resultLists = @("users_created", "users_updated", "users_disabled", "users_removed", "groups_created",
    "groups_updated", "groups_removed", "members_added", "members_removed")
foreach ($key in $resultLists) {
    $module.Result.$key = [System.Collections.ArrayList]@()
}
# Changes to make, in order, once the whole plan is known.
$actions = [System.Collections.ArrayList]@()

Function ConvertTo-MemberName {
    # An ADsPath as the module names members: local accounts by name, others DOMAIN\name,
    # an orphaned SID (its account deleted) as the SID, WinNT://S-1-5-21-...
    param([String]$AdsPath)
    $parts = $AdsPath.Replace("WinNT://", "").Split("/")
    if ($parts.Count -ge 2 -and $parts[$parts.Count - 2] -eq $computerName) {
        return $parts[$parts.Count - 1]
    }
    if ($parts.Count -ge 2) {
        return "$($parts[$parts.Count - 2])\$($parts[$parts.Count - 1])"
    }
    return $parts[0]
}

# The local accounts as they are: name -> record (hashtables compare keys case-insensitively).
$users = @{}
$groups = @{}
foreach ($child in $adsi.Children) {
    if ($child.SchemaClassName -eq "User") {
        $name = [String]$child.Name.Value
        $users[$name] = @{
            name = $name
            fullname = [String]$child.FullName.Value
            description = [String]$child.Description.Value
            enabled = -not ([int]$child.UserFlags.Value -band $ADS_UF_ACCOUNTDISABLE)
        }
    }
    elseif ($child.SchemaClassName -eq "Group") {
        $name = [String]$child.Name.Value
        $members = [System.Collections.ArrayList]@()
        foreach ($raw in $child.PSBase.Invoke("Members")) {
            $path = ([ADSI]$raw).InvokeGet("ADsPath")
            $null = $members.Add((ConvertTo-MemberName -AdsPath $path))
        }
        $sid = (New-Object -TypeName System.Security.Principal.SecurityIdentifier -ArgumentList ([byte[]]$child.objectSid.Value), 0).Value
        $groups[$name] = @{ name = $name; sid = $sid; description = [String]$child.Description.Value; members = $members }
    }
}

Function Get-Summary {
    param([Hashtable]$Users, [Hashtable]$Groups, [String[]]$UserNames, [String[]]$GroupNames)
    $summary = @{ users = @{}; groups = @{} }
    foreach ($name in ($UserNames | Sort-Object -Unique)) {
        if ($Users.ContainsKey($name)) {
            $summary.users[$name] = @{ fullname = $Users[$name].fullname; enabled = $Users[$name].enabled }
        }
    }
    foreach ($name in ($GroupNames | Sort-Object -Unique)) {
        if ($Groups.ContainsKey($name)) {
            $summary.groups[$name] = @($Groups[$name].members | Sort-Object)
        }
    }
    return $summary
}

Function Copy-Accounts {
    param([Hashtable]$Table)
    $copy = @{}
    foreach ($entry in $Table.GetEnumerator()) {
        $record = @{}
        foreach ($field in $entry.Value.GetEnumerator()) {
            if ($field.Value -is [System.Collections.ArrayList]) {
                $record[$field.Key] = [System.Collections.ArrayList]@($field.Value)
            }
            else {
                $record[$field.Key] = $field.Value
            }
        }
        $copy[$entry.Key] = $record
    }
    return $copy
}

$usersBefore = Copy-Accounts -Table $users
$groupsBefore = Copy-Accounts -Table $groups

Function Resolve-Member {
    # The member name of an account: a local user or group, or DOMAIN\name of another principal.
    param([String]$Name)
    $local = $Name
    foreach ($prefix in @(".\", "$computerName\")) {
        if ($local.StartsWith($prefix, [StringComparison]::OrdinalIgnoreCase)) {
            $local = $local.Substring($prefix.Length)
        }
    }
    if ($users.ContainsKey($local)) {
        return $users[$local].name
    }
    if ($groups.ContainsKey($local)) {
        return $groups[$local].name
    }
    try {
        $sid = (New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $Name).Translate([System.Security.Principal.SecurityIdentifier])
        return $sid.Translate([System.Security.Principal.NTAccount]).Value
    }
    catch {
        $module.FailJson("account_name $Name is not a valid account, cannot get SID")
    }
}

Function Resolve-Group {
    # The local name of a group given by name, by SID, or by a built-in group's English name.
    param([String]$Name)
    $sid = $null
    if ($Name -match '^S-1-\d+(-\d+)+$') {
        $sid = $Name.ToUpperInvariant()
    }
    elseif ($builtinSids.ContainsKey($Name.ToLowerInvariant())) {
        $sid = $builtinSids[$Name.ToLowerInvariant()]
    }
    if ($null -ne $sid) {
        foreach ($group in $groups.Values) {
            if ($group.sid -eq $sid) {
                return $group.name
            }
        }
        $module.FailJson("group '$Name' ($sid) not found")
    }
    if (-not $groups.ContainsKey($Name)) {
        $module.FailJson("group '$Name' not found")
    }
    return $groups[$Name].name
}

Function Get-MemberPath {
    param([String]$Member)
    if ($users.ContainsKey($Member) -or $groups.ContainsKey($Member)) {
        return "WinNT://$computerName/$Member"
    }
    if ($Member -match '^S-1-\d+(-\d+)+$') {
        # An orphaned SID has no name to translate: bind it by SID.
        return "WinNT://$Member"
    }
    $sid = (New-Object -TypeName System.Security.Principal.NTAccount -ArgumentList $Member).Translate([System.Security.Principal.SecurityIdentifier])
    return "WinNT://$($sid.Value)"
}

Function Remove-FromAllGroups {
    param([String]$Name)
    foreach ($group in $groups.Values) {
        while ($group.members -contains $Name) {
            $group.members.Remove(($group.members | Where-Object { $_ -eq $Name } | Select-Object -First 1))
        }
    }
}

Function Set-Members {
    # Add the wanted members; remove those of the removable ones that are not wanted.
    param([String]$Group, [String[]]$Wanted, [String[]]$Removable)
    $record = $groups[$Group]
    foreach ($member in @($record.members)) {
        if ($Removable -contains $member -and $Wanted -notcontains $member) {
            $record.members.Remove($member)
            $null = $module.Result.members_removed.Add(@{ group = $record.name; member = $member })
            $null = $actions.Add(@{ action = "remove_member"; group = $record.name; member = $member })
        }
    }
    foreach ($member in $Wanted) {
        if ($record.members -notcontains $member) {
            $null = $record.members.Add($member)
            $null = $module.Result.members_added.Add(@{ group = $record.name; member = $member })
            $null = $actions.Add(@{ action = "add_member"; group = $record.name; member = $member })
        }
    }
}

# Users.
$listed = [System.Collections.ArrayList]@()
$gone = @($module.Params.users | Where-Object { $_.state -eq "absent" } | ForEach-Object { $_.name })
foreach ($user in $module.Params.users) {
    $name = $user.name
    if ($name.Length -gt 20) {
        $module.FailJson("The user name '$name' is longer than 20 characters")
    }
    if ($user.state -eq "absent") {
        if ($users.ContainsKey($name)) {
            $name = $users[$name].name
            $users.Remove($name)
            Remove-FromAllGroups -Name $name
            $null = $module.Result.users_removed.Add($name)
            $null = $actions.Add(@{ action = "remove_user"; name = $name })
        }
        continue
    }
    if (-not $users.ContainsKey($name)) {
        $password = $user.password
        if (-not $password) {
            $password = $module.Params.initial_password
        }
        if (-not $password) {
            $module.FailJson("user '$name' does not exist: set its password or initial_password to create it")
        }
        $fullname = ""
        if ($null -ne $user.fullname) {
            $fullname = $user.fullname
        }
        $users[$name] = @{ name = $name; fullname = $fullname; description = $marker; enabled = $true }
        # Windows puts a new account in Users by itself: adding it again would fail.
        foreach ($group in $groups.Values) {
            if ($group.sid -eq $usersSid) {
                $null = $group.members.Add($name)
            }
        }
        $null = $module.Result.users_created.Add($name)
        $null = $actions.Add(@{ action = "create_user"; name = $name; fullname = $fullname; password = $password })
    }
    else {
        $record = $users[$name]
        $name = $record.name
        $fullname = $record.fullname
        if ($null -ne $user.fullname) {
            $fullname = $user.fullname
        }
        if ($record.fullname -cne $fullname -or $record.description -cne $marker -or -not $record.enabled) {
            $record.fullname = $fullname
            $record.description = $marker
            $record.enabled = $true
            $null = $module.Result.users_updated.Add($name)
            $null = $actions.Add(@{ action = "update_user"; name = $name; fullname = $fullname })
        }
    }
    $null = $listed.Add($name)
}
foreach ($record in @($users.Values)) {
    if ($record.description -cne $marker -or $listed -contains $record.name -or $gone -contains $record.name) {
        continue
    }
    if ($module.Params.unlisted_users -eq "remove") {
        $users.Remove($record.name)
        Remove-FromAllGroups -Name $record.name
        $null = $module.Result.users_removed.Add($record.name)
        $null = $actions.Add(@{ action = "remove_user"; name = $record.name })
    }
    elseif ($module.Params.unlisted_users -eq "disable" -and $record.enabled) {
        $record.enabled = $false
        $null = $module.Result.users_disabled.Add($record.name)
        $null = $actions.Add(@{ action = "disable_user"; name = $record.name })
    }
}
$managed = @($listed)
if ($module.Params.unlisted_users -ne "keep") {
    $managed += @($users.Values | Where-Object { $_.description -ceq $marker } | ForEach-Object { $_.name })
}

# Groups, with exact members where given.
foreach ($group in $module.Params.groups) {
    $name = $group.name
    if ($group.state -eq "absent") {
        if ($groups.ContainsKey($name)) {
            $name = $groups[$name].name
            $groups.Remove($name)
            $null = $module.Result.groups_removed.Add($name)
            $null = $actions.Add(@{ action = "remove_group"; name = $name })
        }
        continue
    }
    if (-not $groups.ContainsKey($name)) {
        $description = ""
        if ($null -ne $group.description) {
            $description = $group.description
        }
        $groups[$name] = @{ name = $name; description = $description; members = [System.Collections.ArrayList]@() }
        $null = $module.Result.groups_created.Add($name)
        $null = $actions.Add(@{ action = "create_group"; name = $name; description = $description })
    }
    elseif ($null -ne $group.description -and $groups[$name].description -cne $group.description) {
        $groups[$name].description = $group.description
        $null = $module.Result.groups_updated.Add($groups[$name].name)
        $null = $actions.Add(@{ action = "update_group"; name = $groups[$name].name; description = $group.description })
    }
    if ($null -ne $group.members) {
        $wanted = @($group.members | ForEach-Object { Resolve-Member -Name $_ } | Select-Object -Unique)
        Set-Members -Group $name -Wanted $wanted -Removable @($groups[$name].members)
    }
}

# member_of: local groups cannot hold local groups, so members join the target directly.
$targets = [Ordered]@{}
foreach ($group in $module.Params.groups) {
    if ($group.state -eq "absent" -or $group.member_of.Count -eq 0) {
        continue
    }
    foreach ($target in $group.member_of) {
        $key = Resolve-Group -Name $target
        if (-not $targets.Contains($key)) {
            $targets[$key] = [System.Collections.ArrayList]@()
        }
        foreach ($member in $groups[$group.name].members) {
            if ($targets[$key] -notcontains $member) {
                $null = $targets[$key].Add($member)
            }
        }
    }
}
foreach ($key in @($targets.Keys)) {
    $removable = @($groups[$key].members | Where-Object { $managed -contains $_ })
    Set-Members -Group $key -Wanted @($targets[$key]) -Removable $removable
}

$touchedUsers = @()
$touchedGroups = @()
foreach ($key in $resultLists) {
    foreach ($item in $module.Result.$key) {
        if ($key -like "users_*") {
            $touchedUsers += $item
        }
        elseif ($key -like "groups_*") {
            $touchedGroups += $item
        }
        else {
            $touchedGroups += $item.group
        }
    }
}
if ($actions.Count -gt 0) {
    $module.Result.changed = $true
    $module.Diff.before = Get-Summary -Users $usersBefore -Groups $groupsBefore -UserNames $touchedUsers -GroupNames $touchedGroups
    $module.Diff.after = Get-Summary -Users $users -Groups $groups -UserNames $touchedUsers -GroupNames $touchedGroups
}

if (-not $module.CheckMode) {
    foreach ($action in $actions) {
        try {
            switch ($action.action) {
                "create_user" {
                    $entry = $adsi.Create("User", $action.name)
                    $entry.SetPassword($action.password)
                    $entry.SetInfo()
                    $entry.FullName = $action.fullname
                    $entry.Description = $marker
                    # Must change the initial password at the first logon.
                    $entry.PasswordExpired = 1
                    $entry.SetInfo()
                }
                "update_user" {
                    $entry = $adsi.Children.Find($action.name, "User")
                    $entry.FullName = $action.fullname
                    $entry.Description = $marker
                    $entry.UserFlags = [int]$entry.UserFlags.Value -band (-bnot $ADS_UF_ACCOUNTDISABLE)
                    $entry.SetInfo()
                }
                "disable_user" {
                    $entry = $adsi.Children.Find($action.name, "User")
                    $entry.UserFlags = [int]$entry.UserFlags.Value -bor $ADS_UF_ACCOUNTDISABLE
                    $entry.SetInfo()
                }
                "remove_user" {
                    $adsi.Delete("User", $action.name)
                }
                "create_group" {
                    $entry = $adsi.Create("Group", $action.name)
                    $entry.SetInfo()
                    $entry.Description = $action.description
                    $entry.SetInfo()
                }
                "update_group" {
                    $entry = $adsi.Children.Find($action.name, "Group")
                    $entry.Description = $action.description
                    $entry.SetInfo()
                }
                "remove_group" {
                    $adsi.Delete("Group", $action.name)
                }
                "add_member" {
                    $entry = $adsi.Children.Find($action.group, "Group")
                    try {
                        $entry.PSBase.Invoke("Add", (Get-MemberPath -Member $action.member))
                    }
                    catch {
                        # Already a member (as a new account is of Users) is what we want.
                        $inner = $_.Exception.InnerException
                        if ($null -eq $inner -or $inner.HResult -ne $E_MEMBER_IN_ALIAS) {
                            throw
                        }
                    }
                }
                "remove_member" {
                    $entry = $adsi.Children.Find($action.group, "Group")
                    $entry.PSBase.Invoke("Remove", (Get-MemberPath -Member $action.member))
                }
            }
        }
        catch {
            $target = $action.name
            if ($null -eq $target) {
                $target = "$($action.group) <- $($action.member)"
            }
            $module.FailJson("failed to $($action.action.Replace('_', ' ')) $($target): $($_.Exception.Message)", $_)
        }
    }
}
$module.ExitJson()
