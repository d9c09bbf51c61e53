package keepalived

import (
	"errors"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrMissing: a setting that rendering needs is not set.
	ErrMissing = errors.New("keepalived: setting missing")
	// ErrInvalid: a setting has a value keepalived would reject or
	// misread.
	ErrInvalid = errors.New("keepalived: setting invalid")
	// ErrHost: the host is not defined or may not hold the writer role.
	ErrHost = errors.New("keepalived: host cannot hold the writer")

	// ErrNotifyArgs: notify arguments are not TYPE NAME STATE PRIORITY.
	ErrNotifyArgs = errors.New("keepalived: notify arguments")
	// ErrFifoLine: a vrrp_notify_fifo line is malformed.
	ErrFifoLine = errors.New("keepalived: notify fifo line")
	// ErrUnknownState: a state or type word keepalived does not send.
	ErrUnknownState = errors.New("unknown")

	// ErrTrackFile: a track file does not hold one integer.
	ErrTrackFile = errors.New("keepalived: track file")
)

// KeyError is a configuration problem found while rendering. It names the
// section and key, and where the key was set (or the section opened) when
// that is known:
//
//	keepalived: <keepalived> virtual_router_id is not set (1-255): needed to render keepalived.conf
//	keepalived: mmm_common.conf:41: <host db1> priority 300 is out of range (1-254)
type KeyError struct {
	Pos     config.Pos // "" when the key and its section were never written
	Section string     // "keepalived", "host db1", "role writer", or "" for a global key
	Key     string
	Problem string // what is wrong, starting with a verb: "is not set (1-255)"
	Err     error  // ErrMissing, ErrInvalid or ErrHost
}

func (e *KeyError) Error() string {
	s := "keepalived: "
	if p := e.Pos.String(); p != "" {
		s += p + ": "
	}
	if e.Section != "" {
		s += "<" + e.Section + "> "
	}
	return s + e.Key + " " + e.Problem
}

func (e *KeyError) Unwrap() error { return e.Err }
