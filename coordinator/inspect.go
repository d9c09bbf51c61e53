package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// SQLInspector inspects every host over SQL with its monitor account
// (SLAVE MONITOR on MariaDB, REPLICATION CLIENT on MySQL), one small
// pool per host kept open between rounds. CheckProber.Inspect does the
// same over the checks' own connections (one pool per host, not two).
type SQLInspector struct {
	cfg     *config.Config
	timeout time.Duration
	reads   *inspection

	mu      sync.Mutex
	servers map[string]*dbctl.Server
}

var _ Inspector = (*SQLInspector)(nil)

// NewSQLInspector returns an inspector for the hosts of cfg; timeout
// bounds connecting and each statement.
func NewSQLInspector(cfg *config.Config, timeout time.Duration) *SQLInspector {
	return &SQLInspector{cfg: cfg, timeout: timeout, reads: newInspection(), servers: map[string]*dbctl.Server{}}
}

// Inspect reads SHOW SLAVE STATUS, read_only, the GTID position and
// semisync of host.
func (s *SQLInspector) Inspect(ctx context.Context, host string) (Inspection, error) {
	srv, err := s.server(ctx, host)
	if err != nil {
		return Inspection{Obs: api.HostObs{Host: host, Observed: time.Now(), LastError: err.Error()}}, err
	}
	in, err := s.reads.read(ctx, s.cfg, host, srv)
	if err != nil && (ctx.Err() != nil || checks.IsConnectError(err)) {
		s.drop(host)
	}
	return in, err
}

// hostOf maps a replication source (Master_Host, Master_Port) to a host
// name of cfg: by name, then by IP.
func hostOf(cfg *config.Config, addr string, port int) string {
	for _, h := range cfg.Hosts {
		if h.Mode == config.HostModeWitness {
			continue
		}
		if (h.Name == addr || h.IP.String() == addr) && (port == 0 || port == h.MySQLPort) {
			return h.Name
		}
	}
	return ""
}

func (s *SQLInspector) server(ctx context.Context, host string) (*dbctl.Server, error) {
	s.mu.Lock()
	srv := s.servers[host]
	s.mu.Unlock()
	if srv != nil {
		return srv, nil
	}
	h := s.cfg.Host(host)
	if h == nil {
		return nil, fmt.Errorf("%w: unknown host %q", ErrConfig, host)
	}
	c := mysql.NewConfig()
	c.Net, c.Addr = "tcp", net.JoinHostPort(h.IP.String(), strconv.Itoa(h.MySQLPort))
	c.User, c.Passwd = h.MonitorUser, h.MonitorPassword
	c.Timeout, c.ReadTimeout, c.WriteTimeout = s.timeout, s.timeout, s.timeout
	srv, err := dbctl.Open(ctx, c)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.servers[host]; old != nil {
		srv.Close()
		return old, nil
	}
	s.servers[host] = srv
	return srv, nil
}

// drop closes a host's pool after a connection problem, so that the next
// round reconnects (and detects the flavour again after an upgrade).
func (s *SQLInspector) drop(host string) {
	s.mu.Lock()
	srv := s.servers[host]
	delete(s.servers, host)
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Close closes every pool.
func (s *SQLInspector) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for h, srv := range s.servers {
		errs = append(errs, srv.Close())
		delete(s.servers, h)
	}
	return errors.Join(errs...)
}
