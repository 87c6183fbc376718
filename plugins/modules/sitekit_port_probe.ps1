#!powershell

# Many TCP ports probed at once; see sitekit_port_probe.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        probes = @{
            type = "list"
            elements = "dict"
            required = $true
            options = @{
                host = @{ type = "str"; required = $true }
                port = @{ type = "int"; required = $true }
            }
        }
        connect_timeout = @{ type = "int"; default = 2 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
# A negative timeout would put the deadline in the past: every probe would report
# "no answer" without having waited, so it is refused.
if ($module.Params.connect_timeout -lt 0) {
    $module.FailJson("connect_timeout must be 0 or more, not $($module.Params.connect_timeout)")
}

# Every connect starts before any is waited for, so the probes share one timeout: an
# unanswered connect (a firewall's drop) costs connect_timeout once, not once per port.
$started = foreach ($probe in $module.Params.probes) {
    $client = New-Object -TypeName System.Net.Sockets.TcpClient
    $pending = $null
    $problem = $null
    try {
        $pending = $client.BeginConnect($probe.host, $probe.port, $null, $null)
    }
    catch {
        $problem = $_.Exception.Message
    }
    [PSCustomObject]@{ Probe = $probe; Client = $client; Pending = $pending; Problem = $problem }
}
$deadline = [DateTime]::UtcNow.AddSeconds($module.Params.connect_timeout)
$module.Result.probes = @(
    foreach ($entry in $started) {
        $open = $false
        $problem = $entry.Problem
        if ($null -ne $entry.Pending) {
            $left = [Math]::Max(0, [int]($deadline - [DateTime]::UtcNow).TotalMilliseconds)
            if ($entry.Pending.AsyncWaitHandle.WaitOne($left, $false)) {
                try {
                    $entry.Client.EndConnect($entry.Pending)
                    $open = $true
                }
                catch {
                    $problem = $_.Exception.InnerException.Message
                }
            }
            else {
                $problem = "no answer within $($module.Params.connect_timeout) s"
            }
        }
        $entry.Client.Close()
        @{ host = $entry.Probe.host; port = $entry.Probe.port; open = $open; error = $problem }
    }
)
$module.ExitJson()
