package fence

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// Local fences a host's own server: the one fence of mmm-notify and of
// the coordinator's self-fence. It connects afresh on every call, with
// the agent account over the host's mysql_socket (or ip:mysql_port).
type Local struct {
	Config  *mysql.Config
	Options Options
}

// LocalFor returns the Local fence of host h, whose every attempt —
// the connect and each read_only — gets attempt: a frozen server (an I/O
// stall, SIGSTOP) accepts the socket's connect and then never answers,
// so a fence that waited on one handshake would use up its caller's
// whole deadline on it instead of trying again.
func LocalFor(cfg *config.Config, h *config.Host, attempt time.Duration) Local {
	c := mysql.NewConfig()
	if h.MySQLSocket != "" {
		c.Net, c.Addr = "unix", h.MySQLSocket
	} else {
		c.Net, c.Addr = "tcp", net.JoinHostPort(h.IP.String(), strconv.Itoa(h.MySQLPort))
	}
	c.User, c.Passwd = h.AgentUser, h.AgentPassword
	c.Timeout = attempt // dial
	return Local{Config: c, Options: Options{MaxKillRetries: cfg.MaxKillRetries,
		ReadOnlyAttempt: attempt, Interval: min(DefaultInterval, attempt)}}
}

// Fence connects and runs Fence within ctx; the connect and its first
// query (the flavour) get Options.ReadOnlyAttempt at most. A server it
// cannot reach in that time is ErrUnreachable: nothing was changed.
func (l Local) Fence(ctx context.Context) (Result, error) {
	octx := ctx
	if a := l.Options.ReadOnlyAttempt; a > 0 {
		var cancel context.CancelFunc
		octx, cancel = context.WithTimeout(ctx, a)
		defer cancel()
	}
	srv, err := dbctl.Open(octx, l.Config)
	if err != nil {
		return Result{}, fmt.Errorf("fence: %w: %w", ErrUnreachable, err)
	}
	defer srv.Close()
	return Fence(ctx, srv, l.Options)
}
