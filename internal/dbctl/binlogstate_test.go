package dbctl

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mmm-keepalived/mmm-keepalived/internal/gtid"
)

func TestParseBinlogState(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{in: "", want: "[]"},
		{in: "0-1-100", want: "[0-1-100]"},
		{in: "0-1-100,0-2-57, 1-2-3\n", want: "[0-1-100 0-2-57 1-2-3]"},
		{in: "0-1", err: true},
		{in: "0-1-100,x", err: true},
	}
	for _, tt := range tests {
		got, err := parseBinlogState(tt.in)
		if tt.err {
			if !errors.Is(err, gtid.ErrSyntax) {
				t.Errorf("%q: err %v, want gtid.ErrSyntax", tt.in, err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != tt.want {
			t.Errorf("%q: %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}
