//go:build integration

package failover

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

var dbHosts = []string{"db1", "db2", "db3"}

// command runs an mmm_control command through the leader; a refusal
// (OK false) comes back as an error too.
func command(line string) (fsm.Reply, error) {
	cmd, err := fsm.ParseCommand(line)
	if err != nil {
		return fsm.Reply{}, err
	}
	s, ok := leaderSnapshot()
	if !ok {
		return fsm.Reply{}, fmt.Errorf("%s: no leader", line)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return client(s.Leader).Command(ctx, cmd)
}

// setOnline runs set_online host until it is ONLINE: the state machine
// refuses it until the host's replication is verified.
func setOnline(t *testing.T, host string, limit time.Duration) {
	t.Helper()
	var last error
	var tries int
	deadline := time.Now().Add(limit)
	for {
		s, ok := leaderSnapshot()
		if ok {
			switch stateOf(s, host) {
			case fsm.StateOnline:
				if tries > 0 {
					t.Logf("set_online %s: ONLINE after %d attempt(s)", host, tries)
				}
				return
			case fsm.StateAwaitingRecovery, fsm.StateAdminOffline:
				tries++
				_, last = command("set_online " + host)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ONLINE within %v (%d set_online, the last: %v); state:\n%s", host, limit, tries, last, show(s))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// history returns the leader's history since t.
func history(since time.Time) []api.HistoryEntry {
	s, ok := leaderSnapshot()
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	h, err := client(s.Leader).History(ctx, 0)
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(h, func(e api.HistoryEntry) bool { return e.Time.Before(since) })
}

// actions renders the actions of a history, one a line.
func actions(h []api.HistoryEntry) string {
	var b strings.Builder
	for _, e := range h {
		if e.Kind != "action" {
			continue
		}
		fmt.Fprintf(&b, "  %s %-9s %-7v %s", e.Time.Format("15:04:05.000"), e.Outcome, e.Duration.Round(time.Millisecond), e.Text)
		if e.Error != "" {
			fmt.Fprintf(&b, ": %s", e.Error)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// hasAction reports whether h records an action starting with text and
// the outcome.
func hasAction(h []api.HistoryEntry, text, outcome string) bool {
	return slices.ContainsFunc(h, func(e api.HistoryEntry) bool {
		return e.Kind == "action" && strings.HasPrefix(e.Text, text) && e.Outcome == outcome
	})
}

// root opens host's MariaDB as root over its socket.
func root(t *testing.T, host string) *sql.DB {
	t.Helper()
	s, err := theLab.Server(host)
	if err != nil {
		t.Fatal(err)
	}
	db, err := s.Open("")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(2)
	return db
}

// readOnly reads host's @@read_only as root once it answers, within 60 s.
// A server that comes back from a cut or a freeze may not answer new
// connections for a few seconds (the lab saw up to 5 s after a 20 s cut):
// what matters here is that it is read-only when it does — it takes no
// write before that either.
func readOnly(t *testing.T, host string) bool {
	t.Helper()
	db := root(t, host)
	defer db.Close()
	var ro bool
	var err error
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.QueryRowContext(ctx, "SELECT @@read_only").Scan(&ro)
		cancel()
		if err == nil {
			return ro
		}
		if time.Now().After(deadline) {
			t.Fatalf("read_only of %s: %v", host, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// replication reads host's SHOW SLAVE STATUS: the master's host name and
// whether both threads run.
func replication(ctx context.Context, db *sql.DB) (master string, running bool, err error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return "", false, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", false, err
	}
	if !rows.Next() {
		return "", false, rows.Err()
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", false, err
	}
	get := func(name string) string {
		if i := slices.Index(cols, name); i >= 0 {
			return vals[i].String
		}
		return ""
	}
	for _, h := range lab.Hosts {
		if h.Addr.String() == get("Master_Host") {
			master = h.Name
		}
	}
	return master, get("Slave_IO_Running") == "Yes" && get("Slave_SQL_Running") == "Yes", nil
}

// waitReplicates waits until host replicates from master with both
// threads running.
func waitReplicates(t *testing.T, host, master string, limit time.Duration) {
	t.Helper()
	db := root(t, host)
	defer db.Close()
	var got string
	var running bool
	var err error
	if !waitFor(limit, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		got, running, err = replication(ctx, db)
		return err == nil && got == master && running
	}) {
		t.Fatalf("%s does not replicate from %s with both threads running within %v: master %q, running %v, err %v",
			host, master, limit, got, running, err)
	}
}

// lostRows returns the acknowledged ids that host lacks (lab.LostRows).
func lostRows(t *testing.T, host, writer, table string, ids []int64) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lost, err := theLab.LostRows(ctx, host, writer, table, ids)
	if err != nil {
		t.Fatal(err)
	}
	return lost
}

// The state helpers shared with the other suites (test/lab).
var (
	waitFor  = lab.WaitFor
	show     = lab.ShowSnapshot
	stateOf  = lab.StateOf
	writerOf = lab.WriterOf
)

func client(host string) *api.Client       { return theLab.Client(host) }
func leaderSnapshot() (api.Snapshot, bool) { return theLab.LeaderSnapshot() }
func waitState(t *testing.T, limit time.Duration, what string, cond func(api.Snapshot) bool) api.Snapshot {
	t.Helper()
	return theLab.WaitState(t, limit, what, cond)
}
