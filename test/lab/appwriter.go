package lab

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// AppWriter is the application of the failover tests and benchmarks: a
// client on app that inserts a sequence number through an address (the
// writer VIP) every interval and records every insert the server
// acknowledged, so that a test can check afterwards that no acknowledged
// row is lost, and measure how long the writer was unavailable.
type AppWriter struct {
	db     *sql.DB
	table  string
	cancel context.CancelFunc
	done   chan struct{}
	gate   sync.Mutex // held around each insert; Pause holds it

	mu     sync.Mutex
	acks   []Ack
	tries  int
	errs   int
	last   error
	fails  []Failure
	closed bool
}

// Ack is one acknowledged insert.
type Ack struct {
	ID int64
	At time.Time // when the acknowledgement arrived
}

// AppWriterOptions configure StartAppWriter; zero fields take defaults.
type AppWriterOptions struct {
	Addr     netip.Addr    // default WriterVIP
	Table    string        // in AppDatabase; default "acked"
	FirstID  int64         // the first sequence number; default 1
	Interval time.Duration // default 10 ms
	// Attempt bounds one insert, reconnect included (default 3 s: a
	// promoted writer's first commit may wait for a semisync ACK).
	Attempt time.Duration
	// Connect bounds a TCP connect (default 250 ms): a SYN lost while the
	// VIP moves is sent again only after 1 s (the kernel's initial RTO),
	// which a longer timeout would add to every measured window.
	Connect time.Duration
	// MaxInserts and MaxTime bound the run (default 30,000 and 5 min).
	MaxInserts int
	MaxTime    time.Duration
}

// StartAppWriter creates the table through o.Addr and starts inserting.
// Stop ends it.
func (l *Lab) StartAppWriter(ctx context.Context, o AppWriterOptions) (*AppWriter, error) {
	if !o.Addr.IsValid() {
		o.Addr = WriterVIP
	}
	if o.Table == "" {
		o.Table = "acked"
	}
	if o.FirstID == 0 {
		o.FirstID = 1
	}
	o.Interval = cmpOr(o.Interval, 10*time.Millisecond)
	o.Attempt = cmpOr(o.Attempt, 3*time.Second)
	o.Connect = cmpOr(o.Connect, 250*time.Millisecond)
	o.MaxTime = cmpOr(o.MaxTime, 5*time.Minute)
	if o.MaxInserts == 0 {
		o.MaxInserts = 30000
	}
	c, err := l.ConfigFrom("app", o.Addr, AppUser, AppDatabase)
	if err != nil {
		return nil, err
	}
	c.Timeout, c.ReadTimeout, c.WriteTimeout = o.Connect, o.Attempt, o.Attempt
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, fmt.Errorf("lab: app writer: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(cctx, "CREATE TABLE IF NOT EXISTS "+o.Table+
		" (id BIGINT PRIMARY KEY, at DATETIME(6) NOT NULL DEFAULT NOW(6))"); err != nil {
		db.Close()
		return nil, fmt.Errorf("lab: app writer: create table %s through %s: %w", o.Table, o.Addr, err)
	}
	rctx, stop := context.WithTimeout(context.Background(), o.MaxTime)
	w := &AppWriter{db: db, table: o.Table, cancel: stop, done: make(chan struct{})}
	go w.run(rctx, o)
	return w, nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (w *AppWriter) run(ctx context.Context, o AppWriterOptions) {
	defer close(w.done)
	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for id := o.FirstID; id < o.FirstID+int64(o.MaxInserts); id++ {
		w.gate.Lock()
		began := time.Now()
		err := w.insert(ctx, id, o.Attempt)
		w.gate.Unlock()
		w.mu.Lock()
		w.tries++
		if err == nil {
			w.acks = append(w.acks, Ack{ID: id, At: time.Now()})
		} else if ctx.Err() == nil {
			w.errs, w.last = w.errs+1, err
			if len(w.fails) == maxFailures {
				w.fails = slices.Delete(w.fails, 0, 1)
			}
			w.fails = append(w.fails, Failure{At: began, Took: time.Since(began), Err: err})
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// insert writes one row; a connection that failed is never reused (it may
// lead to the old writer).
func (w *AppWriter) insert(ctx context.Context, id int64, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "INSERT INTO "+w.table+" (id) VALUES (?)", id)
	if err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// maxFailures bounds AppWriterReport.Failures: the last ones explain a
// window, a flood of refusals from a read-only server does not.
const maxFailures = 200

// Failure is one failed insert: when its attempt began, how long it took
// and why it failed.
type Failure struct {
	At   time.Time
	Took time.Duration
	Err  error
}

func (f Failure) String() string {
	return fmt.Sprintf("%s +%v: %v", f.At.Format("15:04:05.000"), f.Took.Round(time.Millisecond), f.Err)
}

// AppWriterReport is what an AppWriter did.
type AppWriterReport struct {
	Tries, Errors int
	LastError     error
	Acks          []Ack     // in order
	Failures      []Failure // the last maxFailures, in order
}

// FailuresSince returns the failed attempts that began at or after t.
func (r AppWriterReport) FailuresSince(t time.Time) []Failure {
	i, _ := slices.BinarySearchFunc(r.Failures, t, func(f Failure, t time.Time) int { return f.At.Compare(t) })
	return r.Failures[i:]
}

// IDs returns the acknowledged sequence numbers.
func (r AppWriterReport) IDs() []int64 {
	out := make([]int64, len(r.Acks))
	for i, a := range r.Acks {
		out[i] = a.ID
	}
	return out
}

// Gap returns the writer's unavailable window after a fault at from: the
// longest time without an acknowledgement, counted from from or from the
// acknowledgement before, to an acknowledgement after from (so the first
// gap is the time from the fault to the first acknowledged insert), and
// where it ends. Zero when nothing was acknowledged after from.
func (r AppWriterReport) Gap(from time.Time) (gap time.Duration, end time.Time) {
	prev := from
	for _, a := range r.Acks {
		if !a.At.After(from) {
			continue
		}
		if d := a.At.Sub(prev); d > gap {
			gap, end = d, a.At
		}
		prev = a.At
	}
	return gap, end
}

// Snapshot returns what the writer did so far.
func (w *AppWriter) Snapshot() AppWriterReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	return AppWriterReport{Tries: w.tries, Errors: w.errs, LastError: w.last, Acks: slices.Clone(w.acks), Failures: slices.Clone(w.fails)}
}

// AckedSince counts the acknowledgements after t.
func (w *AppWriter) AckedSince(t time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	i, _ := slices.BinarySearchFunc(w.acks, t, func(a Ack, t time.Time) int { return a.At.Compare(t) })
	return len(w.acks) - i
}

// Pause waits for the insert in flight, if any, and holds the next one
// until resume is called. A fault injected while paused finds no
// transaction in flight on the server it hits: one that the server
// wrote to its binary log but no replica received would come back with
// it as an errant transaction (never acknowledged, so not a lost row,
// but it blocks the old master's automatic rejoin by design).
func (w *AppWriter) Pause() (resume func()) {
	w.gate.Lock()
	return sync.OnceFunc(w.gate.Unlock)
}

// Stop ends the writer and returns its report. It may be called again.
func (w *AppWriter) Stop() AppWriterReport {
	w.cancel()
	<-w.done
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		w.db.Close()
	}
	w.mu.Unlock()
	return w.Snapshot()
}
