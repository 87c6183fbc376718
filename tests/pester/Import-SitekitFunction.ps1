# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Pester tests need the functions of the kit's scripts without running the scripts: the
# backup job's body would connect to SQL Server. This returns the named function
# definitions, found with PowerShell's own parser, for the test to dot-source.

Function Get-SitekitFunctionDefinition {
    <#
    .SYNOPSIS
    The source text of the named functions in a script (a .ps1, .psm1 or .ps1.j2 template).
    #>
    param(
        [Parameter(Mandatory = $true)][String]$Path,
        [Parameter(Mandatory = $true)][String[]]$Name
    )
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
    if ($errors.Count -gt 0) {
        throw "$Path does not parse: $($errors[0].Message)"
    }
    $found = $ast.FindAll({
            param($node)
            $node -is [System.Management.Automation.Language.FunctionDefinitionAst]
        }, $true) | Where-Object { $Name -contains $_.Name }
    $missing = @($Name | Where-Object { @($found.Name) -notcontains $_ })
    if ($missing.Count -gt 0) {
        throw "$Path defines no function $($missing -join ', ')"
    }
    return @($found | ForEach-Object { $_.Extent.Text }) -join "`n`n"
}

Function Get-SitekitVector {
    <#
    .SYNOPSIS
    The cases of a shared test vector file (tests/data/vectors/<name>.json), which the Python
    tests of the same rule read too.
    #>
    param([Parameter(Mandatory = $true)][String]$Name)
    $file = Join-Path -Path $PSScriptRoot -ChildPath "../data/vectors/$Name.json"
    return (Get-Content -LiteralPath $file -Raw -Encoding UTF8 | ConvertFrom-Json).cases
}
