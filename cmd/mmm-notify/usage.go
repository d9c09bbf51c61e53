package main

// usage is --help.
const usage = `mmm-notify: keepalived's notify hook for mmm-keepalived. When the writer's
VRRP instance leaves MASTER it fences the local MySQL at once (read_only=1,
every client connection killed, verified), without needing the coordinator;
it reports every transition to the local coordinator; it never opens writes.

Usage:
  mmm-notify [--config FILE | --cluster NAME] [--host NAME] [--timeout DURATION] TYPE NAME STATE PRIORITY

keepalived calls it (mmm-keepalived renders this line into keepalived.conf):
  vrrp_instance mmm_writer {
      notify "/usr/bin/mmm-notify --config /etc/mysql-mmm/mmm_agent.conf --host db1"
  }
and appends TYPE NAME STATE PRIORITY, e.g. INSTANCE mmm_writer FAULT 150.
STATE is MASTER, BACKUP, FAULT, STOP or DELETED.

What it does, after checking what is true NOW (keepalived runs notify
scripts concurrently and out of order, so a notification may be stale):
  MASTER            report only
  BACKUP            fence and report; but only report when the track file
                    makes this host eligible: that BACKUP is keepalived on
                    its way to MASTER after the coordinator promoted this
                    host (writes first, track file second)
  FAULT, STOP,      fence and report
  DELETED
  stale             nothing: the writer VIP's presence on the VRRP
                    interface says whether keepalived is MASTER now (it adds
                    the VIP before the MASTER notification and removes it
                    before the others); a notification that contradicts it
                    was overtaken by a newer one, which acts
When in doubt (interface or track file unreadable) it fences. Concurrent
mmm-notify processes of a host take turns (a lock file beside the track
file). The report goes to the coordinator's api_socket, concurrently with
the fence, best effort: a coordinator that is down changes nothing.

Options:
  --config FILE       cluster configuration (default /etc/mmm-keepalived/mmm.conf,
                      else /etc/mysql-mmm/mmm_agent.conf)
  --cluster NAME      the configuration of cluster NAME (mmmctl @NAME):
                      /etc/mmm-keepalived/mmm_NAME.conf, else
                      /etc/mysql-mmm/mmm_agent_NAME.conf, with NAME's own
                      default runtime paths; not with --config
  --host NAME         this host (default: the file's "this")
  --timeout DURATION  everything is done within this, e.g. 2s or 0.8 (default
                      2s); a STOP gets at most 800ms, because keepalived kills
                      the scripts still running about 1 s after it begins to
                      stop. keepalived does not wait for notify scripts: the
                      deadline keeps a frozen mysqld from holding one forever.
  --version, --help

It connects over the host's mysql_socket (else ip:mysql_port) as agent_user,
which needs READ_ONLY ADMIN, CONNECTION ADMIN and PROCESS (MariaDB 10.11;
SUPER is not enough). A server that is down cannot be fenced and takes no
writes either: start MySQL with read_only=1 in my.cnf so that it comes back
fenced.

Output: one line per call, on stdout (stderr on exit 1), and in syslog and
<keepalived> notify_log, because keepalived discards a script's output:
  mmm-notify: db1: INSTANCE "mmm_writer" FAULT 150: fence: FAULT (...): no VIP
  here, no writes here; fenced: read_only=1 set (was 0), 1 attempt; killed 3
  clients (app@198.18.0.30 x3) in 2 rounds; verified; 9ms; reported to the
  coordinator; 11ms

Exit status (keepalived ignores it):
  0  done: fenced and verified, or reported, or nothing to do (stale)
  1  the fence was needed and failed or could not be verified (the server is
     unreachable, read_only could not be set, a client survived): the local
     MySQL may still accept writes
  2  usage or configuration error: wrong number of arguments, an unknown
     TYPE or STATE, a configuration that does not load or does not say how
     to reach the local MySQL (nothing was done)
`
