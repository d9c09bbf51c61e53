package config

import (
	"errors"
	"testing"
)

// TestMalformed loads one broken configuration per case and asserts the
// whole error text. main.conf starts with `include base.conf` (the lab
// topology, valid) unless alone is set, so its own lines count from 2.
func TestMalformed(t *testing.T) {
	tests := []struct {
		name  string
		main  string
		alone bool              // main.conf without the base
		extra map[string]string // more files
		kind  error
		want  string
	}{
		{
			name: "unknown key with suggestion",
			main: "<host db1>\n    agent_prot 9989\n</host>\n",
			kind: ErrSyntax,
			want: `main.conf:3: host db1: agent_prot: unknown key; did you mean agent_port?`,
		},
		{
			name: "unknown global key",
			main: "max_kil_retries 5\n",
			kind: ErrSyntax,
			want: `main.conf:2: max_kil_retries: unknown key; did you mean max_kill_retries?`,
		},
		{
			name: "key of another section",
			main: "<monitor>\n    peer db2\n</monitor>\n",
			kind: ErrSyntax,
			want: `main.conf:3: monitor: peer: unknown key`,
		},
		{
			name: "unknown section",
			main: "<hots db4>\n    ip 198.18.0.14\n</hots>\n",
			kind: ErrSyntax,
			want: `main.conf:2: unknown section <hots>; expected host, role, monitor, check, socket, copy_method, coordinator or keepalived`,
		},
		{
			name: "unclosed section",
			main: "<role backup>\n    mode balanced\n",
			kind: ErrSyntax,
			want: `main.conf:2: role backup: section is not closed; expected </role> before the end of the file`,
		},
		{
			name: "section opened inside another",
			main: "<host db1>\n    mysql_port 3307\n<monitor>\n</monitor>\n",
			kind: ErrSyntax,
			want: `main.conf:2: host db1: section is not closed; expected </host> before line 4`,
		},
		{
			name: "mismatched closing tag",
			main: "<host db1>\n</role>\n",
			kind: ErrSyntax,
			want: `main.conf:3: host db1: </role> closes <host> opened at line 2; expected </host>`,
		},
		{
			name: "closing tag without section",
			main: "</role>\n",
			kind: ErrSyntax,
			want: `main.conf:2: </role> closes no open section`,
		},
		{
			name: "named section without a name",
			main: "<host>\n    ip 198.18.0.14\n</host>\n",
			kind: ErrSyntax,
			want: `main.conf:2: host: section needs a name, e.g. <host NAME>`,
		},
		{
			name: "unique section with a name",
			main: "<monitor main>\n</monitor>\n",
			kind: ErrSyntax,
			want: `main.conf:2: monitor: section takes no name, got "main"; expected <monitor>`,
		},
		{
			name: "header without >",
			main: "<host db1\n    ip 198.18.0.11\n</host>\n",
			kind: ErrSyntax,
			want: `main.conf:2: expected a section header like <host db1>, got "<host db1"`,
		},
		{
			name: "header with three words",
			main: "<host db 1>\n    ip 198.18.0.11\n</host>\n",
			kind: ErrSyntax,
			want: `main.conf:2: expected a section header like <host db1>, got "<host db 1>"`,
		},
		{
			name: "bad section name",
			main: "<host db.1>\n    ip 198.18.0.11\n</host>\n",
			kind: ErrSyntax,
			want: `main.conf:2: host: expected a name of letters, digits, _ and -, got "db.1"`,
		},
		{
			name: "closing tag without >",
			main: "<host db1>\n</host\n",
			kind: ErrSyntax,
			want: `main.conf:2: host db1: section is not closed; expected </host> before the end of the file
main.conf:3: expected a closing tag like </host>, got "</host"`,
		},
		{
			name: "unknown check",
			main: "<check disk>\n    timeout 1\n</check>\n",
			kind: ErrSyntax,
			want: `main.conf:2: check disk: unknown check; expected ping, mysql, rep_threads, rep_backlog or default`,
		},
		{
			name: "line that is no key",
			main: "<host db1>\n    ip=198.18.0.11\n</host>\n",
			kind: ErrSyntax,
			want: "main.conf:3: host db1: expected `key value`, a <section> or a # comment, got \"ip=198.18.0.11\"",
		},
		{
			name: "include inside a section",
			main: "<host db1>\n    include more.conf\n</host>\n",
			kind: ErrSyntax,
			want: `main.conf:3: host db1: include: include is allowed only outside sections`,
		},
		{
			name: "bad boolean",
			main: "<monitor>\n    careful_startup maybe\n</monitor>\n",
			kind: ErrValue,
			want: `main.conf:3: monitor: careful_startup: expected true/on/yes/1 or false/off/no/0, got "maybe"`,
		},
		{
			name: "bad number",
			main: "<host db1>\n    agent_port 99x\n</host>\n",
			kind: ErrValue,
			want: `main.conf:3: host db1: agent_port: expected a whole number, got "99x"`,
		},
		{
			name: "bad duration",
			main: "<check mysql>\n    timeout soon\n</check>\n",
			kind: ErrValue,
			want: `main.conf:3: check mysql: timeout: expected seconds (e.g. 5 or 0.5) or a duration (e.g. 800ms), got "soon"`,
		},
		{
			name: "include not found",
			main: "include nope.conf\n",
			kind: ErrInclude,
			want: `main.conf:2: include: cannot read "nope.conf": no such file or directory`,
		},
		{
			name:  "include cycle",
			main:  "include loop.conf\n",
			extra: map[string]string{"loop.conf": "\ninclude main.conf\n"},
			kind:  ErrInclude,
			want:  `loop.conf:2: include: include cycle: main.conf -> loop.conf -> main.conf`,
		},
		{
			name: "role names an undefined host",
			main: "<role writer>\n    hosts db1, db9\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: role writer: hosts: host "db9" is not defined`,
		},
		{
			name: "exclusive role with a slave",
			main: "<role writer>\n    hosts db1, db3\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: role writer: hosts: host "db3" is a slave; an exclusive role takes master hosts only`,
		},
		{
			name: "active master role balanced",
			main: "<role writer>\n    mode balanced\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: role writer: mode: the active master role must be exclusive, got balanced`,
		},
		{
			name: "active master role with three hosts",
			main: "<host db3>\n    mode master\n    peer db1\n</host>\n<role writer>\n    hosts db1, db2, db3\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:4: host db3: peer: host "db1" names "db2" as its peer; peers must name each other
main.conf:7: role writer: hosts: the active master role takes at most two hosts (a master and its peer), got 3`,
		},
		{
			name: "peers not mutual",
			main: "<host db4>\n    ip 198.18.0.14\n    mode master\n    peer db1\n</host>\n",
			kind: ErrInconsistent,
			want: `main.conf:5: host db4: peer: host "db1" names "db2" as its peer; peers must name each other`,
		},
		{
			name: "peer undefined",
			main: "<host db2>\n    peer db9\n</host>\n",
			kind: ErrInconsistent,
			// main.conf was read first, so its lines come first.
			want: `main.conf:3: host db2: peer: host "db9" is not defined
base.conf:9: host db1: peer: host "db2" names "db9" as its peer; peers must name each other`,
		},
		{
			name: "writer hosts are not each other's peer",
			main: "<host db4>\n    ip 198.18.0.14\n    mode master\n    peer db1\n</host>\n<host db1>\n    peer db4\n</host>\n",
			kind: ErrInconsistent,
			want: `base.conf:14: host db2: peer: host "db1" names "db4" as its peer; peers must name each other
base.conf:21: role writer: hosts: hosts "db1" and "db2" of the active master role must be each other's peer`,
		},
		{
			name: "master without peer",
			main: "<host db4>\n    ip 198.18.0.14\n    mode master\n</host>\n",
			kind: ErrValue,
			want: `main.conf:2: host db4: peer: missing; a master needs the name of the other master`,
		},
		{
			name: "host without ip and mode",
			main: "<host db4/>\n",
			kind: ErrValue,
			want: `main.conf:2: host db4: ip: missing; expected the host's IP address
main.conf:2: host db4: mode: missing; expected master, slave or witness`,
		},
		{
			name: "bad host mode",
			main: "<host db3>\n    mode slav\n</host>\n",
			kind: ErrValue,
			want: `main.conf:3: host db3: mode: expected master, slave or witness, got "slav"`,
		},
		{
			name: "bad role ip",
			main: "<role reader>\n    ips 198.18.0.101, 198.18.0.300\n</role>\n",
			kind: ErrValue,
			want: `main.conf:3: role reader: ips: expected an IP address, got "198.18.0.300"`,
		},
		{
			name: "empty list item",
			main: "<role reader>\n    hosts db1,,db2\n</role>\n",
			kind: ErrValue,
			want: `main.conf:3: role reader: hosts: expected a comma-separated list without empty items, got "db1,,db2"`,
		},
		{
			name: "ip in two roles",
			main: "<role backup>\n    hosts db3\n    ips 198.18.0.101\n    mode balanced\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:4: role backup: ips: 198.18.0.101 is also an IP of role "reader"`,
		},
		{
			name: "role ip equal to a host ip",
			main: "<role backup>\n    hosts db3\n    ips 198.18.0.13\n    mode balanced\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:4: role backup: ips: 198.18.0.13 is the ip of host "db3"; a role IP must be an address of its own`,
		},
		{
			name: "two hosts with one ip",
			main: "<host db4>\n    ip 198.18.0.11\n    mode slave\n    raft_address 198.18.0.14:9990\n    api_address 198.18.0.14:9991\n</host>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: host db4: ip: 198.18.0.11 is also the ip of host "db1"`,
		},
		{
			name: "prefer not among the hosts",
			main: "<role writer>\n    prefer db3\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: role writer: prefer: host "db3" is not one of the role's hosts (db1, db2)`,
		},
		{
			name: "prefer on a balanced role",
			main: "<role reader>\n    prefer db1\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: role reader: prefer: only an exclusive role takes prefer; this role is balanced`,
		},
		{
			name: "this names no host",
			main: "this db9\n",
			kind: ErrInconsistent,
			want: `main.conf:2: this: host "db9" is not defined`,
		},
		{
			name: "active master role names no role",
			main: "active_master_role author\n",
			kind: ErrInconsistent,
			want: `main.conf:2: active_master_role: role "author" is not defined`,
		},
		{
			name:  "active master role missing",
			main:  "<host db1>\n    ip 198.18.0.11\n    mode slave\n</host>\n",
			alone: true,
			kind:  ErrValue,
			want:  `main.conf: active_master_role: missing; expected the name of the writer role (e.g. active_master_role writer)`,
		},
		{
			name: "negative duration",
			main: "<check mysql>\n    trap_period -1\n</check>\n",
			kind: ErrValue,
			want: `main.conf:3: check mysql: trap_period: expected a duration > 0, got -1s`,
		},
		{
			name: "negative duration where 0 is off",
			main: "<monitor>\n    auto_set_online -5\n</monitor>\n",
			kind: ErrValue,
			want: `main.conf:3: monitor: auto_set_online: expected a duration >= 0 (0 = off), got -5s`,
		},
		{
			name: "port out of range in host default, reported once",
			main: "<host default>\n    mysql_port 70000\n</host>\n",
			kind: ErrValue,
			want: `main.conf:3: host default: mysql_port: expected 1..65535, got 70000`,
		},
		{
			name: "bad raft address",
			main: "<host db1>\n    raft_address 198.18.0.11\n</host>\n",
			kind: ErrValue,
			want: `main.conf:3: host db1: raft_address: expected host:port (e.g. 198.18.0.11:9990), got "198.18.0.11"`,
		},
		{
			name: "virtual router id out of range",
			main: "<keepalived>\n    virtual_router_id 300\n</keepalived>\n",
			kind: ErrValue,
			want: `main.conf:3: keepalived: virtual_router_id: expected 1..255, got 300`,
		},
		{
			name: "advert_int of VRRPv3 under VRRPv2",
			main: "<keepalived>\n    vrrp_version 2\n    advert_int 100ms\n</keepalived>\n",
			kind: ErrValue,
			want: `main.conf:4: keepalived: advert_int: expected whole seconds 1..255 with vrrp_version 2, got 100ms`,
		},
		{
			name: "down_timer_adverts out of range",
			main: "<keepalived>\n    down_timer_adverts 0\n</keepalived>\n",
			kind: ErrValue,
			want: `main.conf:3: keepalived: down_timer_adverts: expected 1..100, got 0`,
		},
		{
			name: "auth_pass with VRRPv3",
			main: "<keepalived>\n    auth_pass secret\n</keepalived>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: keepalived: auth_pass: VRRPv3 has no authentication; remove auth_pass or set vrrp_version 2`,
		},
		{
			name: "catchup policy",
			main: "<coordinator>\n    catchup_policy maybe\n</coordinator>\n",
			kind: ErrValue,
			want: `main.conf:3: coordinator: catchup_policy: expected refuse or promote, got "maybe"`,
		},
		{
			name: "raft lease longer than heartbeat",
			main: "<coordinator>\n    raft_leader_lease_timeout 2s\n</coordinator>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: coordinator: raft_leader_lease_timeout: expected at most raft_heartbeat_timeout (1s), got 2s`,
		},
		{
			name: "raft peer undefined",
			main: "<coordinator>\n    raft_peers db1, db2, db9\n</coordinator>\n",
			kind: ErrInconsistent,
			want: `main.conf:3: coordinator: raft_peers: host "db9" is not defined`,
		},
		{
			name: "ping method",
			main: "<check ping>\n    ping_method udp\n</check>\n",
			kind: ErrValue,
			want: `main.conf:3: check ping: ping_method: expected icmp or tcp, got "udp"`,
		},
		{
			name: "witness holding a role",
			main: "<host mon>\n    ip 198.18.0.20\n    mode witness\n</host>\n<role reader>\n    hosts db1, db2, db3, mon\n</role>\n",
			kind: ErrInconsistent,
			want: `main.conf:7: role reader: hosts: host "mon" is a witness; a witness holds no roles`,
		},
		{
			name: "ssl socket without files",
			main: "<socket>\n    type ssl\n    cert_file /etc/mmm/cert.pem\n</socket>\n",
			kind: ErrValue,
			want: `main.conf:2: socket: key_file: missing; type ssl needs cert_file, key_file and ca_file
main.conf:2: socket: ca_file: missing; type ssl needs cert_file, key_file and ca_file`,
		},
		{
			name: "missing password file",
			main: "<host default>\n    agent_password_file agent.pass\n</host>\n",
			kind: ErrInclude,
			want: `main.conf:3: host default: agent_password_file: cannot read "agent.pass": no such file or directory`,
		},
		{
			name: "several problems, all reported in file order",
			main: "<monitor>\n    flap_count x\n</monitor>\n<check default>\n    check_period 0\n</check>\n",
			kind: ErrValue,
			want: `main.conf:3: monitor: flap_count: expected a whole number, got "x"
main.conf:6: check default: check_period: expected a duration > 0, got 0s`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"base.conf": labBase, "main.conf": "include base.conf\n" + tt.main}
			if tt.alone {
				files["main.conf"] = tt.main
			}
			for k, v := range tt.extra {
				files[k] = v
			}
			inDir(t, files)
			c, err := Load("main.conf")
			if err == nil {
				t.Fatalf("Load succeeded, want:\n%s", tt.want)
			}
			if c != nil {
				t.Errorf("Load returned a Config with an error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Pos.File == "" {
				t.Errorf("error carries no *Error with a position: %#v", err)
			}
		})
	}
}
