package lab

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// HostStatus is what Status saw of one host.
type HostStatus struct {
	Host Host
	// Link: "up"; "down" (NetworkDown: its eth0 is down); "unplugged"
	// (KillHost: its bridge port is down).
	Link string
	// MySQL: "running", "frozen" (SIGSTOP), "stopped"; "" on mon and app.
	MySQL    string
	ReadOnly string // ON/OFF
	Master   string // the host it replicates from
	IO, SQL  string // Slave_IO_Running, Slave_SQL_Running
	Behind   string // Seconds_Behind_Master ("" = NULL)
	Delay    string // SQL_Delay, seconds
	GTID     string // gtid_current_pos
	Semisync string // e.g. "master ON 2 clients", "slave ON"
	VIPs     []netip.Addr
	Err      string // what went wrong asking it
}

// Status is a snapshot of the whole lab.
type Status struct {
	Prefix      string
	StateDir    string
	Manifest    *Manifest
	Hosts       []HostStatus
	Partitioned []string // hosts cut from each other
	Daemons     map[string]bool
}

// Status inspects the lab: links, mysqld processes, replication, VIPs,
// partitions, daemons. Each server gets a few seconds; a frozen one is
// not asked at all.
func (l *Lab) Status(ctx context.Context) (*Status, error) {
	m, err := l.Manifest()
	if err != nil {
		return nil, err
	}
	st := &Status{Prefix: l.opts.Prefix, StateDir: l.opts.StateDir, Manifest: m, Daemons: map[string]bool{}}
	if st.Partitioned, err = l.isolatedPorts(); err != nil {
		return nil, err
	}
	for _, h := range Hosts {
		st.Hosts = append(st.Hosts, l.hostStatus(ctx, h))
	}
	for _, d := range m.Daemons {
		st.Daemons[d.Host+"/"+d.Name] = len(l.daemonPids(d)) > 0
	}
	return st, nil
}

func (l *Lab) hostStatus(ctx context.Context, h Host) HostStatus {
	hs := HostStatus{Host: h, Link: "up"}
	var errs []string
	if up, err := linkUp(l.bridgeNamespace(), h.Name); err != nil {
		errs = append(errs, err.Error())
	} else if !up {
		hs.Link = "unplugged"
	}
	if up, err := linkUp(l.Namespace(h.Name), hostIface); err != nil {
		errs = append(errs, err.Error())
	} else if !up {
		hs.Link = "down"
	}
	if addrs, err := l.addrsOn(h.Name); err == nil {
		for _, a := range addrs {
			ip, _ := netip.AddrFromSlice(a.IP.To4())
			if slices.Contains(VIPs(), ip) {
				hs.VIPs = append(hs.VIPs, ip)
			}
		}
	}
	s, ok := l.servers[h.Name]
	if !ok {
		hs.Err = strings.Join(errs, "; ")
		return hs
	}
	hs.MySQL = "stopped"
	if pid, err := s.Pid(); err == nil && s.Running() {
		hs.MySQL = "running"
		if processState(pid) == 'T' {
			hs.MySQL = "frozen"
		}
	}
	if hs.MySQL == "running" {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if err := l.askServer(ctx, &hs); err != nil {
			errs = append(errs, err.Error())
		}
	}
	hs.Err = strings.Join(errs, "; ")
	return hs
}

// askServer fills the MySQL part of hs.
func (l *Lab) askServer(ctx context.Context, hs *HostStatus) error {
	r, err := openRoot(l.servers[hs.Host.Name])
	if err != nil {
		return err
	}
	defer r.Close()
	ro, err := r.queryString(ctx, "SELECT IF(@@read_only, 'ON', 'OFF')")
	if err != nil {
		return err
	}
	hs.ReadOnly = ro
	if hs.GTID, err = r.queryString(ctx, "SELECT @@gtid_current_pos"); err != nil {
		return err
	}
	rs, err := r.slaveStatus(ctx)
	if err != nil {
		return err
	}
	hs.Master = hostByAddr(rs["Master_Host"])
	hs.IO, hs.SQL, hs.Behind, hs.Delay = rs["Slave_IO_Running"], rs["Slave_SQL_Running"], rs["Seconds_Behind_Master"], rs["SQL_Delay"]
	var parts []string
	for _, side := range []string{"master", "slave"} {
		v, err := r.globalStatus(ctx, "Rpl_semi_sync_"+side+"_status")
		if err != nil {
			return err
		}
		p := side + " " + v
		if side == "master" {
			if v == "OFF" {
				on, _ := r.queryString(ctx, "SELECT IF(@@rpl_semi_sync_master_enabled, 'ON', 'OFF')")
				if on == "OFF" {
					continue // not enabled here: not worth a column
				}
			}
			n, err := r.globalStatus(ctx, "Rpl_semi_sync_master_clients")
			if err != nil {
				return err
			}
			p += " " + n + " clients"
		}
		parts = append(parts, p)
	}
	hs.Semisync = strings.Join(parts, ", ")
	return nil
}

