<#
.SYNOPSIS
    Hands an OSD trigger to uda-agent from a Configuration Manager task sequence.

.DESCRIPTION
    Run it as a "Run PowerShell Script" step after "Setup Windows and ConfigMgr"
    (or at the end of the task sequence). It reads the device name and the
    chosen user(s) from task sequence variables and posts one trigger per user
    to the uda-agent HTTP API:

        POST <AgentUrl>/v1/triggers   Authorization: Bearer <token>

    The agent answers 202 only once the triggers are durably stored; its rules
    then decide (by default: primary user with SourceId 6, OSD).

    Reliability:
      * One key per run (kept in the task sequence variable UdaTriggerKey), sent
        as Idempotency-Key and used for the trigger ids: a retried or re-run
        step never creates a second trigger.
      * Connection failures, 429, 502, 503 and 504 are retried with full-jitter
        backoff until -TimeoutSeconds; other errors fail the step at once.
      * With -SpoolPath, a trigger that could not be posted is written to the
        agent's spool folder (inbox\ on a share) instead, under a temporary name
        and then renamed, so the agent never reads half a file.

    Without a task sequence (testing), give -MachineName and -User.

.PARAMETER AgentUrl
    The agent's API, e.g. https://sccm01.contoso.com:8700 (the CA that issued its
    certificate must be trusted: import it into the boot image for WinPE).

.PARAMETER Token
    The API token (from `uda-agent token new --name osd-task-sequence --kinds osd`).
    Prefer -TokenVariable: a hidden task sequence variable holding the token.

.PARAMETER TokenVariable
    Name of the task sequence variable that holds the token (default UdaAgentToken).

.PARAMETER User
    DOMAIN\user or UPN; several separated by commas. Default: SMSTSUdaUsers.

.PARAMETER MachineName
    Default: _SMSTSMachineName, then OSDComputerName, then $env:COMPUTERNAME.

.PARAMETER ResourceId
    SMS_R_System.ResourceID when known (the agent otherwise resolves the name).

.PARAMETER SpoolPath
    The agent's spool folder (the one holding inbox\), e.g. \\sccm01\UdaSpool$.

.PARAMETER SpoolOnly
    Do not try HTTP; write the spool file directly.

.PARAMETER TimeoutSeconds
    Total time to keep retrying HTTP (default 300).

.EXAMPLE
    Submit-UdaTrigger.ps1 -AgentUrl https://sccm01.contoso.com:8700 -SpoolPath \\sccm01\UdaSpool$

.EXAMPLE
    Submit-UdaTrigger.ps1 -AgentUrl http://127.0.0.1:8700 -MachineName WKS-0001 -User 'CONTOSO\jdoe' -Token $t

.NOTES
    Exit codes: 0 accepted (HTTP 202 or spool file written), 1 refused by the
    agent (bad input, token, kind), 2 could not be delivered, 3 bad parameters.
    Log: _SMSTSLogPath\Submit-UdaTrigger.log (or %TEMP%), one line per event;
    the token is never logged.
#>
[CmdletBinding()]
param(
    [string]$AgentUrl,
    [string]$Token,
    [string]$TokenVariable = 'UdaAgentToken',
    [string]$User,
    [string]$MachineName,
    [Nullable[UInt32]]$ResourceId,
    [string]$SpoolPath,
    [switch]$SpoolOnly,
    [ValidateRange(1, 3600)][int]$TimeoutSeconds = 300
)

Set-StrictMode -Version 2
$ErrorActionPreference = 'Stop'

# --- task sequence environment (absent when run by hand) ---------------------
$tsenv = $null
try { $tsenv = New-Object -ComObject Microsoft.SMS.TSEnvironment } catch { $tsenv = $null }

function Get-TsVariable([string]$Name) {
    if ($null -eq $tsenv) { return $null }
    $v = $tsenv.Value($Name)
    if ([string]::IsNullOrWhiteSpace($v)) { return $null }
    return $v
}

$logDir = Get-TsVariable '_SMSTSLogPath'
if (-not $logDir) { $logDir = $env:TEMP }
$logFile = Join-Path $logDir 'Submit-UdaTrigger.log'

