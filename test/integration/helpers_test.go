//go:build integration

package integration

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// testCtx is a context for one test.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond every 10 ms until it holds or d has passed, and
// returns how long it took.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// holders returns the hosts holding the writer VIP.
func holders(t *testing.T) []string {
	t.Helper()
	h, err := theLab.VIPHolders(lab.WriterVIP)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// readOnly returns @@read_only of a db host as root over its socket.
func readOnly(t *testing.T, host string) string {
	t.Helper()
	db := rootDB(t, host)
	var ro string
	if err := db.QueryRowContext(testCtx(t, 5*time.Second), "SELECT @@read_only").Scan(&ro); err != nil {
		t.Fatalf("%s: read_only: %v", host, err)
	}
	return ro
}

// rootDB is a root pool on a db host's socket, closed after the test.
func rootDB(t *testing.T, host string) *sql.DB {
	t.Helper()
	s, err := theLab.Server(host)
	if err != nil {
		t.Fatal(err)
	}
	db, err := s.Open("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// appTo is a pool for the app account from the app host to addr (a db
// host or the writer VIP).
func appTo(t *testing.T, host string) *sql.DB {
	t.Helper()
	addr := lab.WriterVIP
	if host != "vip" {
		h, err := lab.LookupHost(host)
		if err != nil {
			t.Fatal(err)
		}
		addr = h.Addr
	}
	db, err := theLab.OpenFrom("app", addr, lab.AppUser, lab.AppDatabase)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// insert writes one row through db and returns the server_id that took
// it.
func insert(ctx context.Context, db *sql.DB) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "INSERT INTO t (host) VALUES (@@hostname)"); err != nil {
		return 0, err
	}
	var id int
	err = conn.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id)
	return id, err
}

// mysqlErrno returns the server error number in err, or 0.
func mysqlErrno(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// notifyLog returns the mmm-notify log lines written after offset, and
// the new offset.
func notifyLog(t *testing.T, offset int) ([]string, int) {
	t.Helper()
	b, err := os.ReadFile(theLab.NotifyLogPath())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if offset > len(b) {
		offset = 0
	}
	s := strings.TrimSpace(string(b[offset:]))
	if s == "" {
		return nil, len(b)
	}
	return strings.Split(s, "\n"), len(b)
}

// hasLine reports whether a line holds every part.
func hasLine(lines []string, parts ...string) bool {
	return slices.ContainsFunc(lines, func(l string) bool {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				return false
			}
		}
		return true
	})
}

// sample checks the writer invariant during the test: every 20 ms, no
// second server writable while the VIP's holder is.
func sample(t *testing.T) {
	t.Helper()
	s := theLab.SampleWriters(20 * time.Millisecond)
	t.Cleanup(func() {
		r := s.Stop()
		t.Logf("sampler: %d samples every 20ms, %d with a server silent", r.Samples, r.Silent)
		for _, v := range r.Violations {
			t.Errorf("two writers: %s", v)
		}
		if r.Samples == 0 {
			t.Error("the sampler took no sample")
		}
	})
}

// restoreWriter leaves the lab as every test finds it: db1 running, the
// writer, holding the VIP; db2 read-only.
func restoreWriter(t *testing.T) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, h := range []string{"db1", "db2"} {
			if s, _ := theLab.Server(h); !s.Running() {
				if err := theLab.StartMySQL(ctx, h); err != nil {
					t.Errorf("restore: %v", err)
					return
				}
			}
		}
		hs, err := theLab.VIPHolders(lab.WriterVIP)
		if err != nil {
			t.Errorf("restore: %v", err)
			return
		}
		if !slices.Equal(hs, []string{"db1"}) || readOnly(t, "db1") != "0" || readOnly(t, "db2") != "1" {
			m, err := theLab.MoveWriter(ctx, "db2", "db1")
			if err != nil {
				t.Errorf("restore: %v", err)
				return
			}
			t.Logf("restore: %s", m)
		}
		if err := waitHealthy(ctx); err != nil {
			t.Errorf("restore: %v", err)
		}
	})
}

// waitHealthy waits until the lab is in its steady state.
func waitHealthy(ctx context.Context) error {
	var last error
	for {
		if last = theLab.Healthy(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
