package coordinator

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// semisyncEvery is how often an inspection reads semisync (two
// statements): `mmmctl status` shows it, no decision depends on it, so a
// reading a few seconds old serves, and an idle leader saves two round
// trips per host and round.
const semisyncEvery = 10 * time.Second

// mysqlReader is what an inspection reads of one host; *dbctl.Server and
// *checks.Server (the checks' persistent connection) both are.
type mysqlReader interface {
	ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error)
	ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error)
	GTIDState(ctx context.Context) (dbctl.GTIDState, error)
	Semisync(ctx context.Context) (dbctl.SemisyncStatus, error)
}

// inspection is the reading logic both inspectors share; it remembers
// each host's last semisync reading.
type inspection struct {
	now func() time.Time

	mu   sync.Mutex
	semi map[string]semiReading
}

type semiReading struct {
	at time.Time
	dbctl.SemisyncStatus
}

func newInspection() *inspection {
	return &inspection{now: time.Now, semi: map[string]semiReading{}}
}

// read inspects host through r. SHOW SLAVE STATUS goes first: a
// persistent checks.Server shares it with the round's replication checks,
// and a failure to connect ends the inspection at once rather than
// trying to connect for every statement.
func (x *inspection) read(ctx context.Context, cfg *config.Config, host string, r mysqlReader) (Inspection, error) {
	now := x.now()
	in := Inspection{Obs: api.HostObs{Host: host, Observed: now, Reachable: true}}
	var errs []error
	switch rs, err := r.ReplicaStatus(ctx); {
	case errors.Is(err, dbctl.ErrNotReplica):
		none := ""
		in.Follows = &none
	case checks.IsConnectError(err):
		in.Obs.Reachable, in.Obs.LastError = false, err.Error()
		return in, err
	case err != nil:
		errs = append(errs, err)
	default:
		m := hostOf(cfg, rs.SourceHost, rs.SourcePort)
		in.Follows = &m
		in.Obs.Master = m
		if m == "" {
			in.Obs.Master = net.JoinHostPort(rs.SourceHost, strconv.Itoa(rs.SourcePort))
		}
		in.Obs.IORunning, in.Obs.SQLRunning = rs.IO.String(), rs.SQL.String()
		if rs.SecondsBehind.Valid {
			v := rs.SecondsBehind.Int64
			in.Obs.SecondsBehind = &v
		}
		if rs.LastIOError != "" {
			in.Obs.LastError = "IO: " + rs.LastIOError
		}
		if rs.LastSQLError != "" {
			in.Obs.LastError = "SQL: " + rs.LastSQLError
		}
	}
	if ro, err := r.ReadOnly(ctx); err != nil {
		errs = append(errs, err)
	} else {
		w := !ro.ReadOnly
		in.Writable, in.Obs.ReadOnly = &w, &ro.ReadOnly
	}
	if g, err := r.GTIDState(ctx); err != nil {
		errs = append(errs, err)
	} else {
		// MariaDB's current position, or MySQL's executed set (the other
		// flavour's fields stay empty).
		text := g.CurrentPos.String()
		if text == "" {
			text = g.Executed.String()
		}
		in.Obs.GTIDExecuted = text
		if p, err := fsm.ParsePosition(text); err == nil {
			in.Position = p
		}
	}
	if s, ok := x.semisync(ctx, host, now, r); ok {
		peers := int(s.Clients)
		in.Obs.SemisyncOn, in.Obs.SemisyncPeers = &s.MasterActive, &peers
		in.Obs.SemisyncMaster, in.Obs.SemisyncReplica = &s.MasterEnabled, &s.ReplicaEnabled
		in.Obs.SemisyncReplicaOn, in.Obs.SemisyncTimeout = &s.ReplicaActive, s.MasterTimeout
	}
	if err := errors.Join(errs...); err != nil {
		if in.Obs.LastError == "" {
			in.Obs.LastError = err.Error()
		}
		return in, err
	}
	return in, nil
}

// semisync returns host's semisync reading, read afresh every
// semisyncEvery; ok is false when the server has none or it failed.
func (x *inspection) semisync(ctx context.Context, host string, now time.Time, r mysqlReader) (semiReading, bool) {
	x.mu.Lock()
	last, ok := x.semi[host]
	x.mu.Unlock()
	if ok && now.Sub(last.at) < semisyncEvery && !now.Before(last.at) {
		return last, true
	}
	ss, err := r.Semisync(ctx)
	if err != nil {
		return semiReading{}, false
	}
	s := semiReading{at: now, SemisyncStatus: ss}
	x.mu.Lock()
	x.semi[host] = s
	x.mu.Unlock()
	return s, true
}
