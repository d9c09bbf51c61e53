package coordinator

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The raft port carries two protocols, told apart by the first byte a
// client sends on a new connection: raft's own RPCs, and reports from a
// coordinator to the leader (its local mysqld, keepalived and uptime;
// see Report). Reports need no port, token or API client of their own,
// and add no exposure: whoever reaches the raft port can already talk
// raft to it.
const (
	muxRaft   byte = 'R'
	muxReport byte = 'P'
	muxStatus byte = 'S' // one peerStatus answer, then close (quorum.go)

	muxReadTimeout = 5 * time.Second
	reportTimeout  = 2 * time.Second
)

// peerListener accepts connections on the raft address and hands each to
// raft or to the report handler.
type peerListener struct {
	ln     net.Listener
	raftCh chan net.Conn
	handle func(ctx context.Context, r Report) (uint64, error)
	log    *slog.Logger

	statusMu sync.Mutex
	status   func() peerStatus // nil until the node runs
	done     chan struct{}
	once     sync.Once
}

// listenPeers listens on addr. handle is called for every report; it
// returns the leader's applied index (freshness).
func listenPeers(addr string, handle func(context.Context, Report) (uint64, error), log *slog.Logger) (*peerListener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("coordinator: raft listener: %w", err)
	}
	l := &peerListener{ln: ln, raftCh: make(chan net.Conn), handle: handle, log: log, done: make(chan struct{})}
	go l.serve()
	return l, nil
}

func (l *peerListener) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			l.log.Error("raft listener stopped", "err", err)
			return
		}
		go l.route(c)
	}
}

func (l *peerListener) route(c net.Conn) {
	var b [1]byte
	_ = c.SetReadDeadline(time.Now().Add(muxReadTimeout))
	if _, err := c.Read(b[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	switch b[0] {
	case muxRaft:
		select {
		case l.raftCh <- c:
		case <-l.done:
			c.Close()
		}
	case muxReport:
		l.serveReports(c)
	case muxStatus:
		l.serveStatus(c)
	default:
		c.Close()
	}
}

// reportReply answers one report: the handler's error, or the raft
// index the leader had applied (freshness).
type reportReply struct {
	Err     string `json:",omitempty"`
	Applied uint64 `json:",omitzero"`
}

// serveReports answers the reports of one persistent connection.
func (l *peerListener) serveReports(c net.Conn) {
	defer c.Close()
	dec := json.NewDecoder(bufio.NewReader(c))
	enc := json.NewEncoder(c)
	for {
		var r Report
		if err := dec.Decode(&r); err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), reportTimeout)
		var rep reportReply
		applied, err := l.handle(ctx, r)
		if err != nil {
			rep.Err = err.Error()
		}
		rep.Applied = applied
		cancel()
		_ = c.SetWriteDeadline(time.Now().Add(reportTimeout))
		if err := enc.Encode(rep); err != nil {
			return
		}
	}
}

// setStatus installs the function that answers status queries.
func (l *peerListener) setStatus(f func() peerStatus) {
	l.statusMu.Lock()
	defer l.statusMu.Unlock()
	l.status = f
}

// serveStatus answers one status query; before the node runs it says
// nothing useful (not leaderless), which is the safe answer.
func (l *peerListener) serveStatus(c net.Conn) {
	defer c.Close()
	l.statusMu.Lock()
	f := l.status
	l.statusMu.Unlock()
	var st peerStatus
	if f != nil {
		st = f()
	}
	_ = c.SetWriteDeadline(time.Now().Add(reportTimeout))
	_ = json.NewEncoder(c).Encode(st)
}

// askStatus asks the coordinator on the raft address addr for its
// peerStatus, within ctx.
func askStatus(ctx context.Context, addr string) (peerStatus, error) {
	timeout := reportTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return peerStatus{}, context.DeadlineExceeded
	}
	conn, err := dialMux(addr, timeout, muxStatus)
	if err != nil {
		return peerStatus{}, fmt.Errorf("coordinator: status of %s: %w", addr, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	var st peerStatus
	if err := json.NewDecoder(conn).Decode(&st); err != nil {
		return peerStatus{}, fmt.Errorf("coordinator: status of %s: %w", addr, err)
	}
	return st, nil
}

// Close stops accepting.
func (l *peerListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.ln.Close()
	})
	return err
}

// raftLayer is raft's side of the listener (raft.StreamLayer).
type raftLayer struct{ l *peerListener }

var _ raft.StreamLayer = raftLayer{}

func (r raftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-r.l.raftCh:
		return c, nil
	case <-r.l.done:
		return nil, net.ErrClosed
	}
}

func (r raftLayer) Close() error   { return r.l.Close() }
func (r raftLayer) Addr() net.Addr { return r.l.ln.Addr() }

func (r raftLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return dialMux(string(addr), timeout, muxRaft)
}

func dialMux(addr string, timeout time.Duration, kind byte) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte{kind}); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetWriteDeadline(time.Time{})
	return c, nil
}

// newTCPTransport is raft's network transport over the shared listener.
func newTCPTransport(l *peerListener, log *slog.Logger) raft.Transport {
	return raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  raftLayer{l},
		MaxPool: 3,
		Timeout: 2 * time.Second,
		Logger:  newHCLogger(log, "raft-net"),
	})
}

// reportClient sends reports to the leader over one persistent
// connection, redialled when the leader changes or the connection fails.
type reportClient struct {
	mu   sync.Mutex
	addr string
	conn net.Conn
	dec  *json.Decoder
}

// Send delivers r to the coordinator listening on addr and returns the
// leader's applied index, or the handler's error.
func (c *reportClient) Send(ctx context.Context, addr string, r Report) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		applied, err := c.send(ctx, addr, r)
		if err == nil || attempt == 1 || ctx.Err() != nil {
			return applied, err
		}
		var remote *remoteError
		if errors.As(err, &remote) {
			return 0, err
		}
	}
}

// remoteError is the handler's error, as the leader answered it.
type remoteError struct{ msg string }

func (e *remoteError) Error() string { return "coordinator: leader: " + e.msg }

func (c *reportClient) send(ctx context.Context, addr string, r Report) (uint64, error) {
	if c.conn != nil && c.addr != addr {
		c.closeLocked()
	}
	if c.conn == nil {
		conn, err := dialMux(addr, reportTimeout, muxReport)
		if err != nil {
			return 0, fmt.Errorf("coordinator: report to %s: %w", addr, err)
		}
		c.conn, c.addr, c.dec = conn, addr, json.NewDecoder(bufio.NewReader(conn))
	}
	deadline := time.Now().Add(reportTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = c.conn.SetDeadline(deadline)
	var rep reportReply
	if err := json.NewEncoder(c.conn).Encode(r); err != nil {
		c.closeLocked()
		return 0, fmt.Errorf("coordinator: report to %s: %w", addr, err)
	}
	if err := c.dec.Decode(&rep); err != nil {
		c.closeLocked()
		return 0, fmt.Errorf("coordinator: report to %s: %w", addr, err)
	}
	if rep.Err != "" {
		return 0, &remoteError{rep.Err}
	}
	return rep.Applied, nil
}

func (c *reportClient) closeLocked() {
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.dec = nil, nil
}

// Close drops the connection.
func (c *reportClient) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
}
