# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# The account-policy rules of Ansible.ModuleUtils.SitekitSecurityPolicy (which
# sitekit_account_policy and sitekit_facts load) against the shared vectors that also drive
# the lab twin's Python tests (tests/unit/test_twins.py). Only the pure functions run here:
# secedit itself is Windows' own.
# Run with Pester 5 on Windows PowerShell 5.1 or PowerShell 7: Invoke-Pester tests/pester

BeforeDiscovery {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'Import-SitekitFunction.ps1')
    $cases = @(Get-SitekitVector -Name 'account_policy' | ForEach-Object { @{ name = $_.name; case = $_ } })
}

BeforeAll {
    . (Join-Path -Path $PSScriptRoot -ChildPath 'Import-SitekitFunction.ps1')
    Import-Module -Name (Join-Path -Path $PSScriptRoot -ChildPath '../../plugins/module_utils/Ansible.ModuleUtils.SitekitSecurityPolicy.psm1') -Force

    Function ConvertTo-Hashtable {
        # ConvertFrom-Json gives objects; the util takes hashtables, as the module hands it.
        param($Object)
        $table = @{}
        if ($null -ne $Object) {
            foreach ($property in $Object.PSObject.Properties) {
                $table[$property.Name] = $property.Value
            }
        }
        return $table
    }
}

Describe 'Ansible.ModuleUtils.SitekitSecurityPolicy' {
    It '<name>' -ForEach $cases {
        $policy = ConvertTo-Hashtable -Object $case.policy
        $options = ConvertTo-Hashtable -Object $case.options
        if ($case.error) {
            { Get-SitekitAccountPolicyChange -Policy $policy -Options $options } | Should -Throw -ExpectedMessage "*$($case.error)*"
            return
        }
        $before = ConvertTo-SitekitAccountPolicy -Policy $policy
        foreach ($entry in (ConvertTo-Hashtable -Object $case.before).GetEnumerator()) {
            $before[$entry.Key] | Should -Be $entry.Value -Because "before: $($entry.Key)"
        }
        $section = Get-SitekitAccountPolicyChange -Policy $policy -Options $options
        $after = ConvertTo-SitekitAccountPolicy -Policy $section
        foreach ($entry in (ConvertTo-Hashtable -Object $case.after).GetEnumerator()) {
            $after[$entry.Key] | Should -Be $entry.Value -Because "after: $($entry.Key)"
        }
        foreach ($entry in (ConvertTo-Hashtable -Object $case.section).GetEnumerator()) {
            $section[$entry.Key] | Should -Be $entry.Value -Because "section: $($entry.Key)"
        }
        foreach ($subset in @('password_policy', 'lockout_policy')) {
            $fact = Get-SitekitAccountPolicyFact -Policy $policy -Subset $subset
            foreach ($entry in (ConvertTo-Hashtable -Object $case.facts.$subset).GetEnumerator()) {
                $fact[$entry.Key] | Should -Be $entry.Value -Because "$subset.$($entry.Key)"
            }
        }
    }
}
