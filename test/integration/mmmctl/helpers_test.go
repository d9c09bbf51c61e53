//go:build integration

package mmmctl

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

var dbHosts = []string{"db1", "db2", "db3"}

// result is one run of the mmmctl binary.
type result struct {
	args           []string
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("mmmctl %s: exit %d\nstdout: %q\nstderr: %q", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs the mmmctl binary, in host's namespace when host is not "".
func run(t *testing.T, host string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append([]string{mmmctlBin()}, args...)
	if host != "" {
		argv = append([]string{"ip", "netns", "exec", theLab.Namespace(host)}, argv...)
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("mmmctl %v: %v", args, err)
	}
	return r
}

// ctl runs mmmctl with via's configuration (its coordinator's socket), as
// an operator on via would.
func ctl(t *testing.T, via string, args ...string) result {
	t.Helper()
	return run(t, "", append([]string{"--config", theLab.HostConfigPath(via)}, args...)...)
}

// want checks a run's exit code and its exact stdout.
func want(t *testing.T, r result, code int, stdout string) {
	t.Helper()
	if r.code != code || r.stdout != stdout {
		t.Errorf("%s\nwant exit %d, stdout %q", r, code, stdout)
	}
}

// tokenFile is the lab's API token (api_token_file).
func tokenFile() string { return filepath.Join(filepath.Dir(theLab.ConfigPath()), "api.token") }

// apiURL is host's TCP API.
func apiURL(host string) string {
	h, _ := lab.LookupHost(host)
	return fmt.Sprintf("http://%s:9991", h.Addr)
}

// readerIPs returns the reader IPs the state gives host.
func readerIPs(s api.Snapshot, host string) []string {
	var out []string
	for _, r := range s.State.HostRoles(host) {
		if r.Role == "reader" {
			out = append(out, r.IP.String())
		}
	}
	return out
}

// vipsMatch reports whether every host holds exactly the reader VIPs the
// state gives it, and the writer alone holds the writer VIP.
func vipsMatch(s api.Snapshot) bool {
	for _, h := range dbHosts {
		if !slices.Equal(theLab.ReaderVIPsOn(h), readerIPs(s, h)) {
			return false
		}
	}
	holders, err := theLab.VIPHolders(lab.WriterVIP)
	return err == nil && len(holders) == 1 && holders[0] == writerOf(s)
}

// setOnline runs `mmmctl set_online host` until the host is ONLINE: the
// state machine refuses it (exit 5) until, e.g., its replication is
// verified. It returns the OK reply, or a zero result when the host got
// ONLINE by itself.
func setOnline(t *testing.T, host string, limit time.Duration) result {
	t.Helper()
	var ok, last result
	deadline := time.Now().Add(limit)
	for {
		s, _ := leaderSnapshot()
		switch stateOf(s, host) {
		case fsm.StateOnline:
			return ok
		case fsm.StateAwaitingRecovery, fsm.StateAdminOffline:
			last = ctl(t, "db1", "set_online", host)
			switch {
			case last.code == 0:
				ok = last
			case last.code != 5 || !strings.HasPrefix(last.stdout, "ERROR: "):
				t.Fatalf("set_online refused other than by the state machine: %s", last)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ONLINE within %v of mmmctl set_online; last reply:\n%s\nstate:\n%s", host, limit, last, show(s))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// steady waits until every host is ONLINE, nothing is pending and the
// VIPs are where the state says; it returns the writer and its peer.
func steady(t *testing.T) (writer, peer string) {
	t.Helper()
	s := waitState(t, 60*time.Second, "every host ONLINE, nothing pending, VIPs in place", func(s api.Snapshot) bool {
		for _, h := range dbHosts {
			if stateOf(s, h) != fsm.StateOnline {
				return false
			}
		}
		return writerOf(s) != "" && vipsMatch(s) &&
			!slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "pending") })
	})
	writer, peer = writerOf(s), "db1"
	if writer == "db1" {
		peer = "db2"
	}
	return writer, peer
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

// readOnly reads host's @@read_only.
func readOnly(t *testing.T, host string) bool {
	t.Helper()
	db := root(t, host)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var ro bool
	if err := db.QueryRowContext(ctx, "SELECT @@read_only").Scan(&ro); err != nil {
		t.Fatalf("read_only of %s: %v", host, err)
	}
	return ro
}

// masterOf returns the lab host host replicates from and whether both
// threads run ("" when it is no replica).
func masterOf(t *testing.T, host string) (master string, running bool) {
	t.Helper()
	db := root(t, host)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		t.Fatalf("SHOW SLAVE STATUS on %s: %v", host, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return "", false
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	get := func(name string) string { return vals[slices.Index(cols, name)].String }
	for _, h := range lab.Hosts {
		if h.Addr.String() == get("Master_Host") {
			master = h.Name
		}
	}
	return master, get("Slave_IO_Running") == "Yes" && get("Slave_SQL_Running") == "Yes"
}

// waitReplicates waits until host replicates from master, both threads
// running.
func waitReplicates(t *testing.T, host, master string, limit time.Duration) {
	t.Helper()
	var got string
	var running bool
	if !waitFor(limit, func() bool { got, running = masterOf(t, host); return got == master && running }) {
		t.Fatalf("%s does not replicate from %s within %v: master %q, threads running %v", host, master, limit, got, running)
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

// handoverLog returns the coordinators' log lines since t that tell how a
// handover went (fence, catch-up and promotion results, keepalived's
// transitions), by time.
func handoverLog(since time.Time) string {
	var lines []string
	for _, h := range dbHosts {
		got, _ := theLab.CoordinatorLogSince(h, since,
			`msg=fenced`, `msg="caught up"`, `msg=promoted`, `msg="keepalived reports"`, `msg="writer eligibility`)
		for _, l := range got {
			lines = append(lines, "  "+l)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// scrape returns host's /metrics, read over its coordinator's unix
// socket (no token needed there).
func scrape(t *testing.T, host string) string {
	t.Helper()
	sock := filepath.Join(theLab.StateDir(), host, "mmm.sock")
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	resp, err := hc.Get("http://coordinator/metrics")
	if err != nil {
		t.Fatalf("scrape %s: %v", host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v", host, resp.Status, err)
	}
	return string(b)
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
