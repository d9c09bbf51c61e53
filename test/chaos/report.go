package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is a campaign's outcome, written to bench/chaos.json.
type Result struct {
	Seed      int64         `json:"seed"`
	Started   time.Time     `json:"started"`
	DurationS float64       `json:"duration_s"`
	Faults    []FaultResult `json:"faults"`
	// Acked counts the application's acknowledged inserts; LostAcked
	// those missing on at least one server at the end (LostByHost per
	// server).
	Acked      int            `json:"acked"`
	LostAcked  int            `json:"lost_acked"`
	LostByHost map[string]int `json:"lost_by_host,omitempty"`
	// TwoWritableMs is the time two servers were writable at once;
	// TwoVIPMs the time two live hosts held the writer VIP.
	TwoWritableMs int64    `json:"two_writable_ms"`
	TwoVIPMs      int64    `json:"two_vip_holders_ms"`
	Samples       int      `json:"samples"`
	OneWritable   int      `json:"samples_one_writable"` // proof that the sampler sees the writer
	BrokenSamples []string `json:"broken_samples,omitempty"`
	Errant        int      `json:"errant"`
	ErrantGTIDs   []string `json:"errant_gtids,omitempty"`
	// ErrantRepaired lists the runbook repairs done on the way (a rejoin
	// refused for errant transactions; Options.RepairErrant).
	ErrantRepaired []string `json:"errant_repaired,omitempty"`
	StaleOnline    int      `json:"stale_online"`
	StaleDetail    []string `json:"stale_detail,omitempty"`
	Stuck          int      `json:"stuck"`
	// Semisync is "kept" when, at the end, the master side was on and
	// active on the writer only and the replica side on everywhere else
	// (polled for a minute), or what differed.
	Semisync       string  `json:"semisync,omitempty"`
	MedianConvergS float64 `json:"median_converged_s"`
	MaxConvergS    float64 `json:"max_converged_s"`
	// Ended says why the campaign stopped before its last fault, if it did.
	Ended string `json:"ended,omitempty"`
}

// FaultResult is one fault: what, on whom, how long, and how long the
// cluster took to hold every invariant again after the fault was reversed.
type FaultResult struct {
	Index      int      `json:"index"`
	Type       string   `json:"type"`
	Target     string   `json:"target"`
	HeldS      float64  `json:"held_s"`
	ConvergedS *float64 `json:"converged_s,omitempty"`
	Stuck      bool     `json:"stuck,omitempty"`
	// Reason is the invariant still broken when a fault is stuck.
	Reason string `json:"reason,omitempty"`
	// Error says why a fault could not be injected (then it is skipped).
	Error         string `json:"error,omitempty"`
	TwoWritableMs int64  `json:"two_writable_ms,omitempty"`
	Evidence      string `json:"evidence,omitempty"`
}

func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*100) / 100 }

// Summarize fills the median and the maximum convergence time and the
// stuck count from Faults.
func (r *Result) Summarize() {
	var xs []float64
	r.Stuck = 0
	for _, f := range r.Faults {
		if f.ConvergedS != nil {
			xs = append(xs, *f.ConvergedS)
		}
		if f.Stuck {
			r.Stuck++
		}
	}
	r.MedianConvergS, r.MaxConvergS = medianMax(xs)
	r.MedianConvergS = math.Round(r.MedianConvergS*100) / 100
	r.StaleOnline = len(r.StaleDetail)
	r.Errant = len(r.ErrantGTIDs)
}

