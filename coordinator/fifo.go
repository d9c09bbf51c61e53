package coordinator

import (
	"bytes"
	"context"
	"errors"
	"os"
	"syscall"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// watchFifo reads keepalived's vrrp_notify_fifo on a writer-role host and
// reports the VRRP instance's state (see fifoReader).
func (c *Coordinator) watchFifo(ctx context.Context) {
	// The host's own notify_fifo, else <keepalived>'s (what Render gave
	// keepalived on this host).
	fifo := c.cfg.NotifyFifo(c.cfg.Host(c.host))
	if !c.canBeWriter(c.host) || fifo == "" {
		return
	}
	r := fifoReader{path: fifo, onLine: func(line string) {
		t, err := keepalived.ParseFifoLine(line)
		if err != nil {
			c.log.Warn("notify fifo", "err", err)
			return
		}
		if s, ok := vrrpState(t); ok {
			c.log.Info("keepalived reports", "instance", t.Name, "state", t.State.String(), "priority", t.Priority)
			c.local.setVRRP(s)
		}
	}, warn: func(msg string, err error) { c.log.Warn(msg, "path", fifo, "err", err) }}
	r.run(ctx)
}

// vrrpState maps a fifo line about a VRRP instance to the state machine's
// VRRP state; group lines are ignored (the rendered configuration has one
// instance and no sync group).
func vrrpState(t keepalived.Transition) (fsm.VRRPState, bool) {
	if t.Kind != keepalived.KindInstance {
		return fsm.VRRPUnknown, false
	}
	switch t.State {
	case keepalived.StateMaster, keepalived.StateMasterRxLowerPri, keepalived.StateMasterPriority:
		return fsm.VRRPMaster, true
	case keepalived.StateBackup, keepalived.StateBackupPriority:
		return fsm.VRRPBackup, true
	case keepalived.StateFault:
		return fsm.VRRPFault, true
	case keepalived.StateStop, keepalived.StateDeleted:
		return fsm.VRRPStop, true
	}
	return fsm.VRRPUnknown, false
}

// fifoReader reads lines from a fifo that another process (keepalived)
// creates, removes and recreates. It opens the fifo read-write, so that
// opening never blocks and reading never sees EOF while no writer has it
// open, and creates it (0600) when it is missing: keepalived uses an
// existing fifo. It reopens the path when the fifo there is a different
// one (keepalived removed and recreated it).
type fifoReader struct {
	path   string
	onLine func(string)
	warn   func(string, error)
	poll   time.Duration // 0: fifoPoll
}

// fifoPoll is how often the reader checks whether keepalived replaced
// the fifo (its lines wake the reader at once anyway).
const fifoPoll = 5 * time.Second

func (r *fifoReader) run(ctx context.Context) {
	warned := false
	for ctx.Err() == nil {
		f, err := r.open()
		if err != nil {
			if !warned {
				r.warn("cannot open keepalived's notify fifo; retrying", err)
				warned = true
			}
			select {
			case <-ctx.Done():
			case <-time.After(fifoPoll):
			}
			continue
		}
		warned = false
		r.read(ctx, f)
		f.Close()
	}
}

func (r *fifoReader) open() (*os.File, error) {
	if err := syscall.Mkfifo(r.path, 0o600); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	f, err := os.OpenFile(r.path, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		f.Close()
		return nil, errors.New("coordinator: not a fifo: " + r.path)
	}
	return f, nil
}

// read reads lines until ctx ends or the path names another fifo. A fifo
// opened non-blocking is pollable, so read deadlines work on it: the end
// of ctx sets one in the past, which wakes the read at once (a shutdown
// must not wait out a poll, nor keep raft going meanwhile).
func (r *fifoReader) read(ctx context.Context, f *os.File) {
	stop := context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	var buf []byte
	chunk := make([]byte, 4096)
	poll := r.poll
	if poll <= 0 {
		poll = fifoPoll
	}
	for {
		// Deadline first, then ctx: a cancel after the check sets its
		// past deadline after this one.
		_ = f.SetReadDeadline(time.Now().Add(poll))
		if ctx.Err() != nil {
			return
		}
		n, err := f.Read(chunk)
		buf = append(buf, chunk[:n]...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			if line := string(bytes.TrimSpace(buf[:i])); line != "" {
				r.onLine(line)
			}
			buf = buf[i+1:]
		}
		if len(buf) > 64<<10 {
			buf = nil // no newline in 64 KiB: not keepalived's
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			if !r.same(f) {
				return
			}
		default:
			return
		}
	}
}

// same reports whether the path still names the fifo f has open.
func (r *fifoReader) same(f *os.File) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(r.path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}
