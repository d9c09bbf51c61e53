//go:build integration

package lab

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
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
	os.Exit(RunSuite(m, Suite{Name: "test/lab", Prefix: TestPrefix, Bare: true, LogLevel: slog.LevelInfo}, &theLab))
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
