package gtid

import (
	"errors"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

const (
	uA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uB = "4f22fa47-71ca-11e1-9e33-c80aa9429562"
)

func TestParseMySQL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "", want: ""},
		{in: " \n", want: ""},
		{in: uA + ":1-5", want: uA + ":1-5"},
		{in: strings.ToUpper(uA) + ":6:1-5", want: uA + ":1-6"}, // merged, adjacent
		{in: uA + ":7-9:1-5", want: uA + ":1-5:7-9"},
		{in: uA + ":3-3", want: uA + ":3"},
		{in: uB + ":1-3,\n" + uA + ":1-5:7-9", want: uA + ":1-5:7-9," + uB + ":1-3"},
		{in: uA + ":1-5," + uA + ":4-8", want: uA + ":1-8"}, // same UUID twice
		{in: uA + ":1-5:Tag_B:1-2:tag_a:4", want: uA + ":1-5:tag_a:4:tag_b:1-2"},
		{in: uA + ":tag:1-3", want: uA + ":tag:1-3"},
		{in: uA + ":1:9223372036854775807", want: uA + ":1:9223372036854775807"},
		{in: uA, wantErr: true},
		{in: uA + ":", wantErr: true},
		{in: uA + ":0", wantErr: true},
		{in: uA + ":5-3", wantErr: true},
		{in: uA + ":1-", wantErr: true},
		{in: uA + ":-1", wantErr: true},
		{in: uA + ":9223372036854775808", wantErr: true},
		{in: uA + ":1-5:tag", wantErr: true},
		{in: uA + ":tag:tag2:1", wantErr: true},
		{in: uA + ":1:9tag:1", wantErr: true},
		{in: uA + ":1:" + strings.Repeat("t", 33) + ":1", wantErr: true},
		{in: uA + ":1-5,", wantErr: true},
		{in: "3e11fa4771ca11e19e33c80aa9429562:1", wantErr: true},
		{in: "3e11fa47-71ca-11e1-9e33-c80aa942956g:1", wantErr: true},
		{in: "0-1-100", wantErr: true},
	}
	for _, tt := range tests {
		s, err := ParseMySQL(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("ParseMySQL(%q) = %q, %v; want ErrSyntax", tt.in, s, err)
			}
			continue
		}
		if err != nil || s.String() != tt.want {
			t.Errorf("ParseMySQL(%q) = %q, %v; want %q", tt.in, s, err, tt.want)
		}
	}
}

func mustMySQL(t testing.TB, s string) MySQLSet {
	t.Helper()
	set, err := ParseMySQL(s)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestMySQLArithmetic(t *testing.T) {
	tests := []struct {
		name, a, b             string
		aMinusB, bMinusA       string
		aContainsB, bContainsA bool
	}{
		{name: "empty", aContainsB: true, bContainsA: true},
		{name: "equal", a: uA + ":1-5", b: uA + ":1-5", aContainsB: true, bContainsA: true},
		{name: "prefix", a: uA + ":1-10", b: uA + ":1-5", aMinusB: uA + ":6-10", aContainsB: true},
		{name: "hole", a: uA + ":1-10", b: uA + ":3-4:7", aMinusB: uA + ":1-2:5-6:8-10", aContainsB: true},
		{name: "errant on b", a: uA + ":1-10", b: uA + ":1-10," + uB + ":1", bMinusA: uB + ":1", bContainsA: true},
		{name: "overlap", a: uA + ":1-5", b: uA + ":4-8", aMinusB: uA + ":1-3", bMinusA: uA + ":6-8"},
		{name: "tags are separate sources", a: uA + ":1-3", b: uA + ":t:1-3", aMinusB: uA + ":1-3", bMinusA: uA + ":t:1-3"},
		{name: "b spans two of a's intervals", a: uA + ":1-3:5-7", b: uA + ":2-6", aMinusB: uA + ":1:7", bMinusA: uA + ":4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustMySQL(t, tt.a), mustMySQL(t, tt.b)
			if got := a.Subtract(b).String(); got != tt.aMinusB {
				t.Errorf("a−b = %q, want %q", got, tt.aMinusB)
			}
			if got := b.Subtract(a).String(); got != tt.bMinusA {
				t.Errorf("b−a = %q, want %q", got, tt.bMinusA)
			}
			if a.Contains(b) != tt.aContainsB || b.Subset(a) != tt.aContainsB {
				t.Errorf("a.Contains(b) = %v, want %v", a.Contains(b), tt.aContainsB)
			}
			if b.Contains(a) != tt.bContainsA {
				t.Errorf("b.Contains(a) = %v, want %v", b.Contains(a), tt.bContainsA)
			}
			if a.Equal(b) != (tt.aContainsB && tt.bContainsA) {
				t.Errorf("Equal = %v", a.Equal(b))
			}
			if u := a.Union(b); !u.Contains(a) || !u.Contains(b) || !u.Subtract(a).Equal(b.Subtract(a)) {
				t.Errorf("Union = %q", u)
			}
		})
	}
}

