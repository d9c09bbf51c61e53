package coordinator

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/checks"
	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// fakeReader is a mysqlReader with canned answers that counts calls.
type fakeReader struct {
	rs       *dbctl.ReplicaStatus
	rsErr    error
	readOnly bool
	gtid     dbctl.GTIDState
	semi     dbctl.SemisyncStatus
	semiErr  error
	calls    map[string]int
}

func (f *fakeReader) count(s string) {
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[s]++
}

func (f *fakeReader) ReplicaStatus(context.Context) (*dbctl.ReplicaStatus, error) {
	f.count("replica")
	return f.rs, f.rsErr
}

func (f *fakeReader) ReadOnly(context.Context) (dbctl.ReadOnlyState, error) {
	f.count("read_only")
	return dbctl.ReadOnlyState{ReadOnly: f.readOnly}, nil
}

func (f *fakeReader) GTIDState(context.Context) (dbctl.GTIDState, error) {
	f.count("gtid")
	return f.gtid, nil
}

func (f *fakeReader) Semisync(context.Context) (dbctl.SemisyncStatus, error) {
	f.count("semisync")
	return f.semi, f.semiErr
}

func mariaPos(t *testing.T, s string) dbctl.GTIDState {
	p, err := gtid.ParseMariaDB(s)
	if err != nil {
		t.Fatal(err)
	}
	return dbctl.GTIDState{CurrentPos: p}
}

// TestInspectionRead: what one inspection makes of the server's answers,
// and that a failure to connect stops it after the first statement.
func TestInspectionRead(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	mysqlSet, err := gtid.ParseMySQL("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		r         fakeReader
		wantErr   bool
		follows   string // "-" = nil
		writable  string // "-" = nil, else "true"/"false"
		gtid      string
		reachable bool
		calls     int // statements sent
	}{
		{"replica of db1", fakeReader{rs: &dbctl.ReplicaStatus{SourceHost: "127.0.0.11", SourcePort: 3306,
			IO: dbctl.ThreadRunning, SQL: dbctl.ThreadRunning, SecondsBehind: sql.NullInt64{Valid: true}},
			readOnly: true, gtid: mariaPos(t, "0-1-42")}, false, "db1", "false", "0-1-42", true, 4},
		{"writable master, not a replica", fakeReader{rsErr: dbctl.ErrNotReplica, gtid: mariaPos(t, "0-1-42")},
			false, "", "true", "0-1-42", true, 4},
		{"MySQL's executed set", fakeReader{rsErr: dbctl.ErrNotReplica, gtid: dbctl.GTIDState{Executed: mysqlSet}},
			false, "", "true", mysqlSet.String(), true, 4},
		{"no semisync is no error", fakeReader{rsErr: dbctl.ErrNotReplica, semiErr: dbctl.ErrNoSemisync},
			false, "", "true", "", true, 4},
		{"cannot connect: one attempt, unreachable", fakeReader{rsErr: &checks.ConnectError{Addr: "127.0.0.13:3306", Err: errors.New("connection refused")}},
			true, "-", "-", "", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := newInspection()
			in, err := x.read(context.Background(), cfg, "db3", &tt.r)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if got := deref(in.Follows); got != tt.follows {
				t.Errorf("follows %q, want %q", got, tt.follows)
			}
			if got := derefBool(in.Writable); got != tt.writable {
				t.Errorf("writable %s, want %s", got, tt.writable)
			}
			if in.Obs.GTIDExecuted != tt.gtid || in.Obs.Reachable != tt.reachable || in.Obs.Host != "db3" {
				t.Errorf("obs %+v, want gtid %q reachable %v", in.Obs, tt.gtid, tt.reachable)
			}
			n := 0
			for _, c := range tt.r.calls {
				n += c
			}
			if n != tt.calls {
				t.Errorf("%d statements %v, want %d", n, tt.r.calls, tt.calls)
			}
		})
	}
}

// TestInspectionSemisyncEvery: semisync is read once per semisyncEvery
// per host and shown from the last reading in between.
func TestInspectionSemisyncEvery(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	x := newInspection()
	x.now = func() time.Time { return now }
	r := &fakeReader{rsErr: dbctl.ErrNotReplica, semi: dbctl.SemisyncStatus{MasterActive: true, Clients: 2}}
	for i, step := range []struct {
		advance time.Duration
		reads   int // semisync reads so far
	}{{0, 1}, {time.Second, 1}, {semisyncEvery - time.Second - 1, 1}, {1, 2}, {time.Second, 2}} {
		now = now.Add(step.advance)
		in, err := x.read(context.Background(), cfg, "db1", r)
		if err != nil {
			t.Fatal(err)
		}
		if r.calls["semisync"] != step.reads {
			t.Errorf("round %d: %d semisync reads, want %d", i, r.calls["semisync"], step.reads)
		}
		if in.Obs.SemisyncOn == nil || !*in.Obs.SemisyncOn || in.Obs.SemisyncPeers == nil || *in.Obs.SemisyncPeers != 2 {
			t.Errorf("round %d: semisync not shown: %+v", i, in.Obs)
		}
	}
	if _, err := x.read(context.Background(), cfg, "db2", r); err != nil || r.calls["semisync"] != 3 {
		t.Errorf("another host: %v, %d reads, want its own (3)", err, r.calls["semisync"])
	}
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func derefBool(b *bool) string {
	if b == nil {
		return "-"
	}
	if *b {
		return "true"
	}
	return "false"
}
