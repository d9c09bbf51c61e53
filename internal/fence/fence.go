package fence

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
)

// Sentinel errors; compare with errors.Is. Each is wrapped together with
// the underlying dbctl error, if any.
var (
	// ErrUnreachable: the server did not answer the first read of
	// read_only within Options.ReadOnlyAttempt. Nothing was changed; an
	// unreachable writer must be fenced by its own side (mmm-notify, the
	// coordinator's lease).
	ErrUnreachable = errors.New("server unreachable")
	// ErrReadOnly: read_only could not be set before the context ended,
	// or the account may not set it.
	ErrReadOnly = errors.New("read_only not set")
	// ErrClientsRemain: a connection that existed when read_only took
	// effect survived every kill round.
	ErrClientsRemain = errors.New("client connections remain")
	// ErrReopened: read_only read back off at the end: someone opened the
	// server for writes during the fence.
	ErrReopened = errors.New("read_only was turned off during the fence")
	// ErrInvalid: bad options.
	ErrInvalid = errors.New("invalid options")
)

// Server is what Fence needs of a MySQL server; *dbctl.Server implements
// it.
type Server interface {
	ReadOnly(ctx context.Context) (dbctl.ReadOnlyState, error)
	SetReadOnly(ctx context.Context, on bool) error
	KillClients(ctx context.Context) ([]dbctl.Client, error)
}

var _ Server = (*dbctl.Server)(nil)

// Clock is the time source; the zero Options use the real clock.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Defaults of Options.
const (
	DefaultReadOnlyAttempt = time.Second
	DefaultInterval        = 100 * time.Millisecond
)

// Options tune Fence. The caller's context bounds the whole fence
// (fence_timeout in the coordinator, 5 s by default).
type Options struct {
	// MaxKillRetries is max_kill_retries: at most MaxKillRetries+1 kill
	// rounds after read_only took effect. 0 means one round; negative is
	// invalid. The configuration's default is 10.
	MaxKillRetries int
	// ReadOnlyAttempt bounds the first read of read_only and each
	// SET GLOBAL read_only attempt; default 1 s.
	ReadOnlyAttempt time.Duration
	// Interval is the pause before a kill round that follows a failed
	// kill or a surviving session; default 100 ms. The round confirming
	// the first one runs at once: the fence is on the failover's critical
	// path.
	Interval time.Duration
	// KillFirst runs a kill round before the first SET GLOBAL read_only:
	// for a server that may be cut off from every replica, whose commits
	// in progress wait for a semisync acknowledgement that will not come
	// and would hold read_only back for a whole attempt, while another
	// writer may be opening. Killing is final only under read_only, so
	// the rounds after it run as usual.
	KillFirst bool
	Clock     Clock
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxKillRetries < 0 || o.ReadOnlyAttempt < 0 || o.Interval < 0 {
		return o, fmt.Errorf("fence: %w: max_kill_retries %d, read_only attempt %v, interval %v must not be negative",
			ErrInvalid, o.MaxKillRetries, o.ReadOnlyAttempt, o.Interval)
	}
	if o.ReadOnlyAttempt == 0 {
		o.ReadOnlyAttempt = DefaultReadOnlyAttempt
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return o, nil
}

// Fence makes srv refuse writes: read_only on, client connections killed,
// both verified (see the package documentation for the rules). It returns
// what it did also when it fails. ctx bounds it; the server is never left
// less fenced than Fence found it.
func Fence(ctx context.Context, srv Server, opts Options) (Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Result{}, err
	}
	f := &fencer{srv: srv, opts: opts, start: opts.Clock.Now(), lostLeft: opts.MaxKillRetries + 1}
	err = f.run(ctx)
	f.res.Took = opts.Clock.Now().Sub(f.start)
	return f.res, err
}

type fencer struct {
	srv   Server
	opts  Options
	start time.Time
	res   Result
	// lostLeft is how many more statements whose connection was killed
	// under them are retried at once (MaxKillRetries+1 per fence).
	lostLeft int
}

// lost reports whether err only says that the connection under a
// statement was killed (another fence on the same server, see the
// package documentation) and the statement may be retried at once on a
// new connection; it counts the retry against lostLeft. A kill round's
// error qualifies only when every error it joins does: a KILL that the
// server refused is a failed kill.
func (f *fencer) lost(err error) bool {
	if err == nil || f.lostLeft <= 0 || !onlyLost(err) {
		return false
	}
	f.lostLeft--
	f.res.Lost++
	return true
}

func onlyLost(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyLost(e) {
				return false
			}
		}
		return len(j.Unwrap()) > 0
	}
	return dbctl.ConnectionLost(err)
}