// TestMySQLAgainstBitsets checks the interval arithmetic against a naive
// model: one bit per transaction number of one source.
func TestMySQLAgainstBitsets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randomSet := func() (MySQLSet, [40]bool) {
		var bits [40]bool
		var parts []string
		for range r.IntN(5) {
			first := 1 + r.IntN(38)
			last := first + r.IntN(40-first)
			for i := first; i <= last; i++ {
				bits[i] = true
			}
			parts = append(parts, strconv.Itoa(first)+"-"+strconv.Itoa(last))
		}
		if len(parts) == 0 {
			return MySQLSet{}, bits
		}
		return mustMySQL(t, uA+":"+strings.Join(parts, ":")), bits
	}
	render := func(bits [40]bool) string {
		var parts []string
		for i := 1; i < 40; i++ {
			if bits[i] && !bits[i-1] {
				j := i
				for j+1 < 40 && bits[j+1] {
					j++
				}
				if j == i {
					parts = append(parts, strconv.Itoa(i))
				} else {
					parts = append(parts, strconv.Itoa(i)+"-"+strconv.Itoa(j))
				}
			}
		}
		if len(parts) == 0 {
			return ""
		}
		return uA + ":" + strings.Join(parts, ":")
	}
	for range 2000 {
		a, abits := randomSet()
		b, bbits := randomSet()
		if a.String() != render(abits) {
			t.Fatalf("parse: %q, model %q", a, render(abits))
		}
		var minus, union [40]bool
		contains := true
		for i := range abits {
			minus[i] = abits[i] && !bbits[i]
			union[i] = abits[i] || bbits[i]
			contains = contains && (!bbits[i] || abits[i])
		}
		if got := a.Subtract(b).String(); got != render(minus) {
			t.Fatalf("%q − %q = %q, model %q", a, b, got, render(minus))
		}
		if got := a.Union(b).String(); got != render(union) {
			t.Fatalf("%q ∪ %q = %q, model %q", a, b, got, render(union))
		}
		if a.Contains(b) != contains {
			t.Fatalf("%q ⊇ %q = %v, model %v", a, b, a.Contains(b), contains)
		}
	}
}

func TestMySQLZeroValue(t *testing.T) {
	var zero MySQLSet
	a := mustMySQL(t, uA+":1-3")
	if !zero.IsEmpty() || zero.String() != "" || !a.Contains(zero) || zero.Contains(a) ||
		!a.Subtract(zero).Equal(a) || !zero.Union(a).Equal(a) || !zero.Equal(MySQLSet{}) {
		t.Fatal("zero value is not the empty set")
	}
}

func FuzzParseMySQL(f *testing.F) {
	for _, s := range []string{"", uA + ":1-5:7-9", uA + ":1," + uB + ":2-3", uA + ":1:tag:2", uA + ":0", "x:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseMySQL(s)
		if err != nil {
			return
		}
		again, err := ParseMySQL(set.String())
		if err != nil || !again.Equal(set) || again.String() != set.String() {
			t.Fatalf("round trip of %q: %q → %q, %v", s, set, again, err)
		}
		if !set.Contains(set) || !set.Subtract(set).IsEmpty() || !set.Union(set).Equal(set) {
			t.Fatalf("%q is not consistent with itself", set)
		}
	})
}

func TestMySQLHighest(t *testing.T) {
	set, err := ParseMySQL("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18:tag1:4,4e11fa47-71ca-11e1-9e33-c80aa9429562:7")
	if err != nil {
		t.Fatal(err)
	}
	got := set.Highest()
	want := map[string]uint64{
		"3e11fa47-71ca-11e1-9e33-c80aa9429562":      18,
		"3e11fa47-71ca-11e1-9e33-c80aa9429562:tag1": 4,
		"4e11fa47-71ca-11e1-9e33-c80aa9429562":      7,
	}
	if !maps.Equal(got, want) {
		t.Errorf("Highest = %v, want %v", got, want)
	}
	if len(MySQLSet{}.Highest()) != 0 {
		t.Error("the empty set has a highest transaction")
	}
}
