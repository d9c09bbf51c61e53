package checks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks/checkstest"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// TestReplicaShare: callers within shareWindow share one read, an answer
// is served until the window passed or forget, a failure is not kept,
// and every caller gets its own copy.
func TestReplicaShare(t *testing.T) {
	errBroken := errors.New("broken pipe")
	tests := []struct {
		name  string
		err   error         // what the reads return
		gap   time.Duration // clock advance between the two calls
		forg  bool          // forget between the two calls
		reads int           // reads wanted for two calls
	}{
		{"answer within the window", nil, shareWindow - time.Millisecond, false, 1},
		{"answer after the window", nil, shareWindow, false, 2},
		{"not a replica is an answer", dbctl.ErrNotReplica, 0, false, 1},
		{"forgotten after a drop", nil, 0, true, 2},
		{"a failure is not kept", errBroken, 0, false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			sh := &replicaShare{now: func() time.Time { return now }}
			reads := 0
			read := func(context.Context) (*dbctl.ReplicaStatus, error) {
				reads++
				if tt.err != nil {
					return nil, tt.err
				}
				return &dbctl.ReplicaStatus{SourceHost: "db1"}, nil
			}
			a, errA := sh.get(context.Background(), read)
			now = now.Add(tt.gap)
			if tt.forg {
				sh.forget()
			}
			b, errB := sh.get(context.Background(), read)
			if reads != tt.reads {
				t.Errorf("%d reads, want %d", reads, tt.reads)
			}
			if !errors.Is(errA, tt.err) || !errors.Is(errB, tt.err) {
				t.Errorf("errors %v, %v, want %v", errA, errB, tt.err)
			}
			if a != nil && b != nil {
				a.SourceHost = "changed"
				if b.SourceHost != "db1" {
					t.Error("callers share one ReplicaStatus value")
				}
			}
		})
	}
}

// TestReplicaShareJoins: callers that come while a read is in flight
// wait for it; one whose context ends stops waiting.
func TestReplicaShareJoins(t *testing.T) {
	sh := &replicaShare{}
	release := make(chan struct{})
	started := make(chan struct{})
	reads := 0
	read := func(context.Context) (*dbctl.ReplicaStatus, error) {
		reads++
		close(started)
		<-release
		return &dbctl.ReplicaStatus{SourceHost: "db1"}, nil
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); sh.get(context.Background(), read) }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sh.get(ctx, read); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled joiner: %v, want context.Canceled", err)
	}
	got := make(chan string, 3)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := sh.get(context.Background(), read)
			if err != nil {
				t.Error(err)
				return
			}
			got <- st.SourceHost
		}()
	}
	close(release)
	wg.Wait()
	close(got)
	for h := range got {
		if h != "db1" {
			t.Errorf("a joiner got %q", h)
		}
	}
	if reads != 1 {
		t.Errorf("%d reads, want 1", reads)
	}
}

// TestPersistentServerSharesReplicaStatus: the readers of one round on a
// persistent Server send one SHOW SLAVE STATUS; a fresh Server sends
// one per call.
func TestPersistentServerSharesReplicaStatus(t *testing.T) {
	f := checkstest.Start(t, checkstest.Options{Answers: answers([]any{"Waiting for master to send event", "Yes", "Yes", "0", "0", ""})})
	count := func() int {
		n := 0
		for _, q := range f.Queries() {
			if q == "SHOW SLAVE STATUS" {
				n++
			}
		}
		return n
	}
	ctx := ctxFor(t, 10*time.Second)
	s := NewPersistentServer(Target{IP: loopback, Port: f.Port(), User: "mmm_monitor", Password: "pw"}.MySQLConfig())
	t.Cleanup(func() { s.Close() })
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.ReplicaStatus(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := count(); n != 1 {
		t.Errorf("persistent: %d queries for three readers, want 1", n)
	}
	fresh := serverFor(f)
	for range 2 {
		if _, err := fresh.ReplicaStatus(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 3 {
		t.Errorf("fresh: %d queries in all, want 3 (one per call)", n)
	}
}
