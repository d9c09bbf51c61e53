package dbctl

import (
	"strings"
	"testing"
)

func TestSpared(t *testing.T) {
	tests := []struct {
		c    Client
		want bool
	}{
		{Client{ID: 9, User: "app", Command: "Sleep"}, false},
		{Client{ID: 9, User: "app", Command: "Query", Info: "SELECT 1"}, false},
		{Client{ID: 9, User: "unauthenticated user", Command: "Connect"}, false},
		{Client{ID: 9, User: "root", Command: "Sleep"}, false},
		{Client{ID: 7, User: "mmm", Command: "Query"}, true}, // ourselves
		{Client{ID: 9, User: "repl", Command: "Binlog Dump"}, true},
		{Client{ID: 9, User: "repl", Command: "Binlog Dump GTID"}, true},
		{Client{ID: 9, User: "repl", Command: "Register Slave"}, true},
		{Client{ID: 9, User: "system user", Command: "Slave_IO"}, true},
		{Client{ID: 9, User: "system user", Command: "Slave_SQL"}, true},
		{Client{ID: 9, User: "system user", Command: "Slave_worker"}, true},
		{Client{ID: 9, User: "system user", Command: "Connect"}, true}, // MySQL replica threads
		{Client{ID: 9, User: "system user", Command: "Daemon"}, true},
		{Client{ID: 9, User: "event_scheduler", Command: "Daemon"}, true},
		{Client{ID: 9, User: "app", Command: "Killed"}, true},
	}
	for _, tt := range tests {
		if got := spared(tt.c, 7); got != tt.want {
			t.Errorf("spared(%+v) = %v", tt.c, got)
		}
	}
}

func TestRedactInfo(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"SELECT 1", "SELECT 1"},
		{"CREATE USER a IDENTIFIED BY 'x'", "<redacted>"},
		{"SET PASSWORD FOR a = PASSWORD('x')", "<redacted>"},
		{"change master to master_password='x'", "<redacted>"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100) + "…"},
	}
	for _, tt := range tests {
		if got := redactInfo(tt.in); got != tt.want {
			t.Errorf("redactInfo(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
