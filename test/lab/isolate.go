package lab

import (
	"context"
	"errors"
	"fmt"
)

// Helpers of the chaos campaign (test/chaos): a partition of any set of
// hosts, the link state of one host, and whether a mysqld is frozen.

// Isolate cuts every host of hosts from every other one of them, and from
// nothing else: their bridge ports become isolated (see Partition). With
// db1, db2 and db3 no two database hosts reach each other — no majority
// anywhere — while mon and app still reach all three. Partition allows
// one pair only; Isolate takes the whole set at once, so it refuses to
// run while any port is isolated already (ErrPartition). Reverse: Heal.
func (l *Lab) Isolate(ctx context.Context, hosts ...string) (Undo, error) {
	if len(hosts) < 2 {
		return nil, fmt.Errorf("%w: isolate wants at least two hosts, got %v", ErrPartition, hosts)
	}
	for _, h := range hosts {
		if _, err := LookupHost(h); err != nil {
			return nil, err
		}
	}
	cur, err := l.isolatedPorts()
	if err != nil {
		return nil, err
	}
	if len(cur) > 0 {
		return nil, fmt.Errorf("%w: %v already partitioned; Heal first", ErrPartition, cur)
	}
	var errs []error
	for _, h := range hosts {
		errs = append(errs, l.setIsolated(h, true))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(err, l.Heal(ctx))
	}
	return once(l.Heal), nil
}

// LinkState is "up", "down" (NetworkDown: its eth0 is down) or
// "unplugged" (KillHost: its bridge port is down): a VIP still configured
// on a host whose link is not up answers no one.
func (l *Lab) LinkState(host string) (string, error) {
	if _, err := LookupHost(host); err != nil {
		return "", err
	}
	if up, err := linkUp(l.bridgeNamespace(), host); err != nil {
		return "", err
	} else if !up {
		return "unplugged", nil
	}
	if up, err := linkUp(l.Namespace(host), hostIface); err != nil {
		return "", err
	} else if !up {
		return "down", nil
	}
	return "up", nil
}

// MySQLFrozen reports whether host's mysqld is stopped by SIGSTOP
// (FreezeMySQL): a sampler skips it instead of waiting on it.
func (l *Lab) MySQLFrozen(host string) bool {
	s, err := l.Server(host)
	if err != nil {
		return false
	}
	pid, err := s.Pid()
	return err == nil && s.Running() && processState(pid) == 'T'
}
