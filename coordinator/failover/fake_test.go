package failover

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

// world is a fake cluster: servers by address, one clock, one call log.
type world struct {
	mu      sync.Mutex
	clock   *fakeClock
	servers map[string]*fakeDB // by endpoint address
	calls   []string
}

func newWorld() *world {
	return &world{clock: &fakeClock{now: time.Unix(1000, 0)}, servers: map[string]*fakeDB{}}
}

// fakeDB is one MariaDB server with log_bin and log_slave_updates. Its
// replication "happens" at the start of every call: a running IO thread
// receives its source's binary log, a running SQL thread applies what
// was received (unless stalled).
type fakeDB struct {
	w      *world
	name   string
	ep     Endpoint
	flavor dbctl.Flavor
	up     bool // answers

	binlog, slave, recv gtid.MariaDBPos
	state               map[[2]uint32]uint64 // (domain, server) → seq
	mysqlExecuted       gtid.MySQLSet

	replica      bool // a source is configured
	srcHost      string
	srcPort      int
	auto         bool
	io, sql      dbctl.ThreadState
	sqlErrno     int
	sqlBroken    bool // the SQL thread fails (1062) whenever it runs and has something to apply
	ioErrno      int
	ioConnecting bool // the IO thread never connects: Connecting
	stopIOBlocks bool // STOP SLAVE (IO) blocks until its deadline, then completes later
	stopPending  int  // calls until a blocked STOP SLAVE completes
	stopTimeouts int  // STOP SLAVE statements that ran into their deadline
	killIOLate   bool // KILL of the IO thread is noticed only after the poll deadline
	stallApply   int  // WaitForGTID calls during which the SQL thread applies nothing
	startFails   int  // START SLAVE attempts that leave the IO thread stopped with an error
	noBinlog     bool // log_bin off
	noLogUpdates bool // log_slave_updates off
	noSemisync   bool
	readOnly     bool
	semiM, semiR bool
	semiTimeout  time.Duration
	// semiRActive: the IO thread connected with the replica side on
	// (Rpl_semi_sync_slave_status).
	semiRActive   bool
	errs          map[string]error // by method name
	lostOnce      map[string]bool  // by method name: the next call loses its connection
	receivedExtra gtid.MariaDBPos  // received, beyond the source (set by tests)
	mergeState    map[[2]uint32]uint64
}

func (w *world) add(name string, ip string, pos string) *fakeDB {
	p, err := gtid.ParseMariaDB(pos)
	if err != nil {
		panic(err)
	}
	d := &fakeDB{w: w, name: name, ep: Endpoint{Host: ip, Port: 3306, User: "repl", Password: "secret-pw"},
		flavor: dbctl.MariaDB, up: true, binlog: p, slave: p, recv: p, state: map[[2]uint32]uint64{},
		io: dbctl.ThreadStopped, sql: dbctl.ThreadStopped, readOnly: true, semiR: true, errs: map[string]error{}}
	for _, g := range p.GTIDs() {
		d.state[[2]uint32{g.Domain, g.Server}] = g.Seq
	}
	w.servers[d.ep.String()] = d
	return d
}

func (d *fakeDB) node() Node { return Node{Name: d.name, DB: d, Source: d.ep} }

// follows points d at src, both threads running, caught up.
func (d *fakeDB) follows(src *fakeDB) *fakeDB {
	d.replica, d.srcHost, d.srcPort, d.auto = true, src.ep.Host, src.ep.Port, true
	d.io, d.sql = dbctl.ThreadRunning, dbctl.ThreadRunning
	d.semiR, d.semiRActive = true, true // the replica side on since before its IO thread connected
	return d
}

// write logs a transaction of d's own: domain 0, server id sid.
func (d *fakeDB) write(sid uint32, seq uint64) {
	g := gtid.MariaDBGTID{Domain: 0, Server: sid, Seq: seq}
	p, _ := gtid.NewMariaDBPos(g)
	d.binlog = MariaDBPosition(d.binlog).Union(MariaDBPosition(p)).maria
	d.state[[2]uint32{0, sid}] = seq
}

