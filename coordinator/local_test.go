package coordinator

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

type fakeConn struct{ pingErr error }

func (c *fakeConn) Ping(context.Context) error { return c.pingErr }
func (c *fakeConn) Close() error               { return nil }
func (c *fakeConn) Wait(ctx context.Context, max time.Duration) (bool, error) {
	if c.pingErr != nil {
		return true, nil
	}
	select {
	case <-ctx.Done():
		return false, ctx.Err()
	case <-time.After(max):
		return false, ErrWaitTimeout
	}
}

func TestMySQLWatch(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	missing := &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.ENOENT)}
	denied := errors.New("Error 1045: Access denied")
	tests := []struct {
		name    string
		steps   []error // connect errors, nil = connects
		want    []string
		warning bool
	}{
		{"refused is evidence, once", []error{refused, refused}, []string{"socket-refused"}, false},
		{"missing socket is evidence", []error{missing}, []string{"socket-refused"}, false},
		{"back after evidence clears it", []error{refused, nil}, []string{"socket-refused", "clear"}, false},
		{"access denied proves nothing", []error{denied, denied}, nil, true},
		{"connects: nothing to say", []error{nil}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			warned := false
			i := 0
			w := mysqlWatch{socket: "/x.sock", host: "db1", now: func() time.Time { return t0 },
				warn: func(string, error) { warned = true },
				connect: func(context.Context) (watchedConn, error) {
					err := tt.steps[i]
					i++
					if err != nil {
						return nil, err
					}
					return &fakeConn{}, nil
				},
				report: func(e *fsm.Evidence) {
					if e == nil {
						got = append(got, "clear")
						return
					}
					got = append(got, e.Kind.String())
				}}
			for range tt.steps {
				w.conn = nil
				w.reconnect(context.Background())
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || warned != tt.warning {
				t.Errorf("reports %v warned %v, want %v %v", got, warned, tt.want, tt.warning)
			}
		})
	}
}

// TestMySQLWatchRun: the connection becomes readable (mysqld died), the
// ping fails, the reconnect is refused: evidence at once; then mysqld
// answers again and the evidence is cleared.
func TestMySQLWatchRun(t *testing.T) {
	conn := &fakeConn{}
	reports := make(chan *fsm.Evidence, 4)
	var mu sync.Mutex
	refuse := false
	w := mysqlWatch{socket: "/x.sock", host: "db1", now: time.Now, warn: func(string, error) {},
		report: func(e *fsm.Evidence) { reports <- e },
		connect: func(context.Context) (watchedConn, error) {
			mu.Lock()
			defer mu.Unlock()
			if refuse {
				return nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}
			}
			return &fakeConn{}, nil
		}}
	if !w.reconnect(context.Background()) {
		t.Fatal("no first connection")
	}
	w.conn = conn
	mu.Lock()
	refuse = true
	mu.Unlock()
	conn.pingErr = driver.ErrBadConn // Wait reports it readable, Ping fails
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case e := <-reports:
		if e == nil || e.Kind != fsm.EvidenceSocketRefused {
			t.Fatalf("report %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no evidence")
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	select {
	case e := <-reports:
		if e != nil {
			t.Fatalf("report %+v, want the evidence cleared", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("evidence not cleared")
	}
}

// TestFifoReader reads lines written to the fifo, also after the fifo is
// removed and created again (keepalived restarted).
func TestFifoReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vrrp.fifo")
	lines := make(chan string, 16)
	r := fifoReader{path: path, onLine: func(l string) { lines <- l }, warn: func(m string, err error) { t.Logf("%s: %v", m, err) },
		poll: 50 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx) }()
	defer func() { cancel(); <-done }()

	write := func(s string) {
		t.Helper()
		var f *os.File
		eventually(t, 5*time.Second, "the fifo exists", func() bool {
			fi, err := os.Stat(path)
			if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
				return false
			}
			f, err = os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
			return err == nil
		})
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("line %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no line %q", want)
		}
	}
	write("INSTANCE \"mmm_writer\" MASTER 150\nINSTANCE \"mmm_wri")
	expect(`INSTANCE "mmm_writer" MASTER 150`)
	write("ter\" BACKUP 150\n")
	expect(`INSTANCE "mmm_writer" BACKUP 150`)

	// keepalived removes its fifo and makes a new one.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	eventually(t, 5*time.Second, "a line through the new fifo", func() bool {
		once.Do(func() { write("INSTANCE \"mmm_writer\" FAULT 150\n") })
		select {
		case got := <-lines:
			return got == `INSTANCE "mmm_writer" FAULT 150`
		default:
			return false
		}
	})
}

