package checks

import (
	"fmt"
	"strings"
	"time"
)

// Status is a check's outcome. The zero value StatusInvalid is never the
// outcome of a run: it marks a Result that was not filled in. MMM's
// UNKNOWN is StatusUnknown, a real outcome meaning "no change".
type Status uint8

const (
	StatusInvalid Status = iota
	StatusOK
	// StatusFailed is MMM's "ERROR": the check failed.
	StatusFailed
	// StatusUnknown is MMM's "UNKNOWN": the check could not tell (too many
	// connections; a replication check that could not connect). MMM's
	// monitor keeps the previous status.
	StatusUnknown
)

var statusNames = []string{"invalid", "ok", "failed", "unknown"}

// wirePrefix is MMM's prefix of a result line per Status.
var wirePrefix = []string{"INVALID", "OK", "ERROR", "UNKNOWN"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", s)
}

// ParseStatus reads ok, failed or unknown (any case), and MMM's wire
// prefixes OK, ERROR and UNKNOWN.
func ParseStatus(s string) (Status, error) {
	for st := StatusOK; st <= StatusUnknown; st++ {
		if strings.EqualFold(s, statusNames[st]) || strings.EqualFold(s, wirePrefix[st]) {
			return st, nil
		}
	}
	return StatusInvalid, fmt.Errorf("checks: %w: status %q (expected ok, failed or unknown)", ErrInvalid, s)
}

// Result is the outcome of one run of a check.
type Result struct {
	Check    string // the check's Name
	Status   Status
	Message  string        // MMM's text after the prefix; "" for a bare OK
	Duration time.Duration // how long the run took
}

// String renders MMM's wire text: "OK", "OK: Backlog is null",
// "ERROR: Replication is broken", "UNKNOWN: Too many connections! ...".
func (r Result) String() string {
	p := "INVALID"
	if int(r.Status) < len(wirePrefix) {
		p = wirePrefix[r.Status]
	}
	if r.Message == "" {
		return p
	}
	return p + ": " + r.Message
}
