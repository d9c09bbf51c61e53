package lab

import (
	"strings"
	"testing"
	"time"
)

func TestWriterSampleViolates(t *testing.T) {
	tests := []struct {
		name              string
		holders, writable []string
		want              bool
	}{
		{"one writer holding the VIP", []string{"db1"}, []string{"db1"}, false},
		{"promotion before the VIP arrives", nil, []string{"db2"}, false},
		{"old writer fenced late, new one not yet holding", []string{"db1"}, nil, false},
		{"two writable, the holder among them", []string{"db2"}, []string{"db1", "db2"}, true},
		{"two writable, neither holds the VIP", nil, []string{"db1", "db2"}, false},
		{"dead host keeps the VIP, new writer holds it too", []string{"db1", "db2"}, []string{"db2"}, false},
	}
	for _, tt := range tests {
		s := WriterSample{At: time.Unix(0, 0), Holders: tt.holders, Writable: tt.writable}
		if got := s.Violates(); got != tt.want {
			t.Errorf("%s: Violates() = %v (%s)", tt.name, got, s)
		}
	}
	m := Move{From: "db1", To: "db2", Start: time.Unix(10, 0), Promoted: time.Unix(10, 5e6), VIP: time.Unix(10, 400e6)}
	if got := m.String(); !strings.Contains(got, "fenced -, caught up -, promoted 5ms, VIP 400ms") {
		t.Errorf("Move = %q", got)
	}
}
