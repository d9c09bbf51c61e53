package chaos

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// roles is who is who when a fault is injected.
type roles struct {
	writer, leader, peer string
	others               []string // the db hosts that are not the writer, in order
}

// currentRoles reads the writer and the raft leader from the leader's
// state; without a leader the writer is the live holder of the writer
// VIP, else db1 (a fault must still hit someone).
func (c *campaign) currentRoles() roles {
	var r roles
	if s, ok := c.l.LeaderSnapshot(); ok {
		r.writer, r.leader = lab.WriterOf(s), s.Leader
	}
	if r.writer == "" {
		if hs, err := c.l.VIPHolders(lab.WriterVIP); err == nil && len(hs) > 0 {
			r.writer = hs[0]
		}
	}
	if r.writer == "" {
		r.writer = lab.Writer
	}
	if r.leader == "" {
		r.leader = r.writer
	}
	for _, h := range lab.DBHosts() {
		if h.Name != r.writer {
			r.others = append(r.others, h.Name)
		}
		if h.Name == r.writer && h.Peer != "" {
			r.peer = h.Peer
		}
	}
	if r.peer == "" {
		r.peer = "db2"
	}
	return r
}

func (r roles) resolve(p Pick) string {
	switch p {
	case PickWriter:
		return r.writer
	case PickOther0:
		return r.others[0]
	case PickOther1:
		return r.others[min(1, len(r.others)-1)]
	case PickLeader:
		return r.leader
	case PickPeer:
		return r.peer
	}
	return ""
}

// describe names the target with the role it had: "db1 (writer)".
func (r roles) describe(host string) string {
	var rs []string
	if host == r.writer {
		rs = append(rs, "writer")
	}
	if host == r.leader {
		rs = append(rs, "leader")
	}
	if len(rs) == 0 {
		return host
	}
	return fmt.Sprintf("%s (%s)", host, strings.Join(rs, "+"))
}

// inject applies f and returns its target and its reverse.
func (c *campaign) inject(ctx context.Context, f Fault, r roles) (string, lab.Undo, error) {
	l := c.l
	host := r.resolve(f.Pick)
	target := r.describe(host)
	var undo lab.Undo
	var err error
	switch f.Kind {
	case MySQLKill:
		undo, err = l.KillMySQL(ctx, host)
	case MySQLStop:
		undo, err = l.StopMySQL(ctx, host)
	case MySQLFreeze:
		undo, err = l.FreezeMySQL(ctx, host)
	case HostKill:
		undo, err = l.KillHost(ctx, host)
	case NetDown:
		undo, err = l.NetworkDown(ctx, host, 0)
	case CutOff:
		undo, err = l.CutOff(ctx, host)
	case PartitionAll:
		var hosts []string
		for _, h := range lab.DBHosts() {
			hosts = append(hosts, h.Name)
		}
		target = "db1|db2|db3"
		undo, err = l.Isolate(ctx, hosts...)
	case ReplStop:
		t, perr := lab.ParseThread(f.Thread)
		if perr != nil {
			return target, nil, perr
		}
		target += " " + f.Thread
		undo, err = l.StopReplication(ctx, host, t)
	case CoordinatorKill:
		undo, err = l.KillDaemon(ctx, host, "coordinator")
	case KeepalivedKill:
		undo, err = l.KillDaemon(ctx, host, "keepalived")
	case WriterAndLeader:
		target = fmt.Sprintf("mysqld@%s + coordinator@%s", r.writer, r.leader)
		undo, err = c.killWriterAndLeader(ctx, r)
	default:
		return target, nil, fmt.Errorf("chaos: fault %v: unknown kind", f.Kind)
	}
	if err != nil {
		return target, nil, fmt.Errorf("chaos: inject %s on %s: %w", f.Kind, target, err)
	}
	return target, undo, nil
}

// killWriterAndLeader kills both at once (the coordinator first: the
// leader must not see the crash before it dies itself).
func (c *campaign) killWriterAndLeader(ctx context.Context, r roles) (lab.Undo, error) {
	coord, err := c.l.KillDaemon(ctx, r.leader, "coordinator")
	if err != nil {
		return nil, err
	}
	mysqld, err := c.l.KillMySQL(ctx, r.writer)
	if err != nil {
		return nil, errors.Join(err, coord(ctx))
	}
	return func(ctx context.Context) error { return errors.Join(mysqld(ctx), coord(ctx)) }, nil
}
