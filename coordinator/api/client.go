package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// ClientOptions say where the coordinator is.
type ClientOptions struct {
	// Socket is the local API socket, used when URL is empty; default
	// config.DefaultAPISocket.
	Socket string
	// URL is a coordinator's TCP API (http://host:port) or a socket
	// (unix:///path).
	URL string
	// TokenFile holds the bearer token sent to a TCP API.
	TokenFile string
}

// Client talks to one coordinator. It is safe for concurrent use. Every
// method takes a context whose deadline bounds the whole request; the
// server is told the deadline so that it gives up (and says why) first.
type Client struct {
	base      string // URL prefix of the endpoints
	target    string // the socket or URL, for messages
	token     []byte
	hc        *http.Client
	forwarded bool // a server forwarding to the leader
}

// dialTimeout bounds connecting when ctx has a later deadline or none.
const dialTimeout = 5 * time.Second

// maxAnswer bounds an answer's size (a snapshot of a big cluster is
// still far below).
const maxAnswer = 16 << 20

// NewClient returns a client of the socket or URL in opts. It reads the
// token file now, so that a missing file is reported before any request.
func NewClient(opts ClientOptions) (*Client, error) {
	var tok []byte
	if opts.TokenFile != "" {
		t, err := ReadToken(opts.TokenFile)
		if err != nil {
			return nil, err
		}
		tok = t
	}
	if opts.URL == "" {
		socket := opts.Socket
		if socket == "" {
			socket = config.DefaultAPISocket
		}
		return newClient("", socket, nil, nil)
	}
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("%w: api URL %q: %v", ErrBadRequest, opts.URL, err)
	}
	switch {
	case u.Scheme == "unix" && (u.Path != "" || u.Opaque != ""):
		return newClient("", u.Path+u.Opaque, nil, nil)
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return newClient(u.Scheme+"://"+u.Host, "", tok, nil)
	}
	return nil, fmt.Errorf("%w: api URL %q: want http://host:port or unix:///path", ErrBadRequest, opts.URL)
}

// newClient builds a client of a TCP base URL or a unix socket; rt
// overrides the transport (nil = a new one).
func newClient(base, socket string, token []byte, rt http.RoundTripper) (*Client, error) {
	d := &net.Dialer{Timeout: dialTimeout}
	c := &Client{base: base, target: base, token: token}
	if socket != "" {
		c.base, c.target = "http://mmm-coordinator", socket
		if rt == nil {
			rt = &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					return d.DialContext(ctx, "unix", socket)
				},
				MaxIdleConns: 2, IdleConnTimeout: idleTimeout,
			}
		}
	}
	if rt == nil {
		rt = &http.Transport{DialContext: d.DialContext, MaxIdleConns: 4, IdleConnTimeout: idleTimeout,
			TLSHandshakeTimeout: dialTimeout}
	}
	c.hc = &http.Client{Transport: rt}
	return c, nil
}

// Target is the socket or URL the client talks to.
func (c *Client) Target() string { return c.target }

// Ping asks the coordinator whether it is alive (MMM's ping).
func (c *Client) Ping(ctx context.Context) (PingResponse, error) {
	var out PingResponse
	return out, c.do(ctx, http.MethodGet, PathPing, nil, &out)
}

// Snapshot returns the coordinator's view of the cluster (`show`).
func (c *Client) Snapshot(ctx context.Context) (Snapshot, error) {
	var out Snapshot
	return out, c.do(ctx, http.MethodGet, PathShow, nil, &out)
}

// Checks returns `checks [host|all [check|all]]`; "" means all.
func (c *Client) Checks(ctx context.Context, host, check string) (ChecksResponse, error) {
	q := url.Values{}
	if host != "" {
		q.Set("host", host)
	}
	if check != "" {
		q.Set("check", check)
	}
	path := PathChecks
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out ChecksResponse
	return out, c.do(ctx, http.MethodGet, path, nil, &out)
}

// Command applies an admin command through the leader. An ERROR reply
// returns the reply (OK false, MMM's text) and an error wrapping
// ErrRefused or ErrUnknownName.
func (c *Client) Command(ctx context.Context, cmd fsm.Command) (fsm.Reply, error) {
	var out CommandResponse
	err := c.do(ctx, http.MethodPost, PathCommand, CommandRequest{Command: cmd.String()}, &out)
	if e, ok := refusal(err); ok {
		return fsm.Reply{Text: e.Message}, err
	}
	return fsm.Reply{OK: out.OK, Text: out.Text}, err
}

// Switchover moves the writer role to `to` ("" = its other ONLINE host).
// Errors are as for Command; the response says which move_role was run.
func (c *Client) Switchover(ctx context.Context, to string) (CommandResponse, error) {
	var out CommandResponse
	err := c.do(ctx, http.MethodPost, PathSwitchover, SwitchoverRequest{To: to}, &out)
	if e, ok := refusal(err); ok {
		return CommandResponse{Command: e.Command, Text: e.Message}, err
	}
	return out, err
}

