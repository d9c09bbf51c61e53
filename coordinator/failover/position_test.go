package failover

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/dbctl"
	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

func mpos(s string) Position {
	p, err := ParsePosition(dbctl.MariaDB, s)
	if err != nil {
		panic(err)
	}
	return p
}

func ypos(s string) Position {
	p, err := ParsePosition(dbctl.MySQL, s)
	if err != nil {
		panic(err)
	}
	return p
}

func TestPositionOps(t *testing.T) {
	tests := []struct {
		name           string
		p, q           Position
		contains       bool
		subtract       string
		union          string
		lead           uint64
		wantEmptyPMinQ bool
	}{
		{"mariadb equal", mpos("0-1-10"), mpos("0-1-10"), true, "", "0-1-10", 0, true},
		{"mariadb ahead", mpos("0-1-12"), mpos("0-1-10"), true, "0-1-12", "0-1-12", 2, false},
		{"mariadb behind", mpos("0-1-10"), mpos("0-1-12"), false, "", "0-1-12", 0, true},
		{"mariadb other server, higher", mpos("0-2-15"), mpos("0-1-10"), true, "0-2-15", "0-2-15", 5, false},
		{"mariadb diverged", mpos("0-1-10"), mpos("0-2-10"), false, "0-1-10", "0-1-10", 1, false},
		{"mariadb extra domain", mpos("0-1-10,1-2-3"), mpos("0-1-10"), true, "1-2-3", "0-1-10,1-2-3", 3, false},
		{"mariadb missing domain", mpos("0-1-10"), mpos("0-1-10,1-2-3"), false, "", "0-1-10,1-2-3", 0, true},
		{"empty p", Position{}, mpos("0-1-1"), false, "", "0-1-1", 0, true},
		{"empty q", mpos("0-1-1"), Position{}, true, "0-1-1", "0-1-1", 1, false},
		{"mysql ahead", ypos(uuidA + ":1-10"), ypos(uuidA + ":1-7"), true, uuidA + ":8-10", uuidA + ":1-10", 3, false},
		{"mysql gap", ypos(uuidA + ":1-10"), ypos(uuidA + ":1-3:5-10"), true, uuidA + ":4", uuidA + ":1-10", 1, false},
		{"mysql disjoint", ypos(uuidA + ":1-2"), ypos(uuidB + ":1-5"), false, uuidA + ":1-2",
			uuidA + ":1-2," + uuidB + ":1-5", 2, false},
		{"flavours never mix", mpos("0-1-1"), ypos(uuidA + ":1"), false, "0-1-1", "0-1-1", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Contains(tt.q); got != tt.contains {
				t.Errorf("Contains = %v", got)
			}
			if got := tt.p.Subtract(tt.q); got.String() != tt.subtract || got.IsEmpty() != (tt.subtract == "") {
				t.Errorf("Subtract = %q", got)
			}
			if got := tt.p.Union(tt.q).String(); got != tt.union {
				t.Errorf("Union = %q", got)
			}
			if got := tt.p.Lead(tt.q); got != tt.lead {
				t.Errorf("Lead = %d", got)
			}
		})
	}
}

func TestParsePosition(t *testing.T) {
	if _, err := ParsePosition(dbctl.FlavorUnknown, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown flavour: %v", err)
	}
	if _, err := ParsePosition(dbctl.MariaDB, "0-1"); !errors.Is(err, gtid.ErrSyntax) {
		t.Errorf("bad MariaDB: %v", err)
	}
	if p, err := ParsePosition(dbctl.MySQL, ""); err != nil || !p.IsEmpty() {
		t.Errorf("empty MySQL: %v %v", p, err)
	}
}

func TestCountMySQL(t *testing.T) {
	for s, want := range map[string]uint64{
		"":                                     0,
		uuidA + ":1-5:7":                       6,
		uuidA + ":1-5:7," + uuidB + ":3-4":     8,
		uuidA + ":1-2:tag:1-3," + uuidB + ":9": 6,
	} {
		if got := countMySQL(s); got != want {
			t.Errorf("countMySQL(%q) = %d, want %d", s, got, want)
		}
	}
}

// hist builds a MariaDB history from binlog pos, slave pos and state.
func hist(binlog, slave, state string) history {
	h := history{binlog: mpos(binlog)}
	h.applied = h.binlog.Union(mpos(slave))
	for _, el := range strings.Split(state, ",") {
		if el != "" {
			h.state = append(h.state, mpos(el).maria.GTIDs()...)
		}
	}
	return h
}

