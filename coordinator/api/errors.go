package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors of the package. Client errors wrap one of them (compare
// with errors.Is); ErrNoLeader is declared with the Backend.
var (
	// ErrUnreachable: no connection to the coordinator (socket missing,
	// connection refused, dial timeout).
	ErrUnreachable = errors.New("api: coordinator unreachable")
	// ErrUnauthorized: the TCP API refused the bearer token.
	ErrUnauthorized = errors.New("api: unauthorized")
	// ErrRefused: the state machine refused the command (MMM's ERROR reply).
	ErrRefused = errors.New("api: refused by the state machine")
	// ErrUnknownName: a host, role, role IP or check that is not configured.
	ErrUnknownName = errors.New("api: unknown host, role or check")
	// ErrBadRequest: a request the server cannot parse.
	ErrBadRequest = errors.New("api: bad request")
	// ErrUnavailable: the coordinator answered but could not serve the
	// request (backend failure, leader unreachable, timeout).
	ErrUnavailable = errors.New("api: unavailable")
	// ErrNotCoordinator: something answered, but not as an mmm-coordinator
	// API does (a web server or another service at the address).
	ErrNotCoordinator = errors.New("api: not an mmm-coordinator API")
	// ErrNoToken: a TCP listener on a non-loopback address without a token.
	ErrNoToken = errors.New("api: refusing to serve TCP on a non-loopback address without a token")
)

// Code is an error's stable name on the wire; clients map it to exit
// codes. The zero value is CodeInvalid.
type Code uint8

const (
	CodeInvalid          Code = iota
	CodeBadRequest            // the request does not parse
	CodeUnauthorized          // missing or wrong bearer token
	CodeUnknownHost           // MMM: Unknown host name
	CodeUnknownRole           // MMM: Unknown role name / Unknown ip
	CodeUnknownCheck          // MMM: Unknown check
	CodeRefused               // the state machine said ERROR
	CodeNotLeader             // a forwarded request reached a follower
	CodeNoLeader              // no leader within the request's deadline
	CodeUnavailable           // anything else that is not the caller's fault
	CodeNotFound              // no such endpoint
	CodeMethodNotAllowed      // an endpoint asked with the wrong HTTP method
)

var codeNames = []string{"invalid", "bad_request", "unauthorized", "unknown_host",
	"unknown_role", "unknown_check", "refused", "not_leader", "no_leader",
	"unavailable", "not_found", "method_not_allowed"}

func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("invalid(%d)", uint8(c))
}

// ParseCode parses a wire name (bad_request, refused, …).
func ParseCode(s string) (Code, error) {
	for i, n := range codeNames[1:] {
		if n == s {
			return Code(i + 1), nil
		}
	}
	return CodeInvalid, fmt.Errorf("%w: error code %q", ErrBadRequest, s)
}

// MarshalText writes the wire name.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText accepts any name: a code from a newer server decodes as
// CodeInvalid and is treated as unavailable.
func (c *Code) UnmarshalText(b []byte) error {
	*c, _ = ParseCode(string(b))
	return nil
}

// httpStatus is the status the server answers with.
func (c Code) httpStatus() int {
	switch c {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeUnknownHost, CodeUnknownRole, CodeUnknownCheck, CodeNotFound:
		return http.StatusNotFound
	case CodeRefused:
		return http.StatusConflict
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	}
	return http.StatusServiceUnavailable
}

// sentinel is the package error a code wraps.
func (c Code) sentinel() error {
	switch c {
	case CodeBadRequest, CodeNotFound, CodeMethodNotAllowed:
		return ErrBadRequest
	case CodeUnauthorized:
		return ErrUnauthorized
	case CodeUnknownHost, CodeUnknownRole, CodeUnknownCheck:
		return ErrUnknownName
	case CodeRefused:
		return ErrRefused
	case CodeNotLeader, CodeNoLeader:
		return ErrNoLeader
	}
	return ErrUnavailable
}

// replyCode classifies a state machine's ERROR reply by MMM's fixed
// wording, so that "unknown host" gets its own exit code.
func replyCode(text string) Code {
	switch {
	case strings.HasPrefix(text, "ERROR: Unknown host name "):
		return CodeUnknownHost
	case strings.HasPrefix(text, "ERROR: Unknown role name "),
		strings.HasPrefix(text, "ERROR: Unknown ip "):
		return CodeUnknownRole
	case strings.HasPrefix(text, "ERROR: Unknown check "):
		return CodeUnknownCheck
	}
	return CodeRefused
}

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Code      Code
	Message   string // one line; MMM's reply text for refused commands
	Leader    string `json:",omitempty"` // not_leader: the leader's host name
	LeaderAPI string `json:",omitempty"` // not_leader: its TCP API address
	Command   string `json:",omitempty"` // refused: the command that was refused
}

// Error is what the client returns for an error answer or a transport
// failure. errors.Is matches the sentinel of its Code (ErrRefused,
// ErrUnknownName, …) and, for transport failures, ErrUnreachable or
// ErrUnavailable and the underlying error; for an answer the API would
// not give, ErrNotCoordinator.
type Error struct {
	Code      Code
	Message   string
	Status    int    // HTTP status; 0 when no answer was received
	Leader    string // not_leader only
	LeaderAPI string
	Command   string // refused only: the command refused
	Target    string // where the client sent the request
	err       error  // transport failure or foreign answer; nil for an API answer
	kind      error  // sentinel for transport failures and foreign answers
}

func (e *Error) Error() string {
	switch {
	case e.kind == ErrUnreachable:
		return fmt.Sprintf("cannot reach the coordinator at %s: %v", e.Target, e.err)
	case e.kind == ErrNotCoordinator:
		return fmt.Sprintf("%s does not answer like an mmm-coordinator API: %v", e.Target, e.err)
	case e.err != nil:
		return fmt.Sprintf("coordinator at %s: %v", e.Target, e.err)
	case e.Code == CodeUnauthorized:
		return fmt.Sprintf("coordinator at %s: %s", e.Target, e.Message)
	}
	return e.Message
}

// Is matches the sentinel of the error's code or transport failure.
func (e *Error) Is(target error) bool {
	if e.kind != nil {
		return target == e.kind
	}
	return target == e.Code.sentinel()
}

func (e *Error) Unwrap() error { return e.err }
