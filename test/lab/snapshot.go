package lab

import (
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Helpers for suites that read the coordinators' state through their API.

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

// WriterOf is the host holding the writer role in s ("" = none).
func WriterOf(s api.Snapshot) string { return s.State.Owner("writer") }
