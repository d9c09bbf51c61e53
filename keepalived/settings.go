package keepalived

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// checker validates one setting at a time, collecting every problem so
// that an operator sees them all at once.
type checker struct {
	cfg  *config.Config
	host *config.Host
	errs []error
}

// Words keepalived reads as one token, never as a comment, a quote or an
// escape.
var (
	safeWord  = regexp.MustCompile(`^[A-Za-z0-9_./:@+,=-]+$`)
	ifaceName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,15}$`)
)

func (c *checker) fail(w config.Where, section, key string, sentinel error, format string, a ...any) {
	c.errs = append(c.errs, &KeyError{Pos: w.At(key), Section: section, Key: key,
		Problem: fmt.Sprintf(format, a...), Err: sentinel})
}

// failKA reports a problem with a <keepalived> key.
func (c *checker) failKA(key string, sentinel error, format string, a ...any) {
	c.fail(c.cfg.Keepalived.Where, "keepalived", key, sentinel, format, a...)
}

func (c *checker) routerID() int {
	id := c.cfg.Keepalived.VirtualRouterID
	switch {
	case id == 0:
		c.failKA("virtual_router_id", ErrMissing, "is not set (1-255): needed to render keepalived.conf")
	case id < 1 || id > 255:
		c.failKA("virtual_router_id", ErrInvalid, "%d is out of range (1-255)", id)
	}
	return id
}

func (c *checker) priority() int {
	h := c.host
	p := h.Priority
	switch {
	case p == 0:
		c.fail(h.Where, "host "+h.Name, "priority", ErrMissing, "is not set (1-254): needed to render keepalived.conf")
	case p < 1 || p > 254:
		// 255 would make the host the address owner, which ignores
		// nopreempt and cannot be lowered.
		c.fail(h.Where, "host "+h.Name, "priority", ErrInvalid, "%d is out of range (1-254)", p)
	}
	return p
}

func (c *checker) version() int {
	v := c.cfg.Keepalived.VRRPVersion
	if v != 2 && v != 3 {
		c.failKA("vrrp_version", ErrInvalid, "%d is not a VRRP version keepalived runs (2 or 3)", v)
	}
	return v
}

// iface is the VRRP interface: <keepalived> interface, or else the host's
// cluster_interface.
func (c *checker) iface() string {
	name := c.cfg.VRRPInterface(c.host)
	switch {
	case name == "":
		c.failKA("interface", ErrMissing, "is not set and host %s has no cluster_interface: needed to render keepalived.conf", c.host.Name)
	case !ifaceName.MatchString(name):
		c.failKA("interface", ErrInvalid, "%q is not an interface name", name)
	}
	return name
}

// advertInt formats advert_int: VRRPv3 counts centiseconds (0.01-40.95 s),
// VRRPv2 whole seconds (1-255); keepalived rounds anything else, which
// would silently change the failover time.
func (c *checker) advertInt(version int) string {
	d := c.cfg.Keepalived.AdvertInt
	switch version {
	case 3:
		if d < 10*time.Millisecond || d > 40950*time.Millisecond || d%(10*time.Millisecond) != 0 {
			c.failKA("advert_int", ErrInvalid, "%v is not a VRRPv3 advert interval (10ms to 40.95s in steps of 10ms)", d)
		}
	case 2:
		if s, ok := wholeSeconds(d); !ok || s < 1 || s > 255 {
			c.failKA("advert_int", ErrInvalid, "%v is not a VRRPv2 advert interval (whole seconds, 1-255): set advert_int in seconds or use vrrp_version 3", d)
		}
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// authPass returns the VRRPv2 PASS password. VRRPv3 has no authentication
// (keepalived refuses the block); PASS uses 8 characters.
func (c *checker) authPass(version int) string {
	p := c.cfg.Keepalived.AuthPass
	switch {
	case p == "":
	case version == 3:
		c.failKA("auth_pass", ErrInvalid, "is set, but VRRPv3 has no authentication (keepalived rejects it): remove auth_pass or set vrrp_version 2")
	case len(p) > 8:
		c.failKA("auth_pass", ErrInvalid, "is %d characters long: VRRP PASS authentication uses at most 8", len(p))
	case !safeWord.MatchString(p):
		c.failKA("auth_pass", ErrInvalid, "holds spaces, quotes or other characters keepalived would not read as one word")
	}
	return p
}

// vips renders the writer role's IPs as host routes on the VRRP interface.
func (c *checker) vips(role *config.Role) []string {
	if len(role.IPs) == 0 {
		c.fail(role.Where, "role "+role.Name, "ips", ErrMissing, "is empty: the writer role needs a VIP")
	}
	out := make([]string, 0, len(role.IPs))
	for _, ip := range role.IPs {
		if !ip.Is4() {
			c.fail(role.Where, "role "+role.Name, "ips", ErrInvalid, "%s: only IPv4 writer VIPs are supported", ip)
			continue
		}
		out = append(out, netip.PrefixFrom(ip, 32).String())
	}
	return out
}

// unicast returns this host's address and its peers': the writer role's
// other hosts.
func (c *checker) unicast(role *config.Role) (string, []string) {
	addr := func(h *config.Host) string {
		if !h.IP.Is4() {
			c.fail(h.Where, "host "+h.Name, "ip", ErrInvalid, "%q is not an IPv4 address: unicast VRRP needs one", h.IP)
		}
		return h.IP.String()
	}
	src := addr(c.host)
	var peers []string
	for _, name := range role.Hosts {
		if h := c.cfg.Host(name); h != nil && h != c.host {
			peers = append(peers, addr(h))
		}
	}
	if len(peers) == 0 {
		c.failKA("unicast", ErrInvalid, "is on, but role %s has no host besides %s to send adverts to", role.Name, c.host.Name)
	}
	return src, peers
}

// seconds checks a duration keepalived reads as whole seconds ≥ min.
func (c *checker) seconds(key string, d time.Duration, min int) int {
	s, ok := wholeSeconds(d)
	if !ok || s < min {
		c.failKA(key, ErrInvalid, "%v is not a whole number of seconds ≥ %d (keepalived takes integers)", d, min)
	}
	return s
}

func (c *checker) atLeast(key string, n, min int) int {
	if n < min {
		c.failKA(key, ErrInvalid, "%d is less than %d", n, min)
	}
	return n
}

// path checks an absolute path that keepalived must read as one word.
func (c *checker) path(w config.Where, section, key, p string, optional bool) string {
	switch {
	case p == "" && optional:
	case p == "":
		c.fail(w, section, key, ErrMissing, "is not set: needed to render keepalived.conf")
	case !filepath.IsAbs(p) || !safeWord.MatchString(p):
		c.fail(w, section, key, ErrInvalid, "%q is not an absolute path without spaces or quotes", p)
	}
	return p
}

// fifo is the host's vrrp_notify_fifo (config.NotifyFifo), checked
// where it was set: the host's own notify_fifo or <keepalived>'s.
func (c *checker) fifo() string {
	if h := c.host; h.NotifyFifo != "" {
		return c.path(h.Where, "host "+h.Name, "notify_fifo", h.NotifyFifo, true)
	}
	ka := &c.cfg.Keepalived
	return c.path(ka.Where, "keepalived", "notify_fifo", ka.NotifyFifo, true)
}

// scriptArgs are the arguments mmm-check and mmm-notify get: the
// cluster's name when the configuration was loaded by name (--cluster
// NAME finds the same file and the same runtime paths), else the main
// configuration file (when known); and the host.
func (c *checker) scriptArgs(host string) string {
	if name := c.cfg.Cluster; name != "" {
		if config.CheckClusterName(name) != nil || !safeWord.MatchString(name) {
			c.errs = append(c.errs, errorf(ErrInvalid, "keepalived: cluster name %q is not one word keepalived can read", name))
		}
		return " --cluster " + name + " --host " + host
	}
	if len(c.cfg.Files) == 0 {
		return " --host " + host
	}
	f := c.cfg.Files[0]
	if !filepath.IsAbs(f) || !safeWord.MatchString(f) {
		c.errs = append(c.errs, errorf(ErrInvalid,
			"keepalived: configuration file %q is not an absolute path without spaces or quotes: mmm-check and mmm-notify are given it", f))
	}
	return " --config " + f + " --host " + host
}
