package api

import (
	"fmt"
	"net/http"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Health endpoints for load balancers (HAProxy's httpchk, ProxySQL,
// orchestrator-style leader checks): unauthenticated, read-only, answered
// by every coordinator from its own committed state about its own host,
// in one line of text; the status code is the answer.
const (
	PathHealth = "/health" // 200: this coordinator has a raft leader; 503 otherwise
	PathWriter = "/writer" // 200: this host holds the writer role and its MySQL is writable
	PathReader = "/reader" // 200: this host is ONLINE and holds a reader role
)

// healthPath reports whether path is one of the unauthenticated health
// endpoints.
func healthPath(path string) bool {
	return path == PathHealth || path == PathWriter || path == PathReader
}

// handleHealth answers GET /health, /writer and /reader. A coordinator
// without a raft leader answers 503 to all three: its state may be old (a
// host cut off from the others must not go on drawing writes).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	snap, err := s.backend.Snapshot(r.Context())
	if err != nil {
		healthAnswer(w, http.StatusServiceUnavailable, "NO: "+err.Error())
		return
	}
	code, text := healthOf(r.URL.Path, snap)
	healthAnswer(w, code, text)
}

// healthOf decides one health endpoint from a snapshot.
func healthOf(path string, snap Snapshot) (int, string) {
	node := snap.Node
	if snap.Leader == "" {
		return http.StatusServiceUnavailable, fmt.Sprintf("NO: %s has no raft leader: its state may be stale", node)
	}
	if path == PathHealth {
		return http.StatusOK, fmt.Sprintf("OK: %s, raft leader %s, term %d, applied %d", node, snap.Leader, snap.Term, snap.Applied)
	}
	h := snap.State.Host(node)
	if h == nil {
		return http.StatusNotFound, fmt.Sprintf("NO: %s is not a database host (a witness)", node)
	}
	switch path {
	case PathWriter:
		owner := snap.State.Owner(snap.Spec.ActiveMasterRole)
		switch {
		case owner != node:
			return http.StatusServiceUnavailable, fmt.Sprintf("NO: the writer is %s, not %s", orNobody(owner), node)
		case !h.Writable:
			return http.StatusServiceUnavailable, fmt.Sprintf("NO: %s holds the writer role but its MySQL is not writable yet", node)
		}
		return http.StatusOK, fmt.Sprintf("OK: %s is the writer", node)
	default: // PathReader
		if h.State != fsm.StateOnline {
			return http.StatusServiceUnavailable, fmt.Sprintf("NO: %s is %s", node, h.State)
		}
		for _, ri := range snap.State.HostRoles(node) {
			if ri.Role != snap.Spec.ActiveMasterRole {
				return http.StatusOK, fmt.Sprintf("OK: %s is ONLINE with %s(%s)", node, ri.Role, ri.IP)
			}
		}
		return http.StatusServiceUnavailable, fmt.Sprintf("NO: %s holds no reader role", node)
	}
}

func orNobody(h string) string {
	if h == "" {
		return "nobody"
	}
	return h
}

func healthAnswer(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, text)
}