// hostByAddr names the lab host with the given address, or returns the
// address itself.
func hostByAddr(addr string) string {
	for _, h := range Hosts {
		if h.Addr.String() == addr {
			return h.Name
		}
	}
	return addr
}

// String renders the status for humans.
func (st *Status) String() string {
	var b strings.Builder
	since := "incomplete (Up did not finish)"
	if st.Manifest.Complete {
		since = "up since " + st.Manifest.UpSince.Format(time.DateTime)
	}
	fmt.Fprintf(&b, "lab %s: %s, state in %s\n\n", st.Prefix, since, st.StateDir)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "host\taddress\tlink\tmysqld\tread_only\tmaster\tio\tsql\tbehind\tgtid\tsemisync\tVIPs")
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	for _, h := range st.Hosts {
		var vips []string
		for _, v := range h.VIPs {
			vips = append(vips, v.String())
		}
		behind := h.Behind
		if h.Delay != "" && h.Delay != "0" {
			behind += " (delay " + h.Delay + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Host.Name, h.Host.Addr, h.Link,
			dash(h.MySQL), dash(h.ReadOnly), dash(h.Master), dash(h.IO), dash(h.SQL), dash(behind),
			dash(h.GTID), dash(h.Semisync), dash(strings.Join(vips, " ")))
	}
	tw.Flush()
	for _, h := range st.Hosts {
		if h.Err != "" {
			fmt.Fprintf(&b, "%s: %s\n", h.Host.Name, h.Err)
		}
	}
	if len(st.Partitioned) > 0 {
		fmt.Fprintf(&b, "partition: %s cannot reach each other\n", strings.Join(st.Partitioned, " and "))
	}
	var comps []string
	for _, c := range components() {
		if v, ok := st.Manifest.Components[c.name]; ok {
			comps = append(comps, c.name+": "+v)
		}
	}
	fmt.Fprintf(&b, "components: %s\n", strings.Join(comps, "; "))
	var ds []string
	for name, running := range st.Daemons {
		ds = append(ds, fmt.Sprintf("%s (running=%v)", name, running))
	}
	slices.Sort(ds)
	if len(ds) > 0 {
		fmt.Fprintf(&b, "daemons: %s\n", strings.Join(ds, ", "))
	}
	return b.String()
}

// Healthy returns nil when the lab is complete and in its steady state:
// every link up, no partition, every mysqld running with both replication
// threads running, and exactly one server writable. `mmm-lab up` reuses
// such a lab.
func (l *Lab) Healthy(ctx context.Context) error {
	st, err := l.Status(ctx)
	if err != nil {
		return err
	}
	if !st.Manifest.Complete {
		return fmt.Errorf("%w: bring-up did not finish", ErrNotUp)
	}
	if len(st.Partitioned) > 0 {
		return fmt.Errorf("lab: partitioned: %v", st.Partitioned)
	}
	writable := 0
	for _, h := range st.Hosts {
		if h.ReadOnly == "OFF" {
			writable++
		}
		switch {
		case h.Err != "":
			return fmt.Errorf("lab: %s: %s", h.Host.Name, h.Err)
		case h.Link != "up":
			return fmt.Errorf("lab: %s: link %s", h.Host.Name, h.Link)
		case h.Host.Kind != KindDB:
		case h.MySQL != "running" || h.IO != "Yes" || h.SQL != "Yes":
			return fmt.Errorf("lab: %s: mysqld %s, io %q, sql %q", h.Host.Name, h.MySQL, h.IO, h.SQL)
		}
	}
	if writable != 1 {
		return fmt.Errorf("lab: %d writable servers, want 1", writable)
	}
	return nil
}
