package coordinator

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestAskQuorum: the lease is renewed from the asking time only when a
// quorum of voters, this node included, knows no leader.
func TestAskQuorum(t *testing.T) {
	yes, no := peerStatus{Leaderless: true}, peerStatus{}
	down := errors.New("no answer")
	type answer struct {
		st  peerStatus
		err error
	}
	tests := []struct {
		name    string
		answers map[string]answer
		want    bool
	}{
		{"both peers leaderless", map[string]answer{"db2": {yes, nil}, "db3": {yes, nil}}, true},
		{"one peer leaderless, one silent: 2 of 3", map[string]answer{"db2": {yes, nil}, "db3": {no, down}}, true},
		{"one follows a leader, one silent", map[string]answer{"db2": {no, nil}, "db3": {no, down}}, false},
		{"cut off: nobody answers", map[string]answer{"db2": {no, down}, "db3": {no, down}}, false},
		{"both follow a leader", map[string]answer{"db2": {no, nil}, "db3": {no, nil}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Coordinator{host: "db1", node: &node{},
				peers: []Peer{{ID: "db1"}, {ID: "db2"}, {ID: "db3"}},
				opts: Options{AskPeer: func(ctx context.Context, peer string) (peerStatus, error) {
					if peer == "db1" {
						t.Errorf("asked itself")
					}
					a := tt.answers[peer]
					return a.st, a.err
				}}}
			before := time.Now()
			got := c.askQuorum(context.Background(), 100*time.Millisecond, 2)
			if got != tt.want {
				t.Fatalf("askQuorum = %v, want %v", got, tt.want)
			}
			confirmed := time.Unix(0, c.node.confirmed.Load())
			switch {
			case tt.want && confirmed.Before(before):
				t.Errorf("renewed from %v, before the question (%v)", confirmed, before)
			case !tt.want && c.node.confirmed.Load() != 0:
				t.Errorf("renewed without a quorum")
			}
		})
	}
}
