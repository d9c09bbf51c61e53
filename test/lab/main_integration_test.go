//go:build integration

package lab

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/test/mariadbd"
)

// theLab is the one lab of this package run, prefix TestPrefix; every
// test leaves it as it found it (healthy).
var theLab *Lab

// TestMain brings one lab up for the package and always takes it down:
// after the tests, on failure, and shortly before `go test -timeout`
// would panic (a panic runs no deferred call; the Makefile also runs
// `mmm-lab down --prefix mmmt` afterwards for the cases nothing here can
// catch, e.g. SIGKILL). It fails the run when anything of the lab is
// left behind.
func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/lab: the lab needs root (network namespaces); .ci/run runs as root")
		return 1
	}
	if err := mariadbd.Binaries(); err != nil {
		fmt.Fprintln(os.Stderr, "test/lab:", err, "(make deps installs it)")
		return 1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	l, err := New(Options{Prefix: TestPrefix, BinDir: binDir(), Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Another run of this suite on the machine: wait for it, never break it.
	if err := l.Lock(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer l.Unlock()
	down := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := l.Down(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "test/lab: down:", err)
			return 1
		}
		left, err := l.Leftovers()
		if err != nil || len(left) > 0 {
			fmt.Fprintln(os.Stderr, "test/lab: left behind after Down:", left, err)
			return 1
		}
		return 0
	}
	if t := testTimeout(); t > 0 {
		margin := min(time.Minute, t/5)
		guard := time.AfterFunc(t-margin, func() {
			fmt.Fprintln(os.Stderr, "test/lab: the go test timeout is near: tearing the lab down")
			down()
			os.Exit(2)
		})
		defer guard.Stop()
	}
	start := time.Now()
	if err := l.Up(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "test/lab: up:", err)
		down()
		return 1
	}
	fmt.Fprintf(os.Stderr, "test/lab: lab up in %v\n", time.Since(start).Round(time.Millisecond))
	theLab = l
	code := m.Run()
	if down() != 0 && code == 0 {
		code = 1
	}
	return code
}

// testTimeout is go test's -timeout (0 = none).
func testTimeout() time.Duration {
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil {
			return d
		}
	}
	return 0
}

// binDir is the repository's bin/ (make build), found from the package
// directory.
func binDir() string {
	dir, _ := os.Getwd()
	for d := dir; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "bin")
		}
	}
	return ""
}

// waitHealthy fails the test unless the lab returns to its steady state.
func waitHealthy(t *testing.T) {
	t.Helper()
	var last error
	err := poll(context.Background(), 60*time.Second, func() (bool, error) {
		last = theLab.Healthy(context.Background())
		return last == nil, nil
	})
	if err != nil {
		st, _ := theLab.Status(context.Background())
		t.Fatalf("lab not healthy again: %v\n%v", last, st)
	}
}

// testCtx is a context for one test step.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// connect opens one fresh connection (no pool to hide a failure) as u from
// host from to addr and closes it.
func connect(ctx context.Context, from string, addr netip.Addr, u User) error {
	c, err := theLab.ConfigFrom(from, addr, u, "")
	if err != nil {
		return err
	}
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return err
	}
	dc, err := conn.Connect(ctx)
	if err != nil {
		return err
	}
	return dc.Close()
}

// dial opens a TCP connection from host from to addr:3306 and closes it.
func dial(ctx context.Context, from string, to netip.Addr) error {
	c, err := theLab.Dial(ctx, from, netip.AddrPortFrom(to, MySQLPort).String())
	if err != nil {
		return err
	}
	return c.Close()
}

// hostAddr is a topology host's address.
func hostAddr(t *testing.T, name string) netip.Addr {
	t.Helper()
	h, err := LookupHost(name)
	if err != nil {
		t.Fatal(err)
	}
	return h.Addr
}

// openApp is a pool for the app account from the app host to a db host.
func openApp(t *testing.T, to string) *sql.DB {
	t.Helper()
	db, err := theLab.OpenFrom("app", hostAddr(t, to), AppUser, AppDatabase)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// rootOn is a root pool on a db host's socket, closed after the test.
func rootOn(t *testing.T, host string) *rootConn {
	t.Helper()
	s, err := theLab.Server(host)
	if err != nil {
		t.Fatal(err)
	}
	r, err := openRoot(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// replicaStatus is SHOW SLAVE STATUS of a db host.
func replicaStatus(t *testing.T, r *rootConn) map[string]string {
	t.Helper()
	st, err := r.slaveStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// mysqlErrno returns the MySQL error number in err, or 0.
func mysqlErrno(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}
