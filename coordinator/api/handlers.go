package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

func (s *Server) routes() {
	s.mux.HandleFunc("GET "+PathPing, s.handlePing)
	s.mux.HandleFunc("GET "+PathShow, s.handleShow)
	s.mux.HandleFunc("GET "+PathChecks, s.handleChecks)
	s.mux.HandleFunc("GET "+PathHistory, s.handleHistory)
	s.mux.HandleFunc("GET "+PathStatus, s.handleStatus)
	s.mux.HandleFunc("POST "+PathCommand, s.handleCommand)
	s.mux.HandleFunc("POST "+PathSwitchover, s.handleSwitchover)
	s.mux.HandleFunc("POST "+PathVRRP, s.handleVRRP)
	for _, p := range []string{PathHealth, PathWriter, PathReader} {
		s.mux.HandleFunc("GET "+p, s.handleHealth)
	}
	if s.opts.Metrics != nil {
		s.mux.Handle("GET "+PathMetrics, s.opts.Metrics)
	}
	s.mux.HandleFunc("/", s.handleUnrouted)
}

// routeMethods are the methods the routes are registered with (a GET
// pattern also serves HEAD).
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost}

// handleUnrouted answers what no route took. The catch-all "/" matches
// every method, so ServeMux never answers 405 itself: an endpoint asked
// with the wrong method is told so here, with Allow, in the API's JSON.
func (s *Server) handleUnrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range routeMethods {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, ErrorResponse{Code: CodeNotFound, Message: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)})
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, ErrorResponse{Code: CodeMethodNotAllowed,
		Message: fmt.Sprintf("%s %s: method not allowed; want %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
}

// requestContext bounds a request by RequestTimeout or the client's
// shorter deadline (headerTimeout), whichever comes first.
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	d := s.opts.RequestTimeout
	if ms, err := strconv.ParseInt(r.Header.Get(headerTimeout), 10, 64); err == nil && ms > 0 {
		d = min(d, time.Duration(ms)*time.Millisecond)
	}
	return context.WithTimeout(r.Context(), d)
}

// snapshot runs fn with the node's snapshot, or answers the error.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request, fn func(Snapshot)) {
	ctx, cancel := s.requestContext(r)
	defer cancel()
	snap, err := s.backend.Snapshot(ctx)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	fn(snap)
}

func (s *Server) handlePing(w http.ResponseWriter, r *http.Request) {
	s.snapshot(w, r, func(snap Snapshot) {
		writeJSON(w, http.StatusOK, PingResponse{Text: PingText, Node: snap.Node, Leader: snap.Leader, Version: s.opts.Version})
	})
}

func (s *Server) handleShow(w http.ResponseWriter, r *http.Request) {
	s.snapshot(w, r, func(snap Snapshot) {
		s.leaderObservations(r, &snap)
		writeJSON(w, http.StatusOK, snap)
	})
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	s.snapshot(w, r, func(snap Snapshot) {
		s.leaderObservations(r, &snap)
		writeJSON(w, http.StatusOK, StatusOf(snap))
	})
}

// leaderAskTimeout bounds fetching the leader's observations: a dead
// leader must not hold `mmmctl status` for the whole request timeout.
const leaderAskTimeout = 2 * time.Second

// leaderObservations fills a follower's snapshot with the leader's
// observations of every host's MySQL (only the leader probes), so that
// show and status read the same on every node. When the leader cannot
// be asked, the snapshot says so and why.
func (s *Server) leaderObservations(r *http.Request, snap *Snapshot) {
	if len(snap.Hosts) > 0 || snap.Leader == "" || snap.Leader == snap.Node || r.Header.Get(headerForwarded) != "" {
		return
	}
	why := "its API address is not known here"
	if snap.LeaderAPI != "" {
		ctx, cancel := context.WithTimeout(r.Context(), leaderAskTimeout)
		defer cancel()
		c, err := s.forwardClient(snap.LeaderAPI)
		var ls Snapshot
		if err == nil {
			ls, err = c.Snapshot(ctx)
		}
		switch {
		case err != nil:
			why = err.Error()
		case ls.Node != ls.Leader:
			why = fmt.Sprintf("%s no longer leads (ask again)", ls.Node)
		default:
			snap.Hosts = ls.Hosts
			return
		}
	}
	snap.Warnings = append(snap.Warnings, fmt.Sprintf("MySQL observations are kept by the leader %s; asking it failed: %s", snap.Leader, why))
}

func (s *Server) handleChecks(w http.ResponseWriter, r *http.Request) {
	host, check := r.URL.Query().Get("host"), r.URL.Query().Get("check")
	s.snapshot(w, r, func(snap Snapshot) {
		text, ok := fsm.ChecksReport(snap.Spec, snap.State, host, check, s.opts.Location)
		if !ok {
			writeError(w, ErrorResponse{Code: replyCode(text), Message: text})
			return
		}
		resp := ChecksResponse{Text: text, NoLeader: snap.Leader == ""}
		for _, row := range checkRows(snap) {
			if (host == "" || host == "all" || host == row.Host) && (check == "" || check == "all" || check == row.Check) {
				resp.Checks = append(resp.Checks, row)
			}
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, ErrorResponse{Code: CodeBadRequest, Message: fmt.Sprintf("limit %q: want a number ≥ 0", v)})
			return
		}
		limit = n
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	entries, err := s.backend.History(ctx, limit)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, HistoryResponse{Entries: entries})
}