// TestFifoReaderStopsAtCancel: the end of the context wakes a read that
// waits on an idle fifo; shutdown does not wait out the poll (it once
// held a leaving leader's raft up for 5 s with its monitor stopped).
func TestFifoReaderStopsAtCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vrrp.fifo")
	lines := make(chan string, 1)
	r := fifoReader{path: path, onLine: func(l string) { lines <- l }, warn: func(m string, err error) { t.Logf("%s: %v", m, err) },
		poll: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx) }()
	// One line through: the reader has read, and goes back to a read
	// that only the poll (1 h) or the cancel ends.
	var f *os.File
	eventually(t, 5*time.Second, "the fifo opens", func() bool {
		var err error
		f, err = os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		return err == nil
	})
	if _, err := f.WriteString("INSTANCE \"mmm_writer\" BACKUP 150\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	select {
	case <-lines:
	case <-time.After(5 * time.Second):
		t.Fatal("no line through the fifo")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the reader still runs 10 s after the cancel (poll 1 h)")
	}
}

func TestVRRPState(t *testing.T) {
	tests := []struct {
		line string
		want fsm.VRRPState
		ok   bool
	}{
		{`INSTANCE "w" MASTER 150`, fsm.VRRPMaster, true},
		{`INSTANCE "w" MASTER_RX_LOWER_PRI 150`, fsm.VRRPMaster, true},
		{`INSTANCE "w" BACKUP 100`, fsm.VRRPBackup, true},
		{`INSTANCE "w" FAULT 0`, fsm.VRRPFault, true},
		{`INSTANCE "w" STOP 0`, fsm.VRRPStop, true},
		{`INSTANCE "w" DELETED 0`, fsm.VRRPStop, true},
		{`GROUP "g" MASTER 0`, fsm.VRRPUnknown, false},
	}
	for _, tt := range tests {
		tr, err := keepalived.ParseFifoLine(tt.line)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := vrrpState(tr); got != tt.want || ok != tt.ok {
			t.Errorf("%s: %v %v, want %v %v", tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

// TestReportBook: a report proposes only what the state lacks, evidence
// once per episode.
func TestReportBook(t *testing.T) {
	f, _ := started(t)
	b := newReportBook()
	ev := &fsm.Evidence{Host: "db2", Kind: fsm.EvidenceSocketRefused, Observed: t0.Add(time.Second)}
	b.put(Report{Host: "db2", Uptime: 50, VRRP: fsm.VRRPBackup, VIPsKnown: true, Evidence: ev})
	st := f.r.View().State
	kinds := func(in []fsm.Input) (out []string) {
		for _, i := range in {
			out = append(out, inputKinds.name(i))
		}
		return out
	}
	if got := fmt.Sprint(kinds(b.inputs(&st, "db2", true))); got != "[evidence vrrp]" {
		t.Errorf("urgent inputs %s, want [evidence vrrp]", got)
	}
	if got := fmt.Sprint(kinds(b.inputs(&st, "", false))); got != "[vrrp uptime]" {
		t.Errorf("round inputs %s, want [vrrp uptime] (evidence went already)", got)
	}
	b.forget()
	if got := fmt.Sprint(kinds(b.inputs(&st, "", false))); got != "[evidence vrrp uptime]" {
		t.Errorf("after forget: %s, want the evidence again", got)
	}
}
