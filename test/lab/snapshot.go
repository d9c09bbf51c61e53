package lab

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Helpers for suites that read the coordinators' state through their API.

// Client talks to host's coordinator over its API socket.
func (l *Lab) Client(host string) *api.Client {
	c, err := api.NewClient(api.ClientOptions{Socket: filepath.Join(l.StateDir(), host, "mmm.sock")})
	if err != nil {
		panic(err) // a socket path is always a valid option
	}
	return c
}

// LeaderSnapshot reads the committed state from the raft leader (the only
// node with MySQL observations); ok is false when no node names a leader
// that answers.
func (l *Lab) LeaderSnapshot() (api.Snapshot, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, h := range DBHosts() {
		s, err := l.Client(h.Name).Snapshot(ctx)
		if err != nil || s.Leader == "" {
			continue
		}
		if s.Leader == h.Name {
			return s, true
		}
		if ls, err := l.Client(s.Leader).Snapshot(ctx); err == nil && ls.Leader == s.Leader {
			return ls, true
		}
	}
	return api.Snapshot{}, false
}

// WaitState polls the leader's state every 50 ms until cond holds, and
// fails t with the last state seen when limit passes.
func (l *Lab) WaitState(t testing.TB, limit time.Duration, what string, cond func(s api.Snapshot) bool) api.Snapshot {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last api.Snapshot
	for {
		if s, ok := l.LeaderSnapshot(); ok {
			last = s
			if cond(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s; last state (leader %s):\n%s", limit, what, last.Leader, ShowSnapshot(last))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFor polls cond every 50 ms until it holds (true) or limit passes
// (false).
func WaitFor(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// ShowSnapshot renders a coordinator's state as `mmmctl show` does.
func ShowSnapshot(s api.Snapshot) string {
	if !s.State.Started {
		return "(not started)"
	}
	return fsm.Show(s.Spec, s.State)
}

// StateOf is host's MMM state in s (StateUnknown for an unknown host).
func StateOf(s api.Snapshot, host string) fsm.HostState {
	if h := s.State.Host(host); h != nil {
		return h.State
	}
	return fsm.StateUnknown
}

// RepairSource returns the writer to rebuild host from when s shows its
// rejoin refused for errant transactions (the runbook's repair,
// RebuildFrom), and whether it is; never host itself.
func RepairSource(s api.Snapshot, host string) (string, bool) {
	writer := s.State.Owner(s.Spec.ActiveMasterRole)
	h := s.State.Host(host)
	if h == nil || writer == "" || writer == host || !strings.Contains(h.Refused, "errant") {
		return "", false
	}
	return writer, true
}

// WriterOf is the host holding the writer role in s ("" = none).
func WriterOf(s api.Snapshot) string { return s.State.Owner("writer") }
