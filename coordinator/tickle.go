package coordinator

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/tcpsess"
)

// The tickler's timing. Sessions are listed every tickleList for the
// first tickleListFor (a client reconnecting while the fence runs makes
// sessions that end between two looks), then every tickleGap until
// tickleDenseFor, then at each tickleLater. A session is tickled when
// first seen, then again whenever tickleGap has passed: a client answers
// such a segment at most every 500 ms per session
// (net.ipv4.tcp_invalid_ratelimit), and a tickle answered before the
// address is up elsewhere goes into the void, the next one does not. So
// once the new writer has raised the address, its clients hear of it
// within tickleGap: a failover's new writer does so within seconds (the
// leader's decision comes at 1.25 × lease after the last contact, a
// frozen writer's after its kill at fence_timeout); the sparse rounds
// cover slower ones.
const (
	tickleList     = 200 * time.Millisecond
	tickleListFor  = 3 * time.Second
	tickleGap      = 600 * time.Millisecond
	tickleDenseFor = 10 * time.Second
)

var tickleLater = []time.Duration{13 * time.Second, 17 * time.Second}

// tickleRounds is every round's time from the start.
func tickleRounds() []time.Duration {
	var out []time.Duration
	at := time.Duration(0)
	for ; at <= tickleListFor; at += tickleList {
		out = append(out, at)
	}
	for at = tickleListFor + tickleGap; at <= tickleDenseFor; at += tickleGap {
		out = append(out, at)
	}
	return append(out, tickleLater...)
}

// tickler tells the clients of a demoted writer's VIP that the address
// has moved. The self-fence ends their sessions, but once keepalived
// has removed the address (a failed mmm-check takes it away at once;
// a cut-off writer closes its track file) no reset leaves this host, and
// a client waiting for an answer waits out its own timeout, often tens
// of seconds. The tickles make the client ask the address's new holder,
// which resets the session. Sessions are listed at every round and
// remembered, so that those ended meanwhile (the fence's kills, a killed
// mysqld) are told too. Harmless to a session that lives on.
type tickler struct {
	list   func() ([]tcpsess.Session, error)
	tickle func([]tcpsess.Session) (int, error)
	after  func(time.Duration) <-chan time.Time
	log    *slog.Logger
}

// newTickler returns the tickler of this host's writer VIP sessions, or
// nil when the host holds no writer role.
func (c *Coordinator) newTickler() *tickler {
	role := c.cfg.WriterRole()
	h := c.cfg.Host(c.host)
	if role == nil || h == nil || !slices.Contains(role.Hosts, c.host) {
		return nil
	}
	ips, port := role.IPs, h.MySQLPort
	return &tickler{
		list:   func() ([]tcpsess.Session, error) { return tcpsess.ListWaiting(ips, port) },
		tickle: tcpsess.Tickle,
		after:  time.After,
		log:    c.log,
	}
}

// run tickles on the tickleRounds schedule until it ends or ctx does.
func (t *tickler) run(ctx context.Context) {
	type known struct {
		s    tcpsess.Session
		last time.Duration // when it was last tickled
	}
	seen := map[[2]netip.AddrPort]*known{}
	var order []*known
	var last time.Duration
	sent, warned := 0, false
	warn := func(msg string, err error) {
		if err != nil && !warned {
			warned = true
			t.log.Warn(msg, "err", err)
		}
	}
	for _, at := range tickleRounds() {
		select {
		case <-ctx.Done():
			return
		case <-t.after(at - last):
		}
		last = at
		now, err := t.list()
		warn("listing the writer VIP's client sessions", err)
		var due []tcpsess.Session
		for _, s := range now {
			k := [2]netip.AddrPort{s.Local, s.Remote}
			if _, ok := seen[k]; !ok {
				seen[k] = &known{s: s, last: at}
				order = append(order, seen[k])
				due = append(due, s)
			}
		}
		for _, k := range order {
			if at-k.last >= tickleGap {
				k.last = at
				due = append(due, k.s)
			}
		}
		if len(due) == 0 {
			continue
		}
		n, err := t.tickle(due)
		sent += n
		warn("telling the writer VIP's clients that it moved", err)
		t.log.Debug("tickled the writer VIP's clients", "at", at, "listed", len(now), "sessions", len(order), "sent", n)
	}
	if len(order) > 0 {
		t.log.Info("told the writer VIP's clients that it moved", "sessions", len(order), "tickles", sent)
	}
}
