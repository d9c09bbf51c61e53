package api_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api/apitest"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// cluster is a leader db1 and a follower db2, each behind its own server
// with the same token; the client talks to the follower's socket.
type cluster struct {
	leader, follower *apitest.Backend
	leaderAddr       string
	client           *api.Client
}

func newCluster(t *testing.T) cluster {
	tok := tokenFile(t, "s3cret")
	l, f := apitest.New(t), apitest.New(t)
	ls := apitest.Serve(t, l, api.ServerOptions{TokenFile: tok})
	f.SetLeader("db2", "db1", ls.Addr)
	fs := apitest.Serve(t, f, api.ServerOptions{TokenFile: tok})
	return cluster{leader: l, follower: f, leaderAddr: ls.Addr, client: client(t, api.ClientOptions{Socket: fs.Socket})}
}

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestForwardToLeader(t *testing.T) {
	c := newCluster(t)
	ctx := ctxT(t)
	rep, err := c.client.Command(ctx, fsm.Command{Op: fsm.OpSetOffline, Host: "db3"})
	if err != nil || !strings.HasPrefix(rep.Text, "OK: State of 'db3' changed to ADMIN_OFFLINE.") {
		t.Fatalf("forwarded set_offline = %+v, %v", rep, err)
	}
	// The leader's refusals come back as they are.
	rep, err = c.client.Command(ctx, fsm.Command{Op: fsm.OpSetIP, IP: "198.18.0.101", Host: "db2"})
	if !errors.Is(err, api.ErrRefused) || rep.Text != "ERROR: This command is only allowed in passive mode" {
		t.Errorf("forwarded set_ip = %+v, %v", rep, err)
	}
	if _, err := c.client.Command(ctx, fsm.Command{Op: fsm.OpSetOffline, Host: "db9"}); !errors.Is(err, api.ErrUnknownName) {
		t.Errorf("forwarded unknown host = %v", err)
	}
	sw, err := c.client.Switchover(ctx, "")
	if err != nil || sw.Command != "move_role writer db2" ||
		sw.Text != "OK: Role 'writer' has been moved from 'db1' to 'db2'. Now you can wait some time and check new roles info!" {
		t.Errorf("forwarded switchover = %+v, %v", sw, err)
	}
	if err := c.client.ReportVRRP(ctx, api.VRRPReport{Host: "db2", State: "MASTER"}); err != nil {
		t.Errorf("forwarded vrrp report: %v", err)
	}
	if got := len(c.leader.Commands()); got != 4 {
		t.Errorf("leader applied %d commands, want 4", got)
	}
	if got := len(c.leader.VRRPReports()); got != 1 {
		t.Errorf("leader recorded %d vrrp reports, want 1", got)
	}
	if got := len(c.follower.Commands()) + len(c.follower.VRRPReports()); got != 0 {
		t.Errorf("follower applied %d writes itself", got)
	}
	// Reads are the follower's own.
	if p, err := c.client.Ping(ctx); err != nil || p.Node != "db2" || p.Leader != "db1" {
		t.Errorf("ping the follower = %+v, %v", p, err)
	}
}

// TestFollowerShowsLeaderObservations: status and show on a follower
// carry the leader's observations of the hosts' MySQL (only the leader
// probes); when the leader cannot be asked, they say so and why.
func TestFollowerShowsLeaderObservations(t *testing.T) {
	c := newCluster(t)
	c.leader.SetObservation(api.HostObs{Host: "db3", Reachable: true, Master: "db1"})
	ctx := ctxT(t)
	st, err := c.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range st.Hosts {
		if h.Host == "db3" {
			found = h.Obs != nil && h.Obs.Master == "db1"
		}
	}
	if !found || len(st.Warnings) != 0 {
		t.Errorf("follower status = hosts %+v warnings %q, want the leader's db3 (master db1), no warning", st.Hosts, st.Warnings)
	}
	snap, err := c.client.Snapshot(ctx)
	if err != nil || len(snap.Hosts) != 3 || snap.Node != "db2" {
		t.Errorf("follower show = node %s, %d hosts, %v; want db2 with the leader's 3", snap.Node, len(snap.Hosts), err)
	}

	// The leader's API refuses connections.
	c.follower.SetLeader("db2", "db1", closedAddr(t))
	st, err = c.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Warnings) != 1 || !strings.HasPrefix(st.Warnings[0], "MySQL observations are kept by the leader db1; asking it failed: ") {
		t.Errorf("status with the leader unreachable: warnings %q", st.Warnings)
	}
}

