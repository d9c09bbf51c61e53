package coordinator

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Watcher timing: how often a refused or failing connect is retried, and
// how often an idle connection is pinged besides waiting on it.
const (
	watchRetry  = 250 * time.Millisecond
	watchHealth = 30 * time.Second
)

// watchMySQL watches the local mysqld over its unix socket with one
// persistent, authenticated connection (the monitor account). While idle
// it waits for the connection to become readable, which costs nothing
// and wakes at once when mysqld dies (the kernel closes its end) or shuts
// down (it says so first); then the reconnect decides. Definitive
// evidence that mysqld is gone is a refused connect (ECONNREFUSED:
// nothing listens, mysqld died) or a missing socket (ENOENT: mysqld
// stopped and removed it). Anything else — a timeout, a refused login,
// too many connections — proves nothing and is left to the leader's
// checks and their trap_period.
func (c *Coordinator) watchMySQL(ctx context.Context) {
	h := c.cfg.Host(c.host)
	if h.MySQLSocket == "" {
		c.log.Info("mysql_socket is not set: the local mysqld is not watched (no fast evidence)")
		return
	}
	w := mysqlWatch{connect: func(ctx context.Context) (watchedConn, error) {
		return dialWatched(ctx, h.MySQLSocket, h.MonitorUser, h.MonitorPassword)
	}, report: c.local.setEvidence, socket: h.MySQLSocket, host: c.host, now: c.now,
		warn: func(msg string, err error) { c.log.Warn(msg, "socket", h.MySQLSocket, "err", err) }}
	w.run(ctx)
}

// watchedConn is an authenticated connection to the local mysqld.
type watchedConn interface {
	Ping(ctx context.Context) error
	// Wait blocks until the server sends something or closes the
	// connection (ready), for at most max or until ctx ends. It consumes
	// nothing.
	Wait(ctx context.Context, max time.Duration) (ready bool, err error)
	Close() error
}

// mysqlWatch is the watcher's logic behind a connect function (tests).
type mysqlWatch struct {
	connect func(context.Context) (watchedConn, error)
	report  func(*fsm.Evidence)
	warn    func(string, error)
	socket  string
	host    string
	now     func() time.Time

	conn   watchedConn
	down   bool
	warned bool
}

func (w *mysqlWatch) run(ctx context.Context) {
	defer func() {
		if w.conn != nil {
			w.conn.Close()
		}
	}()
	for ctx.Err() == nil {
		if w.conn == nil {
			if !w.reconnect(ctx) {
				sleepCtx(ctx, watchRetry)
			}
			continue
		}
		ready, err := w.conn.Wait(ctx, watchHealth)
		if ctx.Err() != nil {
			return
		}
		if !ready && err != nil && !errors.Is(err, ErrWaitTimeout) {
			w.drop() // the wait itself failed: start over
			continue
		}
		w.check(ctx)
	}
}

// ErrWaitTimeout is what watchedConn.Wait returns when max passed.
var ErrWaitTimeout = errors.New("coordinator: wait timed out")

// check pings the connection; on failure it reconnects at once: only the
// connect error tells whether mysqld is gone.
func (w *mysqlWatch) check(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	err := w.conn.Ping(pctx)
	cancel()
	if err == nil {
		return
	}
	w.drop()
	w.reconnect(ctx)
}

func (w *mysqlWatch) drop() {
	w.conn.Close()
	w.conn = nil
}

// reconnect connects, classifies a failure and reports a change; it says
// whether it got a connection.
func (w *mysqlWatch) reconnect(ctx context.Context) bool {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	conn, err := w.connect(cctx)
	cancel()
	if err == nil {
		w.conn = conn
		if w.down {
			w.down = false
			w.report(nil)
		}
		w.warned = false
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	if kind, detail := definitive(err, w.socket); kind != fsm.EvidenceInvalid {
		if !w.down {
			w.down = true
			w.report(&fsm.Evidence{Host: w.host, Kind: kind, Observed: w.now(), Detail: detail})
		}
		return false
	}
	if !w.warned {
		w.warned = true
		w.warn("cannot connect to the local mysqld (not definitive: left to the checks)", err)
	}
	return false
}

// definitive classifies a connect error: ECONNREFUSED or ENOENT on the
// socket prove that no mysqld listens.
func definitive(err error, socket string) (fsm.EvidenceKind, string) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fsm.EvidenceSocketRefused, "connection refused on " + socket
	case errors.Is(err, syscall.ENOENT), errors.Is(err, fs.ErrNotExist):
		return fsm.EvidenceSocketRefused, socket + " does not exist"
	}
	return fsm.EvidenceInvalid, ""
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// sockConn is a go-sql-driver connection whose socket the watcher can
// wait on.
type sockConn struct {
	dc driver.Conn
	nc net.Conn
}

// dialWatched opens an authenticated connection over the unix socket.
func dialWatched(ctx context.Context, socket, user, password string) (watchedConn, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr = "unix", socket
	cfg.User, cfg.Passwd = user, password
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = time.Second, time.Second, time.Second
	var nc net.Conn
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		nc = c
		return c, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := conn.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := nc.(syscall.Conn); !ok {
		dc.Close()
		return nil, fmt.Errorf("coordinator: %T has no file descriptor", nc)
	}
	return sockConn{dc: dc, nc: nc}, nil
}

func (s sockConn) Ping(ctx context.Context) error { return s.dc.(driver.Pinger).Ping(ctx) }
func (s sockConn) Close() error                   { return s.dc.Close() }

// Wait peeks at the socket (MSG_PEEK: the driver still reads whatever
// arrived) through the runtime's poller, under a read deadline.
func (s sockConn) Wait(ctx context.Context, max time.Duration) (bool, error) {
	rc, err := s.nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return false, err
	}
	_ = s.nc.SetReadDeadline(time.Now().Add(max))
	defer s.nc.SetReadDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { _ = s.nc.SetReadDeadline(time.Now()) })
	defer stop()
	var b [1]byte
	ready := false
	err = rc.Read(func(fd uintptr) bool {
		_, _, e := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if errors.Is(e, syscall.EAGAIN) {
			return false
		}
		ready = true
		return true
	})
	switch {
	case ready:
		return true, nil
	case errors.Is(err, syscall.ETIMEDOUT), isTimeout(err):
		return false, ErrWaitTimeout
	}
	return false, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