// History returns the newest limit entries (0 = all kept), oldest first.
func (c *Client) History(ctx context.Context, limit int) ([]HistoryEntry, error) {
	var out HistoryResponse
	err := c.do(ctx, http.MethodGet, PathHistory+"?limit="+strconv.Itoa(limit), nil, &out)
	return out.Entries, err
}

// Status returns the raft group and per-host summary.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var out Status
	return out, c.do(ctx, http.MethodGet, PathStatus, nil, &out)
}

// ReportVRRP reports a keepalived transition (mmm-notify).
func (c *Client) ReportVRRP(ctx context.Context, r VRRPReport) error {
	return c.do(ctx, http.MethodPost, PathVRRP, r, nil)
}

// refusal returns the error answer that carries the state machine's
// ERROR reply.
func refusal(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) && e.err == nil && (errors.Is(e, ErrRefused) || errors.Is(e, ErrUnknownName)) {
		return e, true
	}
	return nil, false
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("api: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("api: request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != nil {
		req.Header.Set("Authorization", "Bearer "+string(c.token))
	}
	if c.forwarded {
		req.Header.Set(headerForwarded, "1")
	}
	if dl, ok := ctx.Deadline(); ok {
		// Less than ours, so that the server's "no leader" arrives before
		// we stop listening: a tenth, at least 100 ms (half when short).
		left := time.Until(dl)
		left -= max(left/10, min(100*time.Millisecond, left/2))
		req.Header.Set(headerTimeout, strconv.FormatInt(max(left.Milliseconds(), 1), 10))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return c.transportError(err)
	}
	if resp.StatusCode/100 != 2 {
		return c.answerError(resp, data)
	}
	if out == nil { // the API answers 204 to what returns nothing
		if resp.StatusCode != http.StatusNoContent {
			return c.notCoordinator(resp, data)
		}
		return nil
	}
	if !isJSON(resp) || json.Unmarshal(data, out) != nil {
		return c.notCoordinator(resp, data)
	}
	if a, ok := out.(answer); ok && !a.fromCoordinator() {
		return c.notCoordinator(resp, data)
	}
	return nil
}

// answer is an answer type with a field every coordinator fills: a JSON
// service that is not one decodes without error but leaves it empty.
type answer interface{ fromCoordinator() bool }

func (p *PingResponse) fromCoordinator() bool    { return p.Text == PingText }
func (s *Snapshot) fromCoordinator() bool        { return s.Node != "" }
func (s *Status) fromCoordinator() bool          { return s.Node != "" }
func (r *CommandResponse) fromCoordinator() bool { return r.Command != "" }

// isJSON: the API labels every body it sends as JSON.
func isJSON(resp *http.Response) bool {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// notCoordinator is the error for an answer the API would not give: the
// address belongs to something else (a web server, a proxy, another
// service), which retrying or another token will not change.
func (c *Client) notCoordinator(resp *http.Response, data []byte) error {
	what := "answered " + resp.Status
	if line := firstLine(data); line != "" {
		what += ": " + line
	}
	return &Error{Code: CodeUnavailable, Status: resp.StatusCode, kind: ErrNotCoordinator, Target: c.target,
		err: errors.New(what)}
}

// transportError classifies a failure without an answer: no connection
// at all is ErrUnreachable, anything later ErrUnavailable.
func (c *Client) transportError(err error) error {
	var op *net.OpError
	kind := ErrUnavailable
	if errors.As(err, &op) && op.Op == "dial" {
		kind = ErrUnreachable
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // drop the method and URL: Target says where
	}
	if errors.Is(err, context.DeadlineExceeded) && kind != ErrUnreachable {
		err = fmt.Errorf("no answer within the timeout: %w", err)
	}
	return &Error{Code: CodeUnavailable, kind: kind, Target: c.target, err: err}
}

// answerError decodes an error answer. A body that is not the API's
// ErrorResponse (a proxy's page, another service's 404) means the address
// is not a coordinator's. A code this client does not know (a newer
// server) still is the API's: it decodes as CodeInvalid, unavailable.
func (c *Client) answerError(resp *http.Response, data []byte) error {
	var probe struct{ Code string }
	if !isJSON(resp) || json.Unmarshal(data, &probe) != nil || probe.Code == "" {
		return c.notCoordinator(resp, data)
	}
	var e ErrorResponse
	_ = json.Unmarshal(data, &e) // it parsed as probe: only Code may be unknown
	return &Error{Code: e.Code, Message: e.Message, Status: resp.StatusCode,
		Leader: e.Leader, LeaderAPI: e.LeaderAPI, Command: e.Command, Target: c.target}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