func (s *Server) handleCommand(w http.ResponseWriter, r *http.Request) {
	var req CommandRequest
	if !decode(w, r, &req) {
		return
	}
	cmd, err := fsm.ParseCommand(req.Command)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), fsm.ErrParse.Error()+": ")
		writeError(w, ErrorResponse{Code: CodeBadRequest, Message: msg})
		return
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	rep, err := s.command(ctx, r, cmd)
	s.writeReply(w, r, cmd, rep, err)
}

func (s *Server) handleSwitchover(w http.ResponseWriter, r *http.Request) {
	var req SwitchoverRequest
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	snap, err := s.backend.Snapshot(ctx)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	cmd, refusal := switchoverCommand(snap, req.To)
	if refusal != nil {
		s.writeReply(w, r, cmd, *refusal, nil)
		return
	}
	rep, err := s.command(ctx, r, cmd)
	s.writeReply(w, r, cmd, rep, err)
}

// vrrpStates are keepalived's notify states.
var vrrpStates = []string{"MASTER", "BACKUP", "FAULT", "STOP", "DELETED"}

func (s *Server) handleVRRP(w http.ResponseWriter, r *http.Request) {
	var rep VRRPReport
	if !decode(w, r, &rep) {
		return
	}
	rep.State = strings.ToUpper(rep.State)
	if !slices.Contains(vrrpStates, rep.State) {
		writeError(w, ErrorResponse{Code: CodeBadRequest, Message: fmt.Sprintf("vrrp state %q: want one of %s", rep.State, strings.Join(vrrpStates, ", "))})
		return
	}
	if rep.Seen.IsZero() {
		rep.Seen = time.Now()
	}
	ctx, cancel := s.requestContext(r)
	defer cancel()
	if rep.Host == "" { // the caller's own host: name it, in case it is forwarded
		snap, err := s.backend.Snapshot(ctx)
		if err != nil {
			s.writeErr(w, r, err)
			return
		}
		rep.Host = snap.Node
	}
	err := s.write(ctx, r,
		func(ctx context.Context) error { return s.backend.ReportVRRP(ctx, rep) },
		func(ctx context.Context, c *Client) error { return c.ReportVRRP(ctx, rep) })
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeReply answers a command: 200 for OK, the reply's code otherwise.
func (s *Server) writeReply(w http.ResponseWriter, r *http.Request, cmd fsm.Command, rep fsm.Reply, err error) {
	switch {
	case err != nil:
		s.writeErr(w, r, err)
	case !rep.OK:
		writeError(w, ErrorResponse{Code: replyCode(rep.Text), Message: rep.Text, Command: cmd.String()})
	default:
		writeJSON(w, http.StatusOK, CommandResponse{Command: cmd.String(), OK: true, Text: rep.Text})
	}
}

// writeErr answers an error that is not a state machine reply and logs
// what is not the caller's fault.
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	e := errorResponse(err)
	if e.Code == CodeUnavailable || e.Code == CodeNoLeader {
		s.log.Warn("api request failed", "method", r.Method, "path", r.URL.Path, "code", e.Code.String(), "err", err)
	}
	if e.Code == CodeNoLeader || e.Code == CodeNotLeader {
		w.Header().Set("Retry-After", "1")
	}
	writeError(w, e)
}

// errorResponse maps an error of the backend or of forwarding to the wire.
func errorResponse(err error) ErrorResponse {
	var nl *NotLeaderError
	var ae *Error
	switch {
	case errors.As(err, &nl) && nl.Leader == "":
		return ErrorResponse{Code: CodeNoLeader, Message: "no raft leader at the moment; try again"}
	case errors.As(err, &nl):
		return ErrorResponse{Code: CodeNotLeader, Message: nl.Error(), Leader: nl.Leader, LeaderAPI: nl.LeaderAPI}
	case errors.As(err, &ae) && ae.err == nil: // the leader's answer, relayed
		return ErrorResponse{Code: ae.Code, Message: ae.Message, Leader: ae.Leader, LeaderAPI: ae.LeaderAPI, Command: ae.Command}
	case errors.Is(err, ErrNoLeader):
		return ErrorResponse{Code: CodeNoLeader, Message: err.Error()}
	case errors.Is(err, ErrUnknownName):
		return ErrorResponse{Code: CodeUnknownHost, Message: err.Error()}
	case errors.Is(err, ErrBadRequest):
		return ErrorResponse{Code: CodeBadRequest, Message: err.Error()}
	}
	return ErrorResponse{Code: CodeUnavailable, Message: err.Error()}
}

// decode reads a request body that is exactly one JSON object of v's
// type. A field v does not have and anything after the object but white
// space are refused rather than dropped: a second object or a misspelt
// field ("Forse") would otherwise be acted on as if it had not been sent.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodySize))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errTrailingData
		}
	}
	if err != nil {
		writeError(w, ErrorResponse{Code: CodeBadRequest, Message: "request body: " + err.Error()})
		return false
	}
	return true
}

var errTrailingData = errors.New("unexpected data after the JSON object")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}

func writeError(w http.ResponseWriter, e ErrorResponse) { writeJSON(w, e.Code.httpStatus(), e) }