func (d *fakeDB) call(format string, args ...any) error {
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	name, _, _ := strings.Cut(format, " ")
	d.w.calls = append(d.w.calls, d.name+": "+fmt.Sprintf(format, args...))
	if !d.up {
		return fmt.Errorf("dial tcp %s: connect: connection refused", d.ep)
	}
	if err := d.errs[name]; err != nil {
		return err
	}
	if d.lostOnce[name] { // another fence killed the connection under it
		delete(d.lostOnce, name)
		return fmt.Errorf("dbctl: %s: %w", name, mysql.ErrInvalidConn)
	}
	d.replicate()
	return nil
}

// replicate moves data along this server's replication (world lock held).
func (d *fakeDB) replicate() {
	if d.stopPending > 0 {
		if d.stopPending--; d.stopPending == 0 {
			d.io = dbctl.ThreadStopped
		}
	}
	if d.replica && d.io == dbctl.ThreadRunning {
		if src := d.w.servers[fmt.Sprintf("%s:%d", d.srcHost, d.srcPort)]; src != nil && src.up && !src.noBinlog {
			d.recv = MariaDBPosition(d.recv).Union(MariaDBPosition(src.binlog)).maria
			d.mergeState = src.state
		}
	}
	d.recv = MariaDBPosition(d.recv).Union(MariaDBPosition(d.receivedExtra)).maria
	if d.sql == dbctl.ThreadRunning && d.sqlBroken && !MariaDBPosition(d.slave).Contains(MariaDBPosition(d.recv)) {
		d.sql, d.sqlErrno = dbctl.ThreadStopped, 1062
	}
	if d.sql == dbctl.ThreadRunning && d.stallApply == 0 {
		if !MariaDBPosition(d.slave).Union(MariaDBPosition(d.binlog)).Contains(MariaDBPosition(d.recv)) {
			d.slave = MariaDBPosition(d.slave).Union(MariaDBPosition(d.recv)).maria
			if !d.noLogUpdates {
				d.binlog = MariaDBPosition(d.binlog).Union(MariaDBPosition(d.recv)).maria
				for k, v := range d.mergeState {
					if v > d.state[k] && v <= maxSeq(d.recv, k[0]) {
						d.state[k] = v
					}
				}
				for _, g := range d.recv.GTIDs() {
					k := [2]uint32{g.Domain, g.Server}
					d.state[k] = max(d.state[k], g.Seq)
				}
			}
		}
	}
}

func maxSeq(p gtid.MariaDBPos, domain uint32) uint64 {
	g, _ := p.Domain(domain)
	return g.Seq
}

func (d *fakeDB) Flavor() dbctl.Flavor { return d.flavor }

