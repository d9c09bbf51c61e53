package checks

import (
	"errors"
	"testing"
)

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Status
	}{
		{"ok", StatusOK}, {"OK", StatusOK}, {"failed", StatusFailed}, {"ERROR", StatusFailed},
		{"unknown", StatusUnknown}, {"UNKNOWN", StatusUnknown},
	} {
		got, err := ParseStatus(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if back, _ := ParseStatus(got.String()); back != got {
			t.Errorf("%v does not survive String and Parse", got)
		}
	}
	for _, bad := range []string{"", "invalid", "warning"} {
		if _, err := ParseStatus(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseStatus(%q): %v, want ErrInvalid", bad, err)
		}
	}
	if s := Status(9).String(); s != "Status(9)" {
		t.Errorf("Status(9) = %q", s)
	}
	if StatusInvalid.String() != "invalid" {
		t.Errorf("zero Status = %q, want invalid", StatusInvalid)
	}
}

func TestResultString(t *testing.T) {
	for _, tc := range []struct {
		r    Result
		want string
	}{
		{Result{Status: StatusOK}, "OK"},
		{Result{Status: StatusOK, Message: "Backlog is null"}, "OK: Backlog is null"},
		{Result{Status: StatusFailed, Message: "Replication is broken"}, "ERROR: Replication is broken"},
		{Result{Status: StatusUnknown, Message: "Too many connections! x"}, "UNKNOWN: Too many connections! x"},
		{Result{}, "INVALID"},
		{Result{Status: Status(9), Message: "?"}, "INVALID: ?"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
}
