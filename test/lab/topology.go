package lab

import (
	"fmt"
	"net/netip"
	"slices"
)

// Net is the only network the lab ever addresses (RFC 2544 benchmark
// space). Every address is checked against it before anything is created
// or dialled.
var Net = netip.MustParsePrefix("198.18.0.0/24")

// Kind says what runs on a lab host.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindDB           // a MariaDB server (db1..db3)
	KindMon          // the optional witness / operator host
	KindApp          // clients
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindDB:
		return "db"
	case KindMon:
		return "mon"
	case KindApp:
		return "app"
	}
	return "unknown"
}

// Host is one machine of the reference topology (docs/lab.md).
type Host struct {
	Name     string
	Addr     netip.Addr
	Kind     Kind
	ServerID int    // MariaDB server_id; 0 for hosts without MariaDB
	Master   string // the host this one replicates from; "" for none
	Mode     string // MMM host mode: master or slave; "" outside the cluster
	Peer     string // MMM peer (masters only)
}

// Hosts is the reference topology: db1 <-> db2 master-master, db3 a
// replica of db1, mon and app without MariaDB.
var Hosts = []Host{
	{Name: "db1", Addr: netip.MustParseAddr("198.18.0.11"), Kind: KindDB, ServerID: 1, Master: "db2", Mode: "master", Peer: "db2"},
	{Name: "db2", Addr: netip.MustParseAddr("198.18.0.12"), Kind: KindDB, ServerID: 2, Master: "db1", Mode: "master", Peer: "db1"},
	{Name: "db3", Addr: netip.MustParseAddr("198.18.0.13"), Kind: KindDB, ServerID: 3, Master: "db1", Mode: "slave"},
	{Name: "mon", Addr: netip.MustParseAddr("198.18.0.20"), Kind: KindMon},
	{Name: "app", Addr: netip.MustParseAddr("198.18.0.30"), Kind: KindApp},
}

// Writer is the host that is the active master when the lab comes up.
const Writer = "db1"

// WriterVIP and ReaderVIPs are the roles' virtual addresses.
var (
	WriterVIP  = netip.MustParseAddr("198.18.0.100")
	ReaderVIPs = []netip.Addr{
		netip.MustParseAddr("198.18.0.101"),
		netip.MustParseAddr("198.18.0.102"),
		netip.MustParseAddr("198.18.0.103"),
	}
)

// MySQLPort is the port every lab MariaDB listens on, on its own address.
const MySQLPort = 3306

// LookupHost returns the named host of the topology.
func LookupHost(name string) (Host, error) {
	for _, h := range Hosts {
		if h.Name == name {
			return h, nil
		}
	}
	return Host{}, fmt.Errorf("%w: %q (hosts: db1 db2 db3 mon app)", ErrUnknownHost, name)
}

// DBHosts returns the hosts that run MariaDB, in topology order.
func DBHosts() []Host {
	var out []Host
	for _, h := range Hosts {
		if h.Kind == KindDB {
			out = append(out, h)
		}
	}
	return out
}

// VIPs returns the writer VIP followed by the reader VIPs.
func VIPs() []netip.Addr {
	return append([]netip.Addr{WriterVIP}, ReaderVIPs...)
}

// CheckAddrs returns ErrOutsideLab unless every address is inside Net and
// is a unicast host address (not the network or broadcast address).
func CheckAddrs(addrs ...netip.Addr) error {
	last := netip.MustParseAddr("198.18.0.255")
	for _, a := range addrs {
		if !a.IsValid() || !Net.Contains(a) || a == Net.Addr() || a == last {
			return fmt.Errorf("%w: %v", ErrOutsideLab, a)
		}
	}
	return nil
}

// topologyAddrs lists every address the lab configures or dials.
func topologyAddrs() []netip.Addr {
	var out []netip.Addr
	for _, h := range Hosts {
		out = append(out, h.Addr)
	}
	return slices.Concat(out, VIPs())
}
