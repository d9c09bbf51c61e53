package main

// usage is --help.
const usage = `mmm-check: is this host's MySQL healthy? keepalived's vrrp_script for
mmm-keepalived, running MySQL-MMM's checks.

Usage:
  mmm-check [--config FILE | --cluster NAME] [--host NAME] [--timeout DURATION] [CHECK...]

Checks (default: mysql):
  mysql        connect and run SELECT NOW()
  ping         ICMP echo to the host's ip (a TCP connect to mysql_port with
               ping_method tcp; a refused connect counts as an answer)
  rep_threads  both replication threads run; an IO thread Connecting counts
               as running (mmm-check runs once, so it cannot apply
               max_connecting: the coordinator does)
  rep_backlog  Seconds_Behind_Master at most max_backlog; NULL while a
               thread is stopped fails
  semisync     semisync master side ON with at least semisync_min_clients
               replicas

Options:
  --config FILE       cluster configuration (default /etc/mmm-keepalived/mmm.conf,
                      else /etc/mysql-mmm/mmm_agent.conf)
  --cluster NAME      the configuration of cluster NAME (mmmctl @NAME):
                      /etc/mmm-keepalived/mmm_NAME.conf, else
                      /etc/mysql-mmm/mmm_agent_NAME.conf, with NAME's own
                      default runtime paths; not with --config
  --host NAME         the host section to check (default: the file's "this")
  --timeout DURATION  answer within this, e.g. 800ms or 0.8 (default 800ms);
                      each check also keeps its own <check> timeout
  --version, --help

It connects over the host's mysql_socket when set, else to ip:mysql_port,
as monitor_user, or as agent_user when the host has no monitor_user (an
MMM mmm_agent.conf on a master carries only the agent's account; that
account needs no privilege for mysql, SLAVE MONITOR for rep_*).

Exit status (keepalived treats anything but 0 as a failure):
  0  healthy: every check OK, or UNKNOWN. UNKNOWN is MMM's "no change",
     above all "Too many connections" (error 1040): a busy server is no
     reason to move the writer, as in MMM. stderr says so in one line.
  1  a check failed: mysqld down or frozen, access denied, replication
     broken, no answer in time
  2  usage or configuration error
stdout gets one result per check in MMM's words ("db1 mysql: OK"); on exit
1 or 2, and for an UNKNOWN, stderr says why in one line. mmm-check always
returns before --timeout: a frozen mysqld or a listener that never answers
is a failure, not a hang.

Examples:
  mmm-check --config /etc/mysql-mmm/mmm_agent.conf --host db1 --timeout 800ms
  mmm-check rep_threads rep_backlog          # as "this" in the default file
  mmm-check --config /etc/mysql-mmm/mmm_common.conf --host db2 ping mysql
  mmm-check --cluster c2 --host db5          # /etc/mmm-keepalived/mmm_c2.conf

In keepalived.conf (mmm-keepalived renders it):
  vrrp_script mmm_check {
      script "/usr/bin/mmm-check --config /etc/mysql-mmm/mmm_agent.conf --host db1 --timeout 800ms"
      interval 1
      timeout 1
  }
`
