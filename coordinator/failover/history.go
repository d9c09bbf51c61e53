package failover

import (
	"context"
	"fmt"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// history is what one server has applied, read at one moment.
type history struct {
	// binlog is what the server can serve to replicas: MariaDB
	// @@gtid_binlog_pos, MySQL @@gtid_executed (with log_slave_updates).
	binlog Position
	// applied is everything it has applied: MariaDB gtid_binlog_pos
	// joined with gtid_slave_pos (a server without log_slave_updates or
	// without a binlog logs less than it applied), MySQL gtid_executed.
	applied Position
	// state is MariaDB's @@gtid_binlog_state: the last GTID logged per
	// domain and server id (empty on MySQL).
	state []gtid.MariaDBGTID
}

// readHistory reads srv's GTID bookkeeping, once more at once when the
// connection was killed under it (retryLost).
func readHistory(ctx context.Context, srv Server) (history, error) {
	return retryLost(func() (history, error) { return readHistoryOnce(ctx, srv) })
}

// retryLost runs read again, at once and once, when its connection was
// killed under it (dbctl.ConnectionLost): in a switchover mmm-notify
// fences the old writer while the catch-up reads it, and its kill rounds
// take every session, ours too. Reads only: they are safe to repeat.
func retryLost[T any](read func() (T, error)) (T, error) {
	v, err := read()
	if dbctl.ConnectionLost(err) {
		return read()
	}
	return v, err
}

func readHistoryOnce(ctx context.Context, srv Server) (history, error) {
	st, err := srv.GTIDState(ctx)
	if err != nil {
		return history{}, err
	}
	if srv.Flavor() != dbctl.MariaDB {
		p := MySQLPosition(st.Executed)
		return history{binlog: p, applied: p}, nil
	}
	h := history{binlog: MariaDBPosition(st.BinlogPos)}
	h.applied = h.binlog.Union(MariaDBPosition(st.SlavePos))
	if h.state, err = srv.BinlogGTIDState(ctx); err != nil {
		return history{}, err
	}
	return h, nil
}

// received parses what a replica's IO thread has received (Gtid_IO_Pos,
// Retrieved_Gtid_Set); empty when rs is nil.
func received(f dbctl.Flavor, rs *dbctl.ReplicaStatus) (Position, error) {
	if rs == nil {
		return Position{}, nil
	}
	p, err := ParsePosition(f, rs.RetrievedGTID)
	if err != nil {
		return Position{}, fmt.Errorf("received position %q: %w", rs.RetrievedGTID, err)
	}
	return p, nil
}

// errant lists the transactions host has that writer lacks, as GTIDs
// (see ErrantError). Pure.
//
// MariaDB needs two comparisons. Per domain (gtid.Subtract on the
// positions) finds what the writer is behind on or diverged from. But a
// position keeps one GTID per domain: when the writer has gone on
// writing, host's unshipped 0-1-101 looks contained in the writer's
// 0-2-500. Per domain and server id (@@gtid_binlog_state) it is not: the
// writer's last GTID from server 1 is 0-1-100. With gtid_strict_mode the
// sequence numbers of one server in one domain only grow, so a lower or
// missing entry on the writer means it never logged host's.
func errant(host, writer history) []string {
	if host.applied.flavor == dbctl.MySQL {
		d := host.applied.Subtract(writer.applied)
		if d.IsEmpty() {
			return nil
		}
		var out []string
		for _, el := range strings.Split(d.String(), ",") {
			out = append(out, strings.TrimSpace(el))
		}
		return out
	}
	var out []string
	seen := map[string]bool{}
	add := func(g gtid.MariaDBGTID) {
		if s := g.String(); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, g := range host.state {
		if w, ok := stateEntry(writer.state, g.Domain, g.Server); !ok || w.Seq < g.Seq {
			add(g)
		}
	}
	for _, g := range host.applied.Subtract(writer.applied).maria.GTIDs() {
		add(g)
	}
	return out
}

func stateEntry(state []gtid.MariaDBGTID, domain, server uint32) (gtid.MariaDBGTID, bool) {
	for _, g := range state {
		if g.Domain == domain && g.Server == server {
			return g, true
		}
	}
	return gtid.MariaDBGTID{}, false
}
