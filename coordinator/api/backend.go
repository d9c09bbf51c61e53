// Package api is mmm-coordinator's HTTP API: the wire types, the server
// (over a unix socket for local callers and over TCP with a bearer token),
// and the client that mmmctl and mmm-notify use.
//
// The server knows nothing of raft: it talks to the coordinator through
// Backend, and forwards writes to the leader itself when Backend says this
// node is not the leader.
package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Backend is what the server needs from the coordinator. Implementations
// are safe for concurrent use; every method honours ctx's deadline.
type Backend interface {
	// Snapshot returns the committed state as this node sees it.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Command applies an admin command through raft and returns the state
	// machine's reply (MMM's text). On a follower it returns a
	// *NotLeaderError so that the server can forward the request.
	Command(ctx context.Context, cmd fsm.Command) (fsm.Reply, error)
	// History returns the newest entries of the replicated history, oldest
	// first, at most limit (0 = all kept).
	History(ctx context.Context, limit int) ([]HistoryEntry, error)
	// ReportVRRP records a keepalived transition of this node's VRRP
	// instance (from mmm-notify or the notify fifo).
	ReportVRRP(ctx context.Context, r VRRPReport) error
}

// NotLeaderError says which node to ask instead.
type NotLeaderError struct {
	Leader     string // host name; "" when no leader is known
	LeaderAPI  string // the leader's TCP API address (host:port); "" when unknown
	RetryAfter time.Duration
}

func (e *NotLeaderError) Error() string {
	if e.Leader == "" {
		return "api: no raft leader at the moment"
	}
	return fmt.Sprintf("api: not the leader; the leader is %s (%s)", e.Leader, e.LeaderAPI)
}

// ErrNoLeader is wrapped by errors returned while no leader is known.
var ErrNoLeader = errors.New("no raft leader")

// Snapshot is one node's view of the cluster.
type Snapshot struct {
	Node    string    // the host whose coordinator answered
	Leader  string    // the raft leader's host name; "" when unknown
	Term    uint64    // raft term
	Applied uint64    // raft index applied to the state
	Members []Member  // raft configuration
	Spec    fsm.Spec  // the cluster as configured (for rendering)
	State   fsm.State // the committed MMM state
	Hosts   []HostObs `json:",omitempty"` // the leader's latest observations per host
	// LeaderAPI is the leader's TCP API address, on a follower that
	// knows it: show and status fetch the leader's Hosts from there.
	LeaderAPI string    `json:",omitempty"`
	Taken     time.Time // when this node built the snapshot
	Warnings  []string  `json:",omitempty"`
}

// Member is one raft voter.
type Member struct {
	Host    string
	Address string // raft address
	Voter   bool
	Leader  bool
}

// HostObs is what the leader last saw of one host's MySQL, for `mmmctl
// status`: replication and semisync at a glance.
type HostObs struct {
	Host          string
	Observed      time.Time
	Reachable     bool   // its coordinator answers
	ReadOnly      *bool  `json:",omitempty"`
	Master        string `json:",omitempty"` // host it replicates from
	IORunning     string `json:",omitempty"` // Yes / No / Connecting
	SQLRunning    string `json:",omitempty"`
	SecondsBehind *int64 `json:",omitempty"`
	GTIDExecuted  string `json:",omitempty"`
	SemisyncOn    *bool  `json:",omitempty"` // master side status
	SemisyncPeers *int   `json:",omitempty"` // master side clients
	// The semisync settings the coordinator keeps (master side enabled
	// on the writer only, replica side enabled and active elsewhere);
	// nil on a server without semisync or an older coordinator.
	SemisyncMaster    *bool         `json:",omitempty"` // master side enabled
	SemisyncReplica   *bool         `json:",omitempty"` // replica side enabled
	SemisyncReplicaOn *bool         `json:",omitempty"` // replica side status
	SemisyncTimeout   time.Duration `json:",omitempty"` // master side timeout
	LastError         string        `json:",omitempty"`
}

// HistoryEntry is one transition or action in the replicated history.
type HistoryEntry struct {
	Index    uint64 // raft index that recorded it
	Time     time.Time
	Kind     string        // "event" (an MMM log line), "action", "command"
	Host     string        `json:",omitempty"`
	Text     string        // MMM wording for events; the action for actions
	Outcome  string        `json:",omitempty"` // actions: ok / failed / retrying
	Duration time.Duration `json:",omitempty"`
	Error    string        `json:",omitempty"`
}

// VRRPReport is one keepalived transition of a host's writer instance.
type VRRPReport struct {
	Host     string
	Instance string
	State    string // MASTER, BACKUP, FAULT, STOP, DELETED
	Priority int
	Seen     time.Time
}
