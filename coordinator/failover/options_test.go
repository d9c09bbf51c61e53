package failover

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

func TestNewOptions(t *testing.T) {
	if _, err := New(Options{StopTimeout: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative duration: %v", err)
	}
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := r.Options()
	if o.CatchupTimeout != DefaultCatchupTimeout || o.Policy != config.CatchupRefuse || o.StopIOTimeout != DefaultStopIOTimeout ||
		o.WaitSlice != DefaultWaitSlice || o.Clock == nil {
		t.Errorf("defaults: %+v", o)
	}
	cfg := &config.Config{Coordinator: config.Coordinator{CatchupTimeout: 7 * time.Second, CatchupPolicy: config.CatchupPromote,
		Lease: time.Second, FenceTimeout: 5 * time.Second}}
	r, _ = New(OptionsFrom(cfg))
	if o := r.Options(); o.CatchupTimeout != 7*time.Second || o.Policy != config.CatchupPromote || o.SemisyncTimeout != 7*time.Second {
		t.Errorf("from config: %+v", o)
	}
}

func TestEndpoint(t *testing.T) {
	h := &config.Host{IP: netip.MustParseAddr("198.18.0.12"), MySQLPort: 3306, ReplicationUser: "repl", ReplicationPassword: "pw"}
	e := EndpointOf(h)
	if e.String() != "198.18.0.12:3306" || e.User != "repl" || e.Password != "pw" {
		t.Errorf("%+v", e)
	}
	r, _ := New(Options{})
	src := r.source(e, true)
	if src.String() != "repl@198.18.0.12:3306 (gtid)" || src.ConnectRetry != time.Second || src.HeartbeatPeriod != time.Second {
		t.Errorf("%+v", src)
	}
	for _, tt := range []struct {
		rs   *dbctl.ReplicaStatus
		want bool
	}{
		{nil, false},
		{&dbctl.ReplicaStatus{SourceHost: "198.18.0.12", SourcePort: 3306}, true},
		{&dbctl.ReplicaStatus{SourceHost: "198.18.0.12", SourcePort: 3307}, false},
		{&dbctl.ReplicaStatus{SourceHost: "198.18.0.11", SourcePort: 3306}, false},
	} {
		if got := e.serves(tt.rs); got != tt.want {
			t.Errorf("serves(%+v) = %v", tt.rs, got)
		}
	}
}

func TestRecordString(t *testing.T) {
	r := Record{Steps: []Step{
		{Host: "db2", What: "stop slave SQL_THREAD", Took: 3 * time.Millisecond},
		{Host: "db2", What: "read_only=0", Err: "boom"},
	}}
	if got, want := r.String(), "db2: stop slave SQL_THREAD (3ms); db2: read_only=0: boom"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
