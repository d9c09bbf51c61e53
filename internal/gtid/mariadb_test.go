package gtid

import (
	"errors"
	"testing"
)

func TestParseMariaDB(t *testing.T) {
	tests := []struct {
		in, want string // want "" with wantErr
		wantErr  bool
	}{
		{in: "", want: ""},
		{in: "  ", want: ""},
		{in: "0-1-100", want: "0-1-100"},
		{in: "1-2-5,0-1-100", want: "0-1-100,1-2-5"},
		{in: " 0-1-100 , 1-2-5\n", want: "0-1-100,1-2-5"},
		{in: "007-01-0100", want: "7-1-100"},
		{in: "4294967295-4294967295-18446744073709551615", want: "4294967295-4294967295-18446744073709551615"},
		{in: "0-1-100,0-2-101", wantErr: true}, // two GTIDs in one domain
		{in: "4294967296-1-1", wantErr: true},  // domain > 32 bits
		{in: "0-4294967296-1", wantErr: true},  // server > 32 bits
		{in: "0-1-18446744073709551616", wantErr: true},
		{in: "0-1", wantErr: true},
		{in: "0-1-2-3", wantErr: true},
		{in: "0-1-", wantErr: true},
		{in: "-1-2", wantErr: true},
		{in: "a-1-2", wantErr: true},
		{in: "0-+1-2", wantErr: true},
		{in: "0-1-2,", wantErr: true},
		{in: ",0-1-2", wantErr: true},
		{in: "0 -1-2", wantErr: true},
		{in: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", wantErr: true},
	}
	for _, tt := range tests {
		p, err := ParseMariaDB(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("ParseMariaDB(%q) = %v, %v; want ErrSyntax", tt.in, p, err)
			}
			continue
		}
		if err != nil || p.String() != tt.want {
			t.Errorf("ParseMariaDB(%q) = %q, %v; want %q", tt.in, p, err, tt.want)
		}
	}
}

func mustMariaDB(t *testing.T, s string) MariaDBPos {
	t.Helper()
	p, err := ParseMariaDB(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMariaDBArithmetic(t *testing.T) {
	tests := []struct {
		name        string
		p, q        string
		pContainsQ  bool
		pMinusQ     string
		qMinusP     string
		equal       bool
		qContainsP  bool
		wantDomain0 string // p's GTID of domain 0, "" if none
	}{
		{name: "both empty", p: "", q: "", pContainsQ: true, qContainsP: true, equal: true},
		{name: "empty contains nothing", p: "", q: "0-1-1", qMinusP: "0-1-1", qContainsP: true},
		{name: "equal", p: "0-1-100,1-2-5", q: "1-2-5,0-1-100", pContainsQ: true, qContainsP: true, equal: true, wantDomain0: "0-1-100"},
		{name: "ahead in one domain", p: "0-1-100,1-2-5", q: "0-1-90,1-2-5", pContainsQ: true, pMinusQ: "0-1-100", wantDomain0: "0-1-100"},
		{name: "higher seq from another server still includes", p: "0-2-101", q: "0-1-100", pContainsQ: true, pMinusQ: "0-2-101", wantDomain0: "0-2-101"},
		{name: "same seq other server diverged", p: "0-1-100", q: "0-2-100", pMinusQ: "0-1-100", qMinusP: "0-2-100", wantDomain0: "0-1-100"},
		{name: "extra domain is errant", p: "0-1-100,5-3-1", q: "0-1-100", pContainsQ: true, pMinusQ: "5-3-1", wantDomain0: "0-1-100"},
		{name: "each ahead somewhere", p: "0-1-100,1-2-4", q: "0-1-99,1-2-5", pMinusQ: "0-1-100", qMinusP: "1-2-5", wantDomain0: "0-1-100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, q := mustMariaDB(t, tt.p), mustMariaDB(t, tt.q)
			if got := p.Contains(q); got != tt.pContainsQ {
				t.Errorf("p.Contains(q) = %v", got)
			}
			if got := q.Contains(p); got != tt.qContainsP {
				t.Errorf("q.Contains(p) = %v", got)
			}
			if got := p.Equal(q); got != tt.equal {
				t.Errorf("Equal = %v", got)
			}
			if got := p.Subtract(q).String(); got != tt.pMinusQ {
				t.Errorf("p.Subtract(q) = %q, want %q", got, tt.pMinusQ)
			}
			if got := q.Subtract(p).String(); got != tt.qMinusP {
				t.Errorf("q.Subtract(p) = %q, want %q", got, tt.qMinusP)
			}
			// The documented identity: p − q is empty exactly when q contains p.
			if p.Subtract(q).IsEmpty() != q.Contains(p) {
				t.Error("p.Subtract(q).IsEmpty() != q.Contains(p)")
			}
			g, ok := p.Domain(0)
			if got := map[bool]string{true: g.String(), false: ""}[ok]; got != tt.wantDomain0 {
				t.Errorf("Domain(0) = %q, want %q", got, tt.wantDomain0)
			}
		})
	}
}

func TestMariaDBValueSemantics(t *testing.T) {
	p := mustMariaDB(t, "0-1-5")
	gs := p.GTIDs()
	gs[0].Seq = 99
	if p.String() != "0-1-5" {
		t.Fatalf("GTIDs() shares storage: %s", p)
	}
	var zero MariaDBPos
	if !zero.IsEmpty() || zero.String() != "" || !p.Contains(zero) {
		t.Fatal("zero value is not the empty position")
	}
	if _, err := NewMariaDBPos(MariaDBGTID{1, 1, 1}, MariaDBGTID{1, 2, 2}); !errors.Is(err, ErrSyntax) {
		t.Fatalf("NewMariaDBPos with a duplicate domain: %v", err)
	}
}

func FuzzParseMariaDB(f *testing.F) {
	for _, s := range []string{"", "0-1-100", "0-1-100,1-2-5", " 1-1-1 ,2-2-2", "0-1-100,0-2-3", "x", "1--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseMariaDB(s)
		if err != nil {
			return
		}
		again, err := ParseMariaDB(p.String())
		if err != nil || !again.Equal(p) || again.String() != p.String() {
			t.Fatalf("round trip of %q: %q → %q, %v", s, p, again, err)
		}
		if !p.Contains(p) || !p.Subtract(p).IsEmpty() {
			t.Fatalf("%q does not contain itself", p)
		}
	})
}
