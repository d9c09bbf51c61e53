package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
	"github.com/mmm-keepalived/mmm-keepalived/test/lab"
)

// bench runs trials on one lab; writer and standby swap after each.
type bench struct {
	l               *lab.Lab
	o               options
	out             io.Writer
	writer, standby string
}

// result is one trial.
type result struct {
	from, to   string
	fault      time.Time
	decided    time.Time
	vip        time.Time // the writer VIP on the new writer
	first      time.Time // the first acknowledged INSERT after the fault
	server     int       // server_id that acknowledged it
	attempts   int
	samples    int
	violations []lab.WriterSample
	move       lab.Move
}

func (r result) String() string {
	d := func(t time.Time) string { return t.Sub(r.fault).Round(time.Millisecond).String() }
	return fmt.Sprintf("%s -> %s: decided %s, VIP %s, first INSERT %s (server %d, attempt %d), after the decision %s; %d samples, %d with two writers",
		r.from, r.to, d(r.decided), d(r.vip), d(r.first), r.server, r.attempts,
		r.first.Sub(r.decided).Round(time.Millisecond), r.samples, len(r.violations))
}

func (b *bench) scenario(ctx context.Context, name string) (summary, error) {
	fmt.Fprintf(b.out, "\n%s, %d trials:\n", name, b.o.trials)
	sum := summary{name: name}
	for i := range b.o.trials {
		r, err := b.trial(ctx, name)
		if err != nil {
			return sum, fmt.Errorf("%s trial %d: %w", name, i+1, err)
		}
		fmt.Fprintf(b.out, "  %2d  %s\n", i+1, r)
		for _, v := range r.violations {
			fmt.Fprintf(b.out, "      two writers: %s\n", v)
		}
		sum.add(r)
		if err := b.restore(ctx, name); err != nil {
			return sum, fmt.Errorf("%s trial %d: restore: %w", name, i+1, err)
		}
		b.writer, b.standby = b.standby, b.writer
	}
	return sum, nil
}

// trial kills the writer and measures until the first INSERT through the
// VIP succeeds.
func (b *bench) trial(ctx context.Context, name string) (result, error) {
	r := result{from: b.writer, to: b.standby}
	if err := b.steady(ctx); err != nil {
		return r, err
	}
	c, err := newClient(ctx, b.l, b.o)
	if err != nil {
		return r, err
	}
	defer c.close()
	s := b.l.SampleWriters(20 * time.Millisecond)
	tctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if b.o.jitter > 0 {
		select {
		case <-tctx.Done():
		case <-time.After(rand.N(b.o.jitter)):
		}
	}

	r.fault = time.Now()
	switch name {
	case "mysqld-kill":
		_, err = b.l.KillMySQL(tctx, r.from)
	case "host-kill":
		_, err = b.l.KillHost(tctx, r.from)
	}
	if err != nil {
		s.Stop()
		return r, err
	}
	done := make(chan firstInsert, 1)
	go func() { done <- c.firstInsert(tctx) }()

	switch name {
	case "mysqld-kill":
		// The writer's keepalived leaves MASTER when mmm-check fails.
		for {
			hs, err := b.l.VIPHolders(lab.WriterVIP)
			if err != nil {
				s.Stop()
				return r, err
			}
			if !slices.Contains(hs, r.from) {
				break
			}
			select {
			case <-tctx.Done():
				s.Stop()
				return r, fmt.Errorf("the VIP never left %s: %w", r.from, tctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
	case "host-kill":
		select {
		case <-tctx.Done():
		case <-time.After(time.Until(r.fault.Add(b.o.decide))):
		}
	}
	r.decided = time.Now()
	m, err := b.l.MoveWriter(tctx, r.from, r.to)
	r.move = m
	if err != nil {
		s.Stop()
		return r, err
	}
	r.vip = m.VIP
	f := <-done
	rep := s.Stop()
	r.samples, r.violations = rep.Samples, rep.Violations
	if f.err != nil {
		return r, fmt.Errorf("no INSERT through the VIP: %w", f.err)
	}
	r.first, r.server, r.attempts = f.at, f.server, f.attempts
	return r, nil
}

// steady waits until the lab is healthy with the writer VIP on the
// writer alone.
func (b *bench) steady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for {
		last = b.l.Healthy(ctx)
		if last == nil {
			hs, err := b.l.VIPHolders(lab.WriterVIP)
			if err != nil {
				return err
			}
			if slices.Equal(hs, []string{b.writer}) {
				return nil
			}
			last = fmt.Errorf("writer VIP on %v, want %s", hs, b.writer)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab not steady: %w (%w)", last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// restore brings the dead writer back as the standby: read-only,
// replicating from the new writer, its track file closed, its mmm-check
// passing again.
func (b *bench) restore(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	dead := b.writer
	logFile := b.l.KeepalivedLogPath(dead)
	before, _ := os.ReadFile(logFile)
	switch name {
	case "mysqld-kill":
		if err := b.l.StartMySQL(ctx, dead); err != nil {
			return err
		}
	case "host-kill":
		// A machine that reboots comes back without the VIP; the lab's
		// namespace kept it on the unplugged interface.
		_, _ = b.l.Exec(ctx, dead, "ip", "addr", "del", lab.WriterVIP.String()+"/32", "dev", "eth0")
		if err := b.l.ReviveHost(ctx, dead); err != nil {
			return err
		}
	}
	// Its mmm-check passes again (keepalived logs the change); only then
	// can the next trial open its track file without waiting for it.
	ok := []byte("VRRP_Script(" + keepalived.ScriptName + ") succeeded")
	for {
		data, err := os.ReadFile(logFile)
		if err == nil && len(data) >= len(before) && bytes.Contains(data[len(before):], ok) {
			return b.l.WaitNotifyIdle(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("mmm-check on %s did not pass again: %w", dead, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