function Write-Log([string]$Message, [string]$Level = 'info') {
    $line = '{0} {1,-5} {2}' -f (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ'), $Level, $Message
    try { Add-Content -LiteralPath $logFile -Value $line -Encoding UTF8 } catch { }
    Write-Host $line
}

# --- inputs -------------------------------------------------------------------
if (-not $MachineName) { $MachineName = Get-TsVariable '_SMSTSMachineName' }
if (-not $MachineName) { $MachineName = Get-TsVariable 'OSDComputerName' }
if (-not $MachineName) { $MachineName = $env:COMPUTERNAME }
if (-not $User) { $User = Get-TsVariable 'SMSTSUdaUsers' }
if (-not $Token -and $TokenVariable) { $Token = Get-TsVariable $TokenVariable }

$users = @()
if ($User) { $users = @($User -split ',' | ForEach-Object { $_.Trim() } | Where-Object { $_ }) }
if ($users.Count -eq 0) {
    Write-Log 'no user: give -User or set SMSTSUdaUsers (DOMAIN\user, comma-separated)' 'error'
    exit 3
}
foreach ($u in $users) {
    if ($u -notmatch '^[^\\@\s]+\\[^\\@\s]+$' -and $u -notmatch '^[^\\@\s]+@[^\\@\s]+$') {
        Write-Log "user '$u' is neither DOMAIN\user nor a UPN" 'error'
        exit 3
    }
}
if (-not $MachineName) { Write-Log 'no machine name: give -MachineName' 'error'; exit 3 }
if (-not $SpoolOnly -and -not $AgentUrl) { Write-Log 'give -AgentUrl (or -SpoolPath with -SpoolOnly)' 'error'; exit 3 }
if ($SpoolOnly -and -not $SpoolPath) { Write-Log '-SpoolOnly needs -SpoolPath' 'error'; exit 3 }

# One key per run, kept across step retries in a task sequence variable.
$key = Get-TsVariable 'UdaTriggerKey'
if (-not $key) {
    $key = [guid]::NewGuid().ToString()
    if ($null -ne $tsenv) { $tsenv.Value('UdaTriggerKey') = $key }
}

$attributes = [ordered]@{}
foreach ($pair in @(
        @('ts.name', '_SMSTSPackageName'), @('ts.package_id', '_SMSTSPackageID'),
        @('ts.deployment_id', '_SMSTSAdvertID'), @('ts.site_code', '_SMSTSSiteCode'),
        @('ts.launch_mode', '_SMSTSLaunchMode'), @('client.guid', '_SMSTSClientGUID'))) {
    $v = Get-TsVariable $pair[1]
    if ($v) { $attributes[$pair[0]] = $v }
}

$triggers = @()
for ($i = 0; $i -lt $users.Count; $i++) {
    $machine = [ordered]@{ name = $MachineName }
    if ($null -ne $ResourceId) { $machine['resource_id'] = [uint32]$ResourceId }
    $triggers += [ordered]@{
        id         = "osd-$key-$i"
        kind       = 'osd'
        machine    = $machine
        user       = $users[$i]
        attributes = $attributes
    }
}
# Always an array (ConvertTo-Json would unwrap a single element).
$body = '[' + (($triggers | ForEach-Object { ConvertTo-Json -InputObject $_ -Depth 5 -Compress }) -join ',') + ']'
Write-Log ("machine={0} users={1} key={2} triggers={3}" -f $MachineName, ($users -join ','), $key, $triggers.Count)

# --- HTTP ------------------------------------------------------------------------
function Send-Triggers {
    [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
    $uri = $AgentUrl.TrimEnd('/') + '/v1/triggers'
    $headers = @{ 'Idempotency-Key' = $key }
    if ($Token) { $headers['Authorization'] = "Bearer $Token" }
    $deadline = (Get-Date).AddSeconds($TimeoutSeconds)
    $ceilingMs = 500
    $attempt = 0
    while ($true) {
        $attempt++
        $status = 0
        $answer = $null
        try {
            $response = Invoke-WebRequest -Uri $uri -Method Post -Headers $headers -Body ([Text.Encoding]::UTF8.GetBytes($body)) `
                -ContentType 'application/json' -UseBasicParsing -TimeoutSec 30
            $status = [int]$response.StatusCode
            $answer = $response.Content
        } catch [System.Net.WebException] {
            $r = $_.Exception.Response
            if ($null -ne $r) {
                $status = [int]$r.StatusCode
                try { $answer = (New-Object IO.StreamReader($r.GetResponseStream())).ReadToEnd() } catch { }
            } else {
                $answer = $_.Exception.Message
            }
        }
        if ($status -eq 202) {
            Write-Log "accepted by $uri (attempt $attempt): $answer"
            return 0
        }
        $retry = ($status -eq 0 -or $status -eq 429 -or $status -eq 502 -or $status -eq 503 -or $status -eq 504)
        if (-not $retry) {
            Write-Log "refused by $uri with HTTP ${status}: $answer" 'error'
            return 1
        }
        $delay = Get-Random -Minimum 0 -Maximum ($ceilingMs + 1)
        $ceilingMs = [Math]::Min(10000, $ceilingMs * 2)
        if ((Get-Date).AddMilliseconds($delay) -ge $deadline) {
            Write-Log "no answer from $uri after $attempt attempt(s) in $TimeoutSeconds s (last: HTTP $status $answer)" 'warn'
            return 2
        }
        Write-Log "attempt $attempt failed (HTTP $status $answer); retrying in $delay ms" 'warn'
        Start-Sleep -Milliseconds $delay
    }
}

# --- spool file ---------------------------------------------------------------------
function Write-SpoolFile {
    $inbox = Join-Path $SpoolPath 'inbox'
    if (-not (Test-Path -LiteralPath $inbox -PathType Container)) {
        Write-Log "$SpoolPath has no inbox folder (give the agent's spool.dir)" 'error'
        return 2
    }
    $name = "osd-$key.json"
    $tmp = Join-Path $inbox ".$name.tmp"
    $final = Join-Path $inbox $name
    try {
        # UTF-8 without BOM; the agent also accepts a BOM, never UTF-16.
        [IO.File]::WriteAllText($tmp, $body, (New-Object Text.UTF8Encoding $false))
        if (Test-Path -LiteralPath $final) { Remove-Item -LiteralPath $tmp; Write-Log "spool file $final already written"; return 0 }
        Move-Item -LiteralPath $tmp -Destination $final
    } catch {
        Write-Log "cannot write the spool file in ${inbox}: $($_.Exception.Message)" 'error'
        return 2
    }
    Write-Log "wrote $final; the agent takes it at its next scan"
    return 0
}

$result = 2
if (-not $SpoolOnly) { $result = Send-Triggers }
if ($result -eq 2 -and $SpoolPath) { $result = Write-SpoolFile }
exit $result
