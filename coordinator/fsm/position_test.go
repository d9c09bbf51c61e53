package fsm

import (
	"errors"
	"testing"
)

func TestParsePosition(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"", "", false},
		{"0-1-100", "0:100", false},
		{"0-1-100,1-2-7", "0:100,1:7", false},
		{" 0-1-100,\n 0-2-90", "0:100", false},
		{"0-2-90,0-1-100", "0:100", false},
		{"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-18", "3e11fa47-71ca-11e1-9e33-c80aa9429562:18", false},
		{"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:7", "3e11fa47-71ca-11e1-9e33-c80aa9429562:5,4e11fa47-71ca-11e1-9e33-c80aa9429562:7", false},
		// MySQL 8.3+ tagged transactions count per tag.
		{"3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:mmm:1-3", "3e11fa47-71ca-11e1-9e33-c80aa9429562:5,3e11fa47-71ca-11e1-9e33-c80aa9429562:mmm:3", false},
		{"aaaa:7", "", true},
		{"0-1", "", true},
		{"x-1-100", "", true},
		{"0-1-x", "", true},
		{"uuid:1-x", "", true},
	}
	for _, tt := range tests {
		p, err := ParsePosition(tt.in)
		if tt.err {
			if !errors.Is(err, ErrParse) {
				t.Errorf("%q: error %v", tt.in, err)
			}
			continue
		}
		if err != nil || p.String() != tt.want {
			t.Errorf("%q: %q, %v; want %q", tt.in, p, err, tt.want)
		}
	}
}

func TestPositionOrder(t *testing.T) {
	a, _ := ParsePosition("0-1-100,1-2-5")
	b, _ := ParsePosition("0-1-90")
	c, _ := ParsePosition("0-1-90,2-3-1")
	switch {
	case !a.Covers(b) || b.Covers(a) || !a.Ahead(b) || b.Ahead(a):
		t.Error("a is ahead of b")
	case a.Covers(c) || c.Covers(a) || a.Ahead(c) || c.Ahead(a):
		t.Error("a and c are not comparable")
	case !a.Covers(a) || a.Ahead(a):
		t.Error("a covers itself without being ahead")
	case !a.Covers(nil) || Position(nil).Covers(a):
		t.Error("the empty position")
	}
	if got := a.Merge(c).String(); got != "0:100,1:5,2:1" {
		t.Errorf("merge: %s", got)
	}
	if Position(nil).clone() != nil || a.clone().String() != a.String() {
		t.Error("clone")
	}
}
