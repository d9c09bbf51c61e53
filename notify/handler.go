package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/fence"
	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrConfig: the configuration does not say how to act on this host.
	ErrConfig = errors.New("notify: configuration")
	// ErrNotFenced: the fence failed or could not be verified: the local
	// MySQL may still accept writes.
	ErrNotFenced = errors.New("notify: not fenced")
)

// Observer reads the host's current state. It must not block: it reads
// an interface's addresses and a small file.
type Observer interface {
	Observe() Observation
}

// Fencer fences the local MySQL (internal/fence.Fence behind a
// connection), within ctx.
type Fencer interface {
	Fence(ctx context.Context) (fence.Result, error)
}

// Reporter tells the local coordinator; *api.Client implements it.
type Reporter interface {
	ReportVRRP(ctx context.Context, r api.VRRPReport) error
}

var _ Reporter = (*api.Client)(nil)

// Handler acts on one notification of one host. Reporter may be nil (no
// coordinator on this host); Now defaults to time.Now.
type Handler struct {
	Host     string
	Observer Observer
	Fencer   Fencer
	Reporter Reporter
	Now      func() time.Time
}

// Outcome is what Handle did.
type Outcome struct {
	Host       string
	Transition keepalived.Transition
	Decision
	Observed Observation

	// Fenced is the fence's result, FenceErr its error (Action fence).
	Fenced   fence.Result
	FenceErr error
	// MasterAfterFence: keepalived took the VIP while the fence ran; the
	// host holds it read-only until the coordinator opens writes.
	MasterAfterFence bool

	// Reported: the coordinator took the report. ReportErr: why not
	// (best effort, never a failure of Handle); nil with Reported false
	// means no coordinator is configured.
	Reported  bool
	ReportErr error

	Took time.Duration
}

// Err is nil unless the fence was needed and failed: it wraps
// ErrNotFenced and the fence's error.
func (o Outcome) Err() error {
	if o.Action == ActionFence && o.FenceErr != nil {
		return fmt.Errorf("%w: %w", ErrNotFenced, o.FenceErr)
	}
	return nil
}

// String is the outcome in one line, e.g.
//
//	db1: INSTANCE "mmm_writer" FAULT 150: fence: FAULT (...): read_only=1 set (was 0), ...; reported
func (o Outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s: %s", o.Host, o.Transition, o.Action, o.Why)
	if o.Action == ActionFence {
		if o.FenceErr != nil {
			fmt.Fprintf(&b, "; NOT FENCED: %v", o.FenceErr)
			if o.Fenced.ReadOnlyAttempts > 0 {
				fmt.Fprintf(&b, " (%s)", o.Fenced)
			}
		} else {
			fmt.Fprintf(&b, "; fenced: %s", o.Fenced)
		}
		if o.MasterAfterFence {
			b.WriteString("; keepalived took the VIP meanwhile: it is held read-only until the coordinator opens writes")
		}
	}
	switch {
	case o.Action == ActionIgnore:
	case o.Reported:
		b.WriteString("; reported to the coordinator")
	case o.ReportErr != nil:
		fmt.Fprintf(&b, "; not reported (best effort): %v", o.ReportErr)
	default:
		b.WriteString("; no coordinator to report to")
	}
	fmt.Fprintf(&b, "; %v", o.Took.Round(time.Millisecond))
	return oneLine(b.String())
}

// Handle decides what to do with t and does it within ctx: the fence and
// the report run concurrently, so that a slow coordinator never delays
// the fence. It returns when both are done or ctx has ended. Handle is
// idempotent: the fence is, and a repeated report says the same.
func (h *Handler) Handle(ctx context.Context, t keepalived.Transition) Outcome {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	start := now()
	o := Outcome{Host: h.Host, Transition: t, Observed: h.Observer.Observe()}
	o.Decision = Decide(t.State, o.Observed)
	if o.Action == ActionIgnore {
		o.Took = now().Sub(start)
		return o
	}
	var wg sync.WaitGroup
	if h.Reporter != nil {
		wg.Go(func() {
			o.ReportErr = h.Reporter.ReportVRRP(ctx, api.VRRPReport{Host: h.Host, Instance: t.Name,
				State: t.State.String(), Priority: t.Priority, Seen: start})
			o.Reported = o.ReportErr == nil
		})
	}
	if o.Action == ActionFence {
		o.Fenced, o.FenceErr = h.Fencer.Fence(ctx)
		after := h.Observer.Observe()
		o.MasterAfterFence = after.VIPErr == nil && after.HoldsVIP
	}
	wg.Wait()
	o.Took = now().Sub(start)
	return o
}

// oneLine folds newlines (joined errors) into "; ".
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
