package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/fsm"
)

// Retry delays while there is no leader (or the leader cannot be reached
// yet), when the backend gives no RetryAfter.
const (
	firstRetry = 50 * time.Millisecond
	maxRetry   = time.Second
)

// command applies cmd through the leader. A refusal is a reply (OK
// false), not an error, as with a local Backend.
func (s *Server) command(ctx context.Context, r *http.Request, cmd fsm.Command) (fsm.Reply, error) {
	var rep fsm.Reply
	err := s.write(ctx, r,
		func(ctx context.Context) error {
			var err error
			rep, err = s.backend.Command(ctx, cmd)
			return err
		},
		func(ctx context.Context, c *Client) error {
			var err error
			rep, err = c.Command(ctx, cmd)
			if errors.Is(err, ErrRefused) || errors.Is(err, ErrUnknownName) {
				return nil // rep holds the leader's ERROR reply
			}
			return err
		})
	return rep, err
}

// write runs a write locally and, while the backend says this node is
// not the leader, forwards it to the leader's TCP API. It retries while
// there is no leader, or the leader refuses a connection or turns out not
// to lead any more, until ctx is done. A request that was itself
// forwarded is not forwarded again: its origin retries.
//
// Only failures that prove the write was not applied are retried (no
// connection; a not_leader/no_leader answer), so that a write is never
// applied twice because of a retry.
func (s *Server) write(ctx context.Context, r *http.Request,
	local func(context.Context) error, remote func(context.Context, *Client) error) error {
	forwarded := r.Header.Get(headerForwarded) != ""
	delay := firstRetry
	for {
		err := local(ctx)
		var nl *NotLeaderError
		if !errors.As(err, &nl) || forwarded {
			return err
		}
		last := err
		if nl.LeaderAPI != "" {
			c, cerr := s.forwardClient(nl.LeaderAPI)
			if cerr != nil {
				return fmt.Errorf("%w: forwarding to the leader: %v", ErrUnavailable, cerr)
			}
			err = remote(ctx, c)
			switch {
			case err == nil:
				return nil
			case errors.Is(err, ErrUnauthorized):
				return fmt.Errorf("%w: forwarding to the leader %s at %s: it refused this node's token", ErrUnavailable, nl.Leader, nl.LeaderAPI)
			case errors.Is(err, context.DeadlineExceeded):
				return fmt.Errorf("%w: the leader %s at %s did not answer in time; it may have applied the request", ErrUnavailable, nl.Leader, nl.LeaderAPI)
			case !errors.Is(err, ErrUnreachable) && !errors.Is(err, ErrNoLeader):
				return err
			}
			s.log.Debug("forwarding to the leader failed; retrying", "leader", nl.Leader, "addr", nl.LeaderAPI, "err", err)
			if errors.Is(err, ErrUnreachable) {
				last = fmt.Errorf("%w: the leader %s at %s: %v", ErrUnavailable, nl.Leader, nl.LeaderAPI, err)
			}
		}
		wait := nl.RetryAfter
		if wait <= 0 {
			wait, delay = delay, min(2*delay, maxRetry)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return last
		case <-t.C:
		}
	}
}

// forwardClient is a client of the leader's TCP API with this server's
// token, marked as forwarded.
func (s *Server) forwardClient(addr string) (*Client, error) {
	tok, err := s.loadToken()
	if err != nil {
		return nil, err
	}
	c, err := newClient("http://"+addr, "", tok, s.fwd)
	if err != nil {
		return nil, err
	}
	c.forwarded = true
	return c, nil
}