func TestErrant(t *testing.T) {
	tests := []struct {
		name         string
		host, writer history
		want         []string
	}{
		{"in step", hist("0-1-100", "0-2-50", "0-1-100,0-2-50"), hist("0-1-100", "0-1-100", "0-1-100,0-2-50"), nil},
		{"behind the writer", hist("0-1-100", "", "0-1-100"), hist("0-2-500", "0-1-100", "0-1-100,0-2-500"), nil},
		{"unshipped, writer went on (position blind)", hist("0-1-101", "", "0-1-101,0-2-50"),
			hist("0-2-500", "0-1-100", "0-1-100,0-2-500"), []string{"0-1-101"}},
		{"unshipped, writer not further", hist("0-1-101", "", "0-1-101"),
			hist("0-1-100", "0-1-100", "0-1-100"), []string{"0-1-101"}},
		{"diverged at the same seq", hist("0-1-101", "", "0-1-101"),
			hist("0-2-101", "0-1-100", "0-1-100,0-2-101"), []string{"0-1-101"}},
		{"a domain the writer lacks", hist("0-1-100,5-1-3", "", "0-1-100,5-1-3"),
			hist("0-1-100", "", "0-1-100"), []string{"5-1-3"}},
		{"no binlog on host: slave pos only", hist("", "0-2-600", ""),
			hist("0-2-500", "", "0-2-500"), []string{"0-2-600"}},
		{"mysql", history{applied: ypos(uuidA + ":1-10," + uuidB + ":1-3")},
			history{applied: ypos(uuidA + ":1-8," + uuidB + ":1-3")}, []string{uuidA + ":9-10"}},
		{"mysql none", history{applied: ypos(uuidA + ":1-8")}, history{applied: ypos(uuidA + ":1-10")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errant(tt.host, tt.writer); !slices.Equal(got, tt.want) {
				t.Errorf("errant = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMostComplete(t *testing.T) {
	st := func(name, pos string, eligible bool) Standing {
		return Standing{Name: name, Position: mpos(pos), Eligible: eligible}
	}
	tests := []struct {
		name  string
		hosts []Standing
		want  string // Choice.String()
		err   error
	}{
		{"all equal: the first eligible",
			[]Standing{st("db1", "0-1-10", false), st("db2", "0-1-10", true), st("db3", "0-1-10", false)},
			"db2 (has everything)", nil},
		{"tie between masters: configuration order",
			[]Standing{st("db1", "0-1-10", true), st("db2", "0-1-10", true)}, "db1 (has everything)", nil},
		{"the more advanced master wins",
			[]Standing{st("db1", "0-1-8", true), st("db2", "0-1-10", true), st("db3", "0-1-9", false)},
			"db2 (has everything)", nil},
		{"semisync: the replica has more than every master",
			[]Standing{st("db2", "0-1-10", true), st("db3", "0-1-11", false)},
			"db2 (lacks 0-1-11, on db3)", nil},
		{"the master that lacks least",
			[]Standing{st("db1", "0-1-5", true), st("db2", "0-1-9", true), st("db3", "0-1-12", false)},
			"db2 (lacks 0-1-12, on db3)", nil},
		{"two domains, each ahead somewhere",
			[]Standing{st("db1", "0-1-10,1-1-1", true), st("db2", "0-1-9,1-1-5", true)},
			"db2 (lacks 0-1-10, on db1)", nil},
		{"diverged: one transaction each way, first wins",
			[]Standing{st("db1", "0-1-10", true), st("db2", "0-2-10", true)},
			"db1 (lacks 0-2-10, on db2)", nil},
		{"nobody eligible", []Standing{st("db3", "0-1-1", false)}, "", ErrNoCandidate},
		{"nobody", nil, "", ErrNoCandidate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := MostComplete(tt.hosts)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err == nil && c.String() != tt.want {
				t.Errorf("got %s, want %s", c, tt.want)
			}
		})
	}
}

func TestErrantErrorMessage(t *testing.T) {
	err := fmt.Errorf("failover: rejoin db1 to db2: %w", &ErrantError{Host: "db1", Writer: "db2", GTIDs: []string{"0-1-101", "5-1-3"}})
	if !errors.Is(err, ErrErrant) {
		t.Error("not ErrErrant")
	}
	want := "errant transactions: db1 has 0-1-101, 5-1-3 that db2 lacks"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%v: want it to contain %q", err, want)
	}
}
