package coordinator

import (
	"context"
	"database/sql/driver"
	"errors"
	"io/fs"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// watchPeriod is how often the local mysqld is pinged over its socket:
// a ping on an open connection costs the server next to nothing.
const watchPeriod = 250 * time.Millisecond

// watchMySQL watches the local mysqld over its unix socket with one
// persistent connection (the monitor account) and reports definitive
// evidence that it is gone: connecting to the socket is refused
// (ECONNREFUSED: nothing listens, mysqld died) or the socket does not
// exist (ENOENT: mysqld stopped and removed it). Anything else — a
// timeout, a refused login, too many connections — proves nothing and is
// left to the leader's checks and their trap_period.
func (c *Coordinator) watchMySQL(ctx context.Context) {
	h := c.cfg.Host(c.host)
	if h.MySQLSocket == "" {
		c.log.Info("mysql_socket is not set: the local mysqld is not watched (no fast evidence)")
		return
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr = "unix", h.MySQLSocket
	cfg.User, cfg.Passwd = h.MonitorUser, h.MonitorPassword
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = time.Second, time.Second, time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		c.log.Error("watching the local mysqld", "err", err)
		return
	}
	w := mysqlWatch{connect: conn.Connect, report: c.local.setEvidence, socket: h.MySQLSocket, host: c.host, now: c.now}
	w.run(ctx, watchPeriod, func(msg string, err error) { c.log.Warn(msg, "socket", h.MySQLSocket, "err", err) })
}

// mysqlWatch is the watcher's logic behind a connect function (tests).
type mysqlWatch struct {
	connect func(context.Context) (driver.Conn, error)
	report  func(*fsm.Evidence)
	socket  string
	host    string
	now     func() time.Time

	conn   driver.Conn
	down   bool
	warned bool
}

func (w *mysqlWatch) run(ctx context.Context, period time.Duration, warn func(string, error)) {
	t := time.NewTicker(period)
	defer t.Stop()
	defer func() {
		if w.conn != nil {
			w.conn.Close()
		}
	}()
	for {
		w.once(ctx, warn)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// once pings the open connection or, without one, connects.
func (w *mysqlWatch) once(ctx context.Context, warn func(string, error)) {
	if w.conn != nil {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := w.conn.(driver.Pinger).Ping(pctx)
		cancel()
		if err == nil {
			return
		}
		w.conn.Close()
		w.conn = nil
		// Reconnect at once: only the connect error tells whether
		// mysqld is gone.
	}
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
		return
	}
	if ctx.Err() != nil {
		return
	}
	if kind, detail := definitive(err, w.socket); kind != fsm.EvidenceInvalid {
		if !w.down {
			w.down = true
			w.report(&fsm.Evidence{Host: w.host, Kind: kind, Observed: w.now(), Detail: detail})
		}
		return
	}
	if !w.warned {
		w.warned = true
		warn("cannot connect to the local mysqld (not definitive: left to the checks)", err)
	}
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
