#!powershell

# Exactly these access rules on folders, many in one call; see sitekit_acl.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        paths = @{ type = "list"; elements = "str"; required = $true }
        rules = @{
            type = "list"
            elements = "dict"
            required = $true
            options = @{
                principal = @{ type = "str"; required = $true }
                rights = @{ type = "str"; required = $true; choices = @("FullControl", "Modify", "ReadAndExecute", "Read", "Write") }
                type = @{ type = "str"; choices = @("allow", "deny"); default = "allow" }
            }
        }
        inherit_parent = @{ type = "bool"; default = $false }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed_paths = @()
$protect = -not $module.Params.inherit_parent
$inheritance = [Security.AccessControl.InheritanceFlags]"ContainerInherit, ObjectInherit"
$propagation = [Security.AccessControl.PropagationFlags]::None
# Read back, a rule's rights carry Synchronize, which Windows adds to every allow rule.
$synchronize = [int][Security.AccessControl.FileSystemRights]::Synchronize

Function ConvertTo-Sid {
    param([String]$Principal)
    try {
        if ($Principal -match '^S-1-\d+(-\d+)+$') {
            return New-Object -TypeName Security.Principal.SecurityIdentifier -ArgumentList $Principal
        }
        return (New-Object -TypeName Security.Principal.NTAccount -ArgumentList $Principal).Translate([Security.Principal.SecurityIdentifier])
    }
    catch {
        $module.FailJson("principal $Principal is not an account this host knows (a SID, or a name it can translate): $($_.Exception.Message)", $_)
    }
}

Function Get-RuleText {
    # One rule as text to compare: SID, rights without Synchronize, allow/deny, inheritance.
    param([String]$Sid, [int]$Rights, [String]$Type, [String]$Flags)
    return "$Sid|$($Rights -band -bnot $synchronize)|$($Type.ToLowerInvariant())|$Flags"
}

$wanted = @()
$wantedText = @()
foreach ($rule in $module.Params.rules) {
    $sid = ConvertTo-Sid -Principal $rule.principal
    $rights = [Security.AccessControl.FileSystemRights]$rule.rights
    $type = [Security.AccessControl.AccessControlType]$rule.type
    $wanted += , (New-Object -TypeName Security.AccessControl.FileSystemAccessRule -ArgumentList $sid, $rights, $inheritance, $propagation, $type)
    $wantedText += Get-RuleText -Sid $sid.Value -Rights ([int]$rights) -Type "$type" -Flags "$inheritance|$propagation"
}
$wantedText = @($wantedText | Sort-Object -Unique)

$diffBefore = @{}
$diffAfter = @{}
foreach ($path in $module.Params.paths) {
    if (-not (Test-Path -LiteralPath $path -PathType Container)) {
        if (-not $module.CheckMode) {
            $module.FailJson("the folder $path does not exist: create it first")
        }
        # In check mode a folder an earlier task would create does not exist yet.
        $module.Result.changed_paths += $path
        continue
    }
    $acl = Get-Acl -LiteralPath $path
    $current = @($acl.GetAccessRules($true, $false, [Security.Principal.SecurityIdentifier]) | ForEach-Object {
            Get-RuleText -Sid $_.IdentityReference.Value -Rights ([int]$_.FileSystemRights) -Type "$($_.AccessControlType)" -Flags "$($_.InheritanceFlags)|$($_.PropagationFlags)"
        } | Sort-Object -Unique)
    $same = $acl.AreAccessRulesProtected -eq $protect -and ($current -join ";") -ceq ($wantedText -join ";")
    if ($same) {
        continue
    }
    $module.Result.changed_paths += $path
    $diffBefore[$path] = @{ protected = $acl.AreAccessRulesProtected; rules = $current }
    $diffAfter[$path] = @{ protected = $protect; rules = $wantedText }
    if ($module.CheckMode) {
        continue
    }
    try {
        $new = New-Object -TypeName Security.AccessControl.DirectorySecurity
        $new.SetAccessRuleProtection($protect, $false)
        foreach ($rule in $wanted) {
            $new.AddAccessRule($rule)
        }
        # Only the access list is written: the owner and audit rules stay as they are.
        (Get-Item -LiteralPath $path).SetAccessControl($new)
    }
    catch {
        $module.FailJson("failed to set the access rules of $($path): $($_.Exception.Message)", $_)
    }
}
if ($module.Result.changed_paths.Count -gt 0) {
    $module.Result.changed = $true
    $module.Diff.before = $diffBefore
    $module.Diff.after = $diffAfter
}
$module.ExitJson()