func TestNoLeader(t *testing.T) {
	c := newCluster(t)
	c.follower.SetLeader("db2", "", "")
	start := time.Now()
	_, err := c.client.Command(shortCtx(t), fsm.Command{Op: fsm.OpMode})
	// The server gives up before the client's deadline and says why.
	if !errors.Is(err, api.ErrNoLeader) || !strings.Contains(err.Error(), "no raft leader") {
		t.Errorf("Command without a leader = %v, want ErrNoLeader", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("gave up after %v, want about the 400 ms deadline", d)
	}
	if err := c.client.ReportVRRP(shortCtx(t), api.VRRPReport{Host: "db2", State: "BACKUP"}); !errors.Is(err, api.ErrNoLeader) {
		t.Errorf("ReportVRRP without a leader = %v", err)
	}
	// Reads are answered from the node's own state, which says it has no
	// leader: the client can tell the state may be stale.
	if snap, err := c.client.Snapshot(shortCtx(t)); err != nil || snap.Leader != "" {
		t.Errorf("Snapshot without a leader: leader %q, %v", snap.Leader, err)
	}
	if st, err := c.client.Status(shortCtx(t)); err != nil || st.Leader != "" {
		t.Errorf("Status without a leader: leader %q, %v", st.Leader, err)
	}
	if ch, err := c.client.Checks(shortCtx(t), "", ""); err != nil || !ch.NoLeader {
		t.Errorf("Checks without a leader: NoLeader %v, %v", ch.NoLeader, err)
	}
	c.follower.SetLeader("db2", "db1", "")
	if ch, err := c.client.Checks(shortCtx(t), "", ""); err != nil || ch.NoLeader {
		t.Errorf("Checks with a leader: NoLeader %v, %v", ch.NoLeader, err)
	}
}

// electing is a follower that learns the leader on its third attempt.
type electing struct {
	*apitest.Backend
	calls      atomic.Int32
	leaderAddr string
}

func (e *electing) Command(ctx context.Context, cmd fsm.Command) (fsm.Reply, error) {
	if e.calls.Add(1) == 3 {
		e.SetLeader("db2", "db1", e.leaderAddr)
	}
	return e.Backend.Command(ctx, cmd)
}

func TestLeaderElectedDuringRequest(t *testing.T) {
	c := newCluster(t)
	e := &electing{Backend: c.follower, leaderAddr: c.leaderAddr}
	e.SetLeader("db2", "", "")
	cl := client(t, api.ClientOptions{Socket: apitest.Serve(t, e, api.ServerOptions{TokenFile: tokenFile(t, "s3cret")}).Socket})
	rep, err := cl.Command(ctxT(t), fsm.Command{Op: fsm.OpMode})
	if err != nil || rep.Text != "ACTIVE" {
		t.Fatalf("Command = %+v, %v", rep, err)
	}
	if n := e.calls.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}

func TestLeaderUnreachable(t *testing.T) {
	c := newCluster(t)
	gone := closedAddr(t)
	c.follower.SetLeader("db2", "db1", gone)
	_, err := c.client.Command(shortCtx(t), fsm.Command{Op: fsm.OpMode})
	if !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "the leader db1 at "+gone) {
		t.Errorf("Command with the leader gone = %v, want ErrUnavailable naming it", err)
	}
}

func TestForwardWithWrongToken(t *testing.T) {
	l, f := apitest.New(t), apitest.New(t)
	ls := apitest.Serve(t, l, api.ServerOptions{TokenFile: tokenFile(t, "leader")})
	f.SetLeader("db2", "db1", ls.Addr)
	cl := client(t, api.ClientOptions{Socket: apitest.Serve(t, f, api.ServerOptions{TokenFile: tokenFile(t, "follower")}).Socket})
	_, err := cl.Command(ctxT(t), fsm.Command{Op: fsm.OpMode})
	// Not ErrUnauthorized: the operator's own credentials were fine.
	if !errors.Is(err, api.ErrUnavailable) || !strings.Contains(err.Error(), "refused this node's token") {
		t.Errorf("Command = %v, want ErrUnavailable about the token", err)
	}
}

func TestForwardedRequestIsNotForwardedAgain(t *testing.T) {
	// db2 and db3 each believe the other leads: a forwarding loop unless
	// forwarded requests stay put.
	tok := tokenFile(t, "s3cret")
	b2, b3 := apitest.New(t), apitest.New(t)
	s3 := apitest.Serve(t, b3, api.ServerOptions{TokenFile: tok})
	s2 := apitest.Serve(t, b2, api.ServerOptions{TokenFile: tok})
	b2.SetLeader("db2", "db3", s3.Addr)
	b3.SetLeader("db3", "db2", s2.Addr)
	_, err := client(t, api.ClientOptions{Socket: s2.Socket}).Command(shortCtx(t), fsm.Command{Op: fsm.OpMode})
	// Usually "not the leader"; when the deadline strikes while a forward
	// is in flight, "the leader did not answer in time".
	if !errors.Is(err, api.ErrNoLeader) && !(errors.Is(err, api.ErrUnavailable) && strings.Contains(err.Error(), "did not answer in time")) {
		t.Errorf("Command = %v, want ErrNoLeader", err)
	}
	if n := len(b2.Commands()) + len(b3.Commands()); n != 0 {
		t.Errorf("%d commands applied by followers", n)
	}
}