func (d *fakeDB) GTIDState(ctx context.Context) (dbctl.GTIDState, error) {
	if err := d.call("GTIDState"); err != nil {
		return dbctl.GTIDState{}, err
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	if d.flavor == dbctl.MySQL {
		return dbctl.GTIDState{Executed: d.mysqlExecuted}, nil
	}
	return dbctl.GTIDState{BinlogPos: d.binlog, SlavePos: d.slave}, nil
}

func (d *fakeDB) BinlogGTIDState(ctx context.Context) ([]gtid.MariaDBGTID, error) {
	if err := d.call("BinlogGTIDState"); err != nil {
		return nil, err
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	var out []gtid.MariaDBGTID
	for k, v := range d.state {
		out = append(out, gtid.MariaDBGTID{Domain: k[0], Server: k[1], Seq: v})
	}
	return out, nil
}

func (d *fakeDB) ReplicaStatus(ctx context.Context) (*dbctl.ReplicaStatus, error) {
	if err := d.call("ReplicaStatus"); err != nil {
		return nil, err
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	if !d.replica {
		return nil, fmt.Errorf("dbctl: replica status: %w", dbctl.ErrNotReplica)
	}
	rs := &dbctl.ReplicaStatus{IO: d.io, SQL: d.sql, SourceHost: d.srcHost, SourcePort: d.srcPort,
		AutoPosition: d.auto, RetrievedGTID: d.recv.String(), ExecutedGTID: d.slave.String(),
		LastSQLErrno: d.sqlErrno, LastIOErrno: d.ioErrno}
	if d.io == dbctl.ThreadRunning && d.ioConnecting {
		rs.IO = dbctl.ThreadConnecting
	}
	if d.flavor == dbctl.MySQL {
		rs.RetrievedGTID, rs.ExecutedGTID = "", d.mysqlExecuted.String()
	}
	return rs, nil
}

func (d *fakeDB) WaitForGTID(ctx context.Context, set string, timeout time.Duration) error {
	if err := d.call("WaitForGTID %s", set); err != nil {
		return err
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	if d.stallApply > 0 {
		d.stallApply--
	}
	want, err := gtid.ParseMariaDB(set)
	if err != nil {
		return err
	}
	if d.slave.Contains(want) {
		return nil
	}
	d.w.clock.advance(timeout)
	return fmt.Errorf("dbctl: wait for gtid %s: %w", set, dbctl.ErrWaitTimeout)
}

func (d *fakeDB) BinlogSettings(ctx context.Context) (dbctl.BinlogSettings, error) {
	if err := d.call("BinlogSettings"); err != nil {
		return dbctl.BinlogSettings{}, err
	}
	return dbctl.BinlogSettings{LogBin: !d.noBinlog, LogReplicaUpdates: !d.noLogUpdates}, nil
}

func (d *fakeDB) StopReplication(ctx context.Context, t dbctl.Threads) error {
	if err := d.call("StopReplication %s", t); err != nil {
		return err
	}
	d.w.mu.Lock()
	if !d.replica {
		d.w.mu.Unlock()
		return fmt.Errorf("dbctl: stop slave: %w", dbctl.ErrNotReplica)
	}
	if t&dbctl.SQLThread != 0 {
		d.sql = dbctl.ThreadStopped
	}
	blocks := t&dbctl.IOThread != 0 && d.stopIOBlocks && d.io != dbctl.ThreadStopped
	if t&dbctl.IOThread != 0 && !blocks {
		d.io = dbctl.ThreadStopped
	}
	d.w.mu.Unlock()
	if blocks {
		<-ctx.Done() // the server finishes it a few calls later
		d.w.mu.Lock()
		d.stopPending, d.stopIOBlocks = 5, false
		d.stopTimeouts++
		d.w.mu.Unlock()
		return fmt.Errorf("dbctl: stop slave: %w (statement killed on the server)", ctx.Err())
	}
	return nil
}

// KillReplicaIO ends a running IO thread at once (also one that a dead
// source holds in STOP SLAVE); with killIOLate the thread outlives ctx
// and ends some calls later.
func (d *fakeDB) KillReplicaIO(ctx context.Context) (bool, error) {
	if err := d.call("KillReplicaIO"); err != nil {
		return false, err
	}
	d.w.mu.Lock()
	if d.flavor != dbctl.MariaDB {
		d.w.mu.Unlock()
		return false, fmt.Errorf("dbctl: kill replica IO thread: %w", dbctl.ErrUnsupported)
	}
	if !d.replica || d.io == dbctl.ThreadStopped {
		d.w.mu.Unlock()
		return false, nil
	}
	if d.killIOLate {
		d.stopPending, d.stopIOBlocks = 20, false
		d.w.mu.Unlock()
		<-ctx.Done()
		return true, fmt.Errorf("dbctl: kill replica IO thread: thread 6 still there: %w", ctx.Err())
	}
	d.io, d.stopIOBlocks = dbctl.ThreadStopped, false
	d.w.mu.Unlock()
	return true, nil
}

func (d *fakeDB) StartReplication(ctx context.Context, t dbctl.Threads) error {
	if err := d.call("StartReplication %s", t); err != nil {
		return err
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	if !d.replica {
		return fmt.Errorf("dbctl: start slave: %w", dbctl.ErrNotReplica)
	}
	if t&dbctl.SQLThread != 0 && d.sql == dbctl.ThreadStopped {
		d.sql, d.sqlErrno = dbctl.ThreadRunning, 0
	}
	if t&dbctl.IOThread != 0 && d.io == dbctl.ThreadStopped {
		if d.startFails > 0 {
			d.startFails--
			d.ioErrno = 1045
			return nil
		}
		d.io, d.ioErrno = dbctl.ThreadRunning, 0
		d.semiRActive = d.semiR
	}
	return nil
}

func (d *fakeDB) KillDumpThreads(ctx context.Context, host string) (int, error) {
	if err := d.call("KillDumpThreads %s", host); err != nil {
		return 0, err
	}
	return 0, nil
}

func (d *fakeDB) Semisync(ctx context.Context) (dbctl.SemisyncStatus, error) {
	if err := d.call("Semisync"); err != nil {
		return dbctl.SemisyncStatus{}, err
	}
	if d.noSemisync {
		return dbctl.SemisyncStatus{}, fmt.Errorf("dbctl: semisync status: %w", dbctl.ErrNoSemisync)
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	return dbctl.SemisyncStatus{MasterEnabled: d.semiM, MasterTimeout: d.semiTimeout, ReplicaEnabled: d.semiR,
		ReplicaActive: d.semiRActive && d.io == dbctl.ThreadRunning}, nil
}

func (d *fakeDB) ChangeSource(ctx context.Context, src dbctl.Source) error {
	if err := d.call("ChangeSource %s", src); err != nil {
		return err
	}
	d.w.mu.Lock()
	defer d.w.mu.Unlock()
	if d.replica && (d.io != dbctl.ThreadStopped || d.sql != dbctl.ThreadStopped) {
		return fmt.Errorf("dbctl: change source: %w", dbctl.ErrReplicaRunning)
	}
	d.replica, d.srcHost, d.srcPort, d.auto = true, src.Host, src.Port, src.AutoPosition
	d.recv = d.slave // CHANGE MASTER discards the relay log
	d.ioConnecting = false
	return nil
}

func (d *fakeDB) SetReadOnly(ctx context.Context, on bool) error {
	if err := d.call("SetReadOnly %v", on); err != nil {
		return err
	}
	d.readOnly = on
	return nil
}

func (d *fakeDB) SetSemisyncMaster(ctx context.Context, on bool) error {
	if err := d.call("SetSemisyncMaster %v", on); err != nil {
		return err
	}
	if d.noSemisync {
		return fmt.Errorf("dbctl: set: %w", dbctl.ErrNoSemisync)
	}
	d.semiM = on
	return nil
}

func (d *fakeDB) SetSemisyncMasterTimeout(ctx context.Context, t time.Duration) error {
	if err := d.call("SetSemisyncMasterTimeout %v", t); err != nil {
		return err
	}
	if d.noSemisync {
		return fmt.Errorf("dbctl: set: %w", dbctl.ErrNoSemisync)
	}
	d.semiTimeout = t
	return nil
}

func (d *fakeDB) SetSemisyncReplica(ctx context.Context, on bool) error {
	if err := d.call("SetSemisyncReplica %v", on); err != nil {
		return err
	}
	if d.noSemisync {
		return fmt.Errorf("dbctl: set: %w", dbctl.ErrNoSemisync)
	}
	d.semiR = on
	return nil
}

// fakeClock advances when something waits; past limit it cancels the
// test's context, so that retry loops end deterministically.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	limit  time.Time
	cancel context.CancelFunc
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	if c.cancel != nil && !c.limit.IsZero() && c.now.After(c.limit) {
		c.cancel()
	}
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.advance(d)
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

// ctxUntil returns a context the clock cancels after d of fake time.
func (w *world) ctxUntil(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	w.clock.mu.Lock()
	w.clock.limit, w.clock.cancel = w.clock.now.Add(d), cancel
	w.clock.mu.Unlock()
	return ctx
}

// runner is a Runner on the world's clock with short real deadlines for
// blocking statements.
func (w *world) runner(mod func(*Options)) *Runner {
	o := Options{Clock: w.clock, StopIOTimeout: 20 * time.Millisecond, StopTimeout: 20 * time.Millisecond}
	if mod != nil {
		mod(&o)
	}
	r, err := New(o)
	if err != nil {
		panic(err)
	}
	return r
}

// callsOf returns the calls made to host that change something (not
// reads), in order.
func (w *world) callsOf(host string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.calls {
		h, rest, _ := strings.Cut(c, ": ")
		name, _, _ := strings.Cut(rest, " ")
		switch name {
		case "GTIDState", "BinlogGTIDState", "ReplicaStatus", "BinlogSettings", "WaitForGTID", "Semisync":
			continue
		}
		if h == host {
			out = append(out, rest)
		}
	}
	return out
}

var errBoom = errors.New("boom")
