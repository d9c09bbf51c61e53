package keepalived

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// Names in the rendered configuration. Notify arguments and fifo lines of
// the writer's instance carry InstanceName.
const (
	InstanceName  = "mmm_writer"      // the writer's vrrp_instance
	ScriptName    = "mmm_check"       // the vrrp_script running mmm-check
	TrackFileName = "mmm_coordinator" // the track_file the coordinator writes
)

//go:embed keepalived.conf.tmpl
var confText string

var confTemplate = template.Must(template.New("keepalived.conf").Parse(confText))

// view is what the template needs, every value already validated and
// formatted for keepalived.
type view struct {
	Host, Role, Sources string
	Cluster             string // "" = the default cluster
	Fifo                string

	ScriptName, CheckCommand       string
	Interval, Timeout, Fall, Rise  int
	TrackName, TrackFile           string
	Instance, Interface, AdvertInt string
	RouterID, Priority, Version    int
	AuthPass                       string
	UnicastSrc                     string
	UnicastPeers, VIPs             []string
	NotifyCommand                  string
	GarpDelay, GarpRepeat          int
	DownTimerAdverts               int
}

// Render returns keepalived.conf for host, one of the writer role's hosts
// (the masters), from the cluster configuration. It reads nothing and
// writes nothing.
//
// The result names absolute paths only (mmm-check, mmm-notify, the track
// file, the fifo, the configuration files it was rendered from), so it
// must be rendered with the same paths the host uses. mmm-check and
// mmm-notify get --config FILE, or --cluster NAME when the configuration
// was loaded by name (config.LoadCluster: Config.Cluster). Its only secret is
// auth_pass (VRRPv2 authentication): write the file 0600, owned by root,
// when that is set. keepalived -t accepts it (see the tests); keepalived
// additionally needs the track file's directory to exist when it starts.
//
// Problems are reported together (errors.Join), each a *KeyError or an
// error wrapping ErrHost, ErrMissing or ErrInvalid.
func Render(cfg *config.Config, host string) ([]byte, error) {
	v, err := newView(cfg, host)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := confTemplate.Execute(&b, v); err != nil {
		return nil, fmt.Errorf("keepalived: render %s: %w", host, err)
	}
	return b.Bytes(), nil
}

// newView checks everything Render needs and formats it.
func newView(cfg *config.Config, name string) (*view, error) {
	if cfg == nil {
		return nil, errorf(ErrMissing, "keepalived: no configuration to render from")
	}
	role, h, err := writerHost(cfg, name)
	if err != nil {
		return nil, err
	}
	ka := &cfg.Keepalived
	c := checker{cfg: cfg, host: h}
	if !safeWord.MatchString(h.Name) {
		// It becomes router_id and an argument of the scripts.
		c.errs = append(c.errs, errorf(ErrInvalid, "keepalived: host name %q is not one word keepalived can read", h.Name))
	}
	v := &view{
		Host: h.Name, Role: role.Name,
		ScriptName: ScriptName, TrackName: TrackFileName, Instance: InstanceName,
		RouterID: c.routerID(), Priority: c.priority(), Version: c.version(),
		Interface: c.iface(),
		Fifo:      c.fifo(),
		TrackFile: c.path(h.Where, "host "+h.Name, "track_file", h.TrackFile, false),
		Interval:  c.seconds("check_interval", ka.CheckInterval, 1),
		Timeout:   c.seconds("check_timeout", ka.CheckTimeout, 1),
		Fall:      c.atLeast("check_fall", ka.CheckFall, 1),
		Rise:      c.atLeast("check_rise", ka.CheckRise, 1),
		GarpDelay: c.seconds("garp_master_delay", ka.GarpMasterDelay, 0),
		// keepalived sends at least one GARP per round.
		GarpRepeat:       c.atLeast("garp_master_repeat", ka.GarpMasterRpt, 1),
		DownTimerAdverts: c.atLeast("down_timer_adverts", ka.DownTimerAdverts, 1),
	}
	v.AdvertInt = c.advertInt(v.Version)
	v.AuthPass = c.authPass(v.Version)
	v.VIPs = c.vips(role)
	if ka.Unicast {
		v.UnicastSrc, v.UnicastPeers = c.unicast(role)
	}
	v.Sources = strings.Join(cfg.Files, ", ")
	v.Cluster = cfg.Cluster

	// The scripts get the configuration and the host explicitly, so that
	// they never depend on `this` or on their own defaults.
	args := c.scriptArgs(h.Name)
	checkBin := c.path(ka.Where, "keepalived", "check_bin", ka.CheckBin, false)
	notifyBin := c.path(ka.Where, "keepalived", "notify_bin", ka.NotifyBin, false)
	// mmm-check must answer before keepalived kills it at check_timeout.
	v.CheckCommand = checkBin + args + " --timeout " + (ka.CheckTimeout * 4 / 5).String()
	v.NotifyCommand = notifyBin + args

	if err := errors.Join(c.errs...); err != nil {
		return nil, err
	}
	return v, nil
}

// writerHost finds the writer role and host name in it.
func writerHost(cfg *config.Config, name string) (*config.Role, *config.Host, error) {
	h := cfg.Host(name)
	if h == nil {
		names := make([]string, len(cfg.Hosts))
		for i, h := range cfg.Hosts {
			names[i] = h.Name
		}
		return nil, nil, errorf(ErrHost, "keepalived: host %q is not defined (hosts: %s)", name, strings.Join(names, ", "))
	}
	role := cfg.WriterRole()
	if role == nil {
		e := &KeyError{Pos: cfg.Global.At("active_master_role"), Key: "active_master_role", Err: ErrMissing,
			Problem: "is not set: the writer role is needed to render keepalived.conf"}
		if cfg.ActiveMasterRole != "" {
			e.Problem, e.Err = fmt.Sprintf("%q names no role: the writer role is needed to render keepalived.conf", cfg.ActiveMasterRole), ErrInvalid
		}
		return nil, nil, e
	}
	for _, n := range role.Hosts {
		if n == name {
			return role, h, nil
		}
	}
	return nil, nil, errorf(ErrHost, "keepalived: host %q is not in the writer role %q (hosts: %s): only those run keepalived",
		name, role.Name, strings.Join(role.Hosts, ", "))
}

// detailError is a one-line message that still matches its sentinel.
type detailError struct {
	msg string
	err error
}

func (e *detailError) Error() string { return e.msg }
func (e *detailError) Unwrap() error { return e.err }

func errorf(sentinel error, format string, a ...any) error {
	return &detailError{msg: fmt.Sprintf(format, a...), err: sentinel}
}

// wholeSeconds reports d as whole seconds, ok = false when it has a
// fraction: keepalived reads these keys as integers.
func wholeSeconds(d time.Duration) (int, bool) {
	return int(d / time.Second), d%time.Second == 0
}