// Failed lists what broke an invariant, empty when nothing did.
func (r *Result) Failed() []string {
	var out []string
	if r.LostAcked > 0 {
		out = append(out, fmt.Sprintf("%d acknowledged rows lost", r.LostAcked))
	}
	if r.TwoWritableMs > 0 || r.TwoVIPMs > 0 || len(r.BrokenSamples) > 0 {
		out = append(out, fmt.Sprintf("two writable %d ms, two VIP holders %d ms", r.TwoWritableMs, r.TwoVIPMs))
	}
	if r.StaleOnline > 0 {
		out = append(out, fmt.Sprintf("%d stale ONLINE hosts", r.StaleOnline))
	}
	if r.Stuck > 0 {
		out = append(out, fmt.Sprintf("%d faults stuck", r.Stuck))
	}
	if r.Errant > 0 {
		out = append(out, fmt.Sprintf("%d errant GTIDs", r.Errant))
	}
	if r.Semisync != "" && r.Semisync != "kept" {
		out = append(out, "semisync layout not restored: "+r.Semisync)
	}
	return out
}

// WriteJSON writes the result, indented.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("chaos: %w", err)
	}
	return nil
}

// ProgressLine is the line printed when a fault is done.
func (f FaultResult) ProgressLine(total int) string {
	width := len(fmt.Sprint(total))
	s := fmt.Sprintf("%*d/%d  %-18s %-34s held %5.1fs  ", width, f.Index, total, f.Type, f.Target, f.HeldS)
	switch {
	case f.Error != "":
		s += "NOT INJECTED: " + f.Error
	case f.Stuck:
		s += "STUCK: " + f.Reason
	case f.ConvergedS != nil:
		s += fmt.Sprintf("converged %5.1fs", *f.ConvergedS)
	default:
		s += f.Reason
	}
	if f.TwoWritableMs > 0 {
		s += fmt.Sprintf("  TWO WRITABLE %d ms", f.TwoWritableMs)
	}
	return s
}

// WriteTable prints the per-type table and the totals.
func (r *Result) WriteTable(w io.Writer) {
	type row struct {
		n, stuck, skipped int
		conv              []float64
	}
	rows := map[string]*row{}
	var order []string
	for _, f := range r.Faults {
		x := rows[f.Type]
		if x == nil {
			x = &row{}
			rows[f.Type] = x
			order = append(order, f.Type)
		}
		x.n++
		switch {
		case f.Error != "":
			x.skipped++
		case f.Stuck:
			x.stuck++
		case f.ConvergedS != nil:
			x.conv = append(x.conv, *f.ConvergedS)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fault\tcount\tconverged median s\tmax s\tstuck\tnot injected\t")
	for _, t := range order {
		x := rows[t]
		med, mx := medianMax(x.conv)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%d\t%d\t\n", t, x.n, med, mx, x.stuck, x.skipped)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nseed %d, %d faults in %.0f s; %d acknowledged inserts\n", r.Seed, len(r.Faults), r.DurationS, r.Acked)
	fmt.Fprintf(w, "lost_acked %d  two_writable_ms %d  two_vip_holders_ms %d  errant %d  stale_online %d  stuck %d\n",
		r.LostAcked, r.TwoWritableMs, r.TwoVIPMs, r.Errant, r.StaleOnline, r.Stuck)
	if r.LostAcked > 0 {
		fmt.Fprintf(w, "acknowledged rows missing per server: %v\n", r.LostByHost)
	}
	fmt.Fprintf(w, "converged: median %.1f s, max %.1f s; %d invariant samples, %d of them with one writable server\n",
		r.MedianConvergS, r.MaxConvergS, r.Samples, r.OneWritable)
	if r.Semisync != "" {
		fmt.Fprintln(w, "semisync at the end:", r.Semisync)
	}
	for _, s := range r.StaleDetail {
		fmt.Fprintln(w, "stale:", s)
	}
	for _, s := range r.ErrantRepaired {
		fmt.Fprintln(w, "repaired (runbook):", s)
	}
	for _, s := range r.ErrantGTIDs {
		fmt.Fprintln(w, "errant:", s)
	}
	for _, s := range r.BrokenSamples {
		fmt.Fprintln(w, "broken sample:", s)
	}
	if r.Ended != "" {
		fmt.Fprintln(w, "ended early:", r.Ended)
	}
	if f := r.Failed(); len(f) > 0 {
		fmt.Fprintln(w, "FAILED:", strings.Join(f, "; "))
	}
}
