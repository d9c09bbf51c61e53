package coordinator

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/tcpsess"
)

// TestTicklerRemembers: a session is tickled when first seen, and again
// at least tickleGap later until the end, also after it is gone from
// the host (the fence killed it); one seen for a single round between
// two tickles of another is told too; the rounds follow tickleRounds.
func TestTicklerRemembers(t *testing.T) {
	a := tcpsess.Session{Local: netip.MustParseAddrPort("198.18.0.100:3306"), Remote: netip.MustParseAddrPort("198.18.0.30:40001")}
	b := tcpsess.Session{Local: a.Local, Remote: netip.MustParseAddrPort("198.18.0.30:40002")}
	listed := map[int][]tcpsess.Session{0: {a}, 1: {a}, 2: {b}} // then none: mysqld killed
	round := 0
	var waits []time.Duration
	var clock time.Duration
	tickled := map[netip.AddrPort][]time.Duration{}
	tk := &tickler{
		list: func() ([]tcpsess.Session, error) {
			defer func() { round++ }()
			return listed[round], nil
		},
		tickle: func(s []tcpsess.Session) (int, error) {
			for _, x := range s {
				tickled[x.Remote] = append(tickled[x.Remote], clock)
			}
			return len(s), nil
		},
		after: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			clock += d
			ch := make(chan time.Time, 1)
			ch <- time.Time{}
			return ch
		},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	tk.run(context.Background())
	rounds := tickleRounds()
	if len(waits) != len(rounds) || clock != rounds[len(rounds)-1] {
		t.Fatalf("%d rounds ending at %v, want %d ending at %v", len(waits), clock, len(rounds), rounds[len(rounds)-1])
	}
	// Until tickleDenseFor, a client whose new writer raised the address
	// hears of it within tickleGap.
	for i := 1; i < len(rounds) && rounds[i] <= tickleDenseFor; i++ {
		if d := rounds[i] - rounds[i-1]; d > tickleGap {
			t.Errorf("rounds %v and %v are %v apart, more than %v", rounds[i-1], rounds[i], d, tickleGap)
		}
	}
	for _, who := range []netip.AddrPort{a.Remote, b.Remote} {
		at := tickled[who]
		if len(at) < 8 {
			t.Errorf("%s tickled at %v: want it told until the end", who, at)
			continue
		}
		for i := 1; i < len(at); i++ {
			if at[i]-at[i-1] < tickleGap {
				t.Errorf("%s tickled at %v: %v apart, a client answers at most every 500 ms", who, at, at[i]-at[i-1])
			}
		}
		if last := at[len(at)-1]; last < rounds[len(rounds)-1]-4*time.Second {
			t.Errorf("%s last tickled at %v", who, last)
		}
	}
	if at := tickled[b.Remote]; len(at) == 0 || at[0] != 2*tickleList {
		t.Errorf("b, seen in round 2 only, tickled at %v: want at once, at %v", at, 2*tickleList)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tickled = map[netip.AddrPort][]time.Duration{}
	tk.after = func(time.Duration) <-chan time.Time { return make(chan time.Time) }
	tk.run(ctx)
	if len(tickled) != 0 {
		t.Errorf("cancelled: tickled %v", tickled)
	}
}
