//go:build integration

package writerrestart

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// outageLimit bounds the write outage a restart of the writer's
// coordinator may cause: the lease (2 s) for keepalived's FAULT and the
// fence, a read_only probe (check_period 1 s) on the leader, the
// promotion, and keepalived's advertisement back.
const outageLimit = 30 * time.Second

// TestWriterCoordinatorRestart kills the writer host's coordinator with
// SIGKILL and starts it again at once; a client writing through the
// writer VIP must be able to write again within outageLimit, and keep
// writing.
func TestWriterCoordinatorRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	app, err := theLab.OpenFrom("app", lab.WriterVIP, lab.AppUser, lab.AppDatabase)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.SetMaxIdleConns(0) // every write a new session: a fenced one is killed anyway
	write := func() error {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, err := app.ExecContext(c, "INSERT INTO t (host) VALUES (@@hostname)")
		return err
	}
	if !poll(ctx, 90*time.Second, func() bool { return write() == nil && leader(ctx, lab.Writer) != "" }) {
		t.Fatal("no write through the writer VIP before the restart")
	}
	hist, _ := client(t, lab.Writer).History(ctx, 0)
	seen := len(hist)

	undo, err := theLab.KillDaemon(ctx, lab.Writer, "coordinator")
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := undo(ctx); err != nil {
		t.Fatal(err)
	}
	// Write every 50 ms: the outage runs from the first failed write to
	// the first success after it; done after 10 s of success past the
	// lease (the fence may come late) or at outageLimit after a failure.
	var firstFail, recovered time.Time
	lastOK := time.Time{}
	for time.Since(killed) < outageLimit+20*time.Second {
		now := time.Now()
		if err := write(); err != nil {
			if firstFail.IsZero() {
				firstFail = now
				t.Logf("first failed write %v after the kill: %v", now.Sub(killed).Round(time.Millisecond), err)
			}
			recovered, lastOK = time.Time{}, time.Time{}
		} else {
			if !firstFail.IsZero() && recovered.IsZero() {
				recovered = now
			}
			if lastOK.IsZero() {
				lastOK = now
			}
			if time.Since(killed) > 5*time.Second && time.Since(lastOK) > 10*time.Second {
				break
			}
		}
		if !firstFail.IsZero() && recovered.IsZero() && now.Sub(firstFail) > outageLimit {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	switch {
	case !firstFail.IsZero() && recovered.IsZero():
		t.Fatalf("no write through the writer VIP %v after the first failure (the writer stays read-only?)", time.Since(firstFail).Round(time.Millisecond))
	case lastOK.IsZero() || time.Since(lastOK) < 10*time.Second:
		t.Fatalf("writes through the writer VIP not steady after the restart")
	case firstFail.IsZero():
		t.Logf("no failed write: the restart did not interrupt the writer")
	default:
		t.Logf("write outage %v (first failure %v after the kill, writes again %v after it)",
			recovered.Sub(firstFail).Round(time.Millisecond), firstFail.Sub(killed).Round(time.Millisecond),
			recovered.Sub(killed).Round(time.Millisecond))
	}
	hist, _ = client(t, lab.Writer).History(ctx, 0)
	for _, e := range hist[min(seen, len(hist)):] {
		if e.Kind == "event" || strings.Contains(e.Text, "promote") || strings.Contains(e.Text, "writer") {
			t.Logf("history: %s %s %s %s", e.Time.Format("15:04:05.000"), e.Kind, e.Text, e.Outcome)
		}
	}
}

func client(t *testing.T, host string) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.ClientOptions{Socket: filepath.Join(theLab.StateDir(), host, "mmm.sock")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// leader is the leader host's coordinator names, "" when it does not
// answer or knows none.
func leader(ctx context.Context, host string) string {
	c, err := api.NewClient(api.ClientOptions{Socket: filepath.Join(theLab.StateDir(), host, "mmm.sock")})
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := c.Snapshot(ctx)
	if err != nil {
		return ""
	}
	return s.Leader
}

// poll calls cond every 100 ms until it holds; false after limit or
// when ctx ends.
func poll(ctx context.Context, limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}