func (f *fencer) run(ctx context.Context) error {
	var st dbctl.ReadOnlyState
	var err error
	for {
		rctx, cancel := context.WithTimeout(ctx, f.opts.ReadOnlyAttempt)
		st, err = f.srv.ReadOnly(rctx)
		cancel()
		if !f.lost(err) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("fence: %w: %w", ErrUnreachable, err)
	}
	f.res.WasReadOnly = st.ReadOnly
	if err := f.setReadOnly(ctx); err != nil {
		return err
	}
	if err := f.killRounds(ctx); err != nil {
		return err
	}
	for {
		st, err = f.srv.ReadOnly(ctx)
		if !f.lost(err) {
			break
		}
	}
	switch {
	case err != nil:
		return fmt.Errorf("fence: verify read_only: %w", err)
	case !st.ReadOnly:
		return fmt.Errorf("fence: %w", ErrReopened)
	}
	f.res.Verified = true
	return nil
}

// setReadOnly sets read_only, killing clients between attempts: a
// statement holding a table lock, a FLUSH TABLES WITH READ LOCK or a long
// commit blocks SET GLOBAL read_only. A refusal retrying cannot fix
// (access denied) ends it after one kill round: killing still ends the
// sessions in flight.
func (f *fencer) setReadOnly(ctx context.Context) error {
	if f.opts.KillFirst && !f.res.WasReadOnly {
		// Its failure is not the fence's: the rounds under read_only
		// decide.
		_, _ = f.round(ctx)
	}
	for {
		actx, cancel := context.WithTimeout(ctx, f.opts.ReadOnlyAttempt)
		err := f.srv.SetReadOnly(actx, true)
		cancel()
		f.res.ReadOnlyAttempts++
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("fence: %w: %w", ErrReadOnly, err)
		}
		if f.lost(err) { // not blocked: retried at once, the outcome is read back again
			continue
		}
		_, kerr := f.round(ctx)
		if errors.Is(err, dbctl.ErrAccessDenied) {
			return fmt.Errorf("fence: %w: %w", ErrReadOnly, errors.Join(err, kerr))
		}
	}
}

// killRounds kills client connections in rounds until no connection that
// existed when read_only took effect is left.
//
// The first round after read_only sees every connection that existed
// then; the highest id it killed is the watermark (ids only grow). A
// later round that kills nothing at or below it, and has no error,
// proves that those sessions are gone: what it kills above the watermark
// connected under read_only. After a round with a failed kill the
// failed connection's id is unknown, so only a round that finds nobody
// at all proves the fence.
func (f *fencer) killRounds(ctx context.Context) error {
	var (
		watermark uint64
		dirty     bool // a round had errors
		redo      bool // the round is run again after its connection was killed
		lastErr   error
	)
	for i := 0; i <= f.opts.MaxKillRetries; i++ {
		// The confirming round follows the first at once (a killed
		// session is listed as Killed, which KillClients spares); only
		// rounds after a failure or a survivor are paced.
		if i > 1 && !redo {
			select {
			case <-ctx.Done():
				return fmt.Errorf("fence: %w: %w (last kill error: %v)", ErrClientsRemain, ctx.Err(), lastErr)
			case <-f.opts.Clock.After(f.opts.Interval):
			}
		}
		redo = false
		killed, err := f.round(ctx)
		if i == 0 {
			for _, c := range killed {
				watermark = max(watermark, c.ID)
			}
		}
		if f.lost(err) {
			// Our connection was killed during the round: redo it at
			// once, as the same round. Sessions it did not reach are
			// listed again by the redo; a redone first round only
			// raises the watermark, which makes the proof stricter.
			i, redo = i-1, true
			continue
		}
		if err != nil {
			dirty, lastErr = true, err
			if ctx.Err() != nil {
				return fmt.Errorf("fence: %w: %w", ErrClientsRemain, err)
			}
			continue
		}
		switch {
		case len(killed) == 0:
			return nil
		case i == 0 || dirty:
			continue
		}
		old := false
		for _, c := range killed {
			old = old || c.ID <= watermark
		}
		if !old {
			return nil
		}
	}
	if lastErr != nil {
		return fmt.Errorf("fence: %w after %d rounds: %w", ErrClientsRemain, f.opts.MaxKillRetries+1, lastErr)
	}
	return fmt.Errorf("fence: %w after %d rounds: sessions outlive their kill", ErrClientsRemain, f.opts.MaxKillRetries+1)
}

// round runs one KillClients and records it.
func (f *fencer) round(ctx context.Context) ([]dbctl.Client, error) {
	killed, err := f.srv.KillClients(ctx)
	f.res.Rounds++
	f.res.Killed = append(f.res.Killed, killed...)
	return killed, err
}
