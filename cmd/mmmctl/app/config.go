package app

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

func configCommand() *cli.Command {
	return &cli.Command{
		Name: "config", Usage: "configuration tools",
		Description: "Example:\n   mmmctl config check /etc/mysql-mmm/mmm_agent.conf",
		Subcommands: []*cli.Command{{
			Name: "check", Usage: "validate a configuration; print it resolved, secrets hidden",
			ArgsUsage: "[FILE]", Flags: []cli.Flag{jsonFlag},
			Description: "Loads FILE (default: --config) with its includes and defaults, reads its\n" +
				"api_token_file, and reports every problem with file and line (exit 8).\n" +
				"When it is valid, prints the resolved configuration in MMM's format —\n" +
				"itself a valid configuration — with passwords and auth_pass replaced by\n" +
				"********; warnings first, as comments. With @NAME, FILE (default: cluster\n" +
				"NAME's) is checked as cluster NAME's, with its runtime paths.\n\n" +
				"Example:\n   mmmctl config check /etc/mysql-mmm/mmm_agent.conf\n   mmmctl @c2 config check",
			Action: configCheckAction,
		}},
	}
}

// hidden replaces a secret's value.
const hidden = "********"

func configCheckAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return usagef("config check: want [FILE], got %d arguments", c.NArg())
	}
	path := c.Args().First()
	if path == "" {
		path = c.String("config")
	}
	cfg, err := loadConfigOf(c, path)
	if err != nil {
		return err
	}
	// Load leaves the token file to the coordinator; a check reads it.
	if err := cfg.CheckFiles(); err != nil {
		return &exitError{code: ExitConfig, err: err}
	}
	secs := resolved(cfg)
	if wantJSON(c) {
		return printJSON(c, struct {
			Files    []string
			Cluster  string   `json:",omitempty"`
			Warnings []string `json:",omitempty"`
			Sections []section
		}{cfg.Files, cfg.Cluster, cfg.Warnings, secs})
	}
	w := c.App.Writer
	fmt.Fprintf(w, "# %s: valid (read %s)\n", cfg.Files[0], strings.Join(cfg.Files, ", "))
	if cfg.Cluster != "" {
		fmt.Fprintf(w, "# cluster %s: its own default runtime paths (api_socket, data_dir, track_file, notify_fifo)\n", cfg.Cluster)
	}
	for _, warn := range cfg.Warnings {
		fmt.Fprintf(w, "# warning: %s\n", warn)
	}
	for _, s := range secs {
		indent := ""
		if s.Kind != "" {
			fmt.Fprintf(w, "\n<%s>\n", strings.TrimSpace(s.Kind+" "+s.Name))
			indent = "    "
		}
		width := 0
		for _, kv := range s.Keys {
			width = max(width, len(kv[0]))
		}
		for _, kv := range s.Keys {
			fmt.Fprintf(w, "%s%-*s  %s\n", indent, width, kv[0], kv[1])
		}
		if s.Kind != "" {
			fmt.Fprintf(w, "</%s>\n", s.Kind)
		}
	}
	return nil
}

// section is one section of the resolved configuration: Kind "" is the
// global scope; Keys are (key, value) pairs in field order.
type section struct {
	Kind string `json:",omitempty"`
	Name string `json:",omitempty"`
	Keys [][2]string
}

// resolved lists a configuration's settings by reflection, so that a key
// added to internal/config shows up without a change here.
func resolved(cfg *config.Config) []section {
	global := section{Keys: keys(reflect.ValueOf(*cfg))}
	secs := []section{global}
	for _, h := range cfg.Hosts {
		secs = append(secs, section{Kind: "host", Name: h.Name, Keys: keys(reflect.ValueOf(*h))})
	}
	for _, r := range cfg.Roles {
		secs = append(secs, section{Kind: "role", Name: r.Name, Keys: keys(reflect.ValueOf(*r))})
	}
	for _, name := range config.CheckNames {
		if ch := cfg.Checks[name]; ch != nil {
			secs = append(secs, section{Kind: "check", Name: name, Keys: keys(reflect.ValueOf(*ch))})
		}
	}
	for _, u := range []struct {
		kind string
		v    any
	}{{"monitor", cfg.Monitor}, {"coordinator", cfg.Coordinator}, {"keepalived", cfg.Keepalived}, {"socket", cfg.Socket}} {
		if ks := keys(reflect.ValueOf(u.v)); len(ks) > 0 {
			secs = append(secs, section{Kind: u.kind, Keys: ks})
		}
	}
	return secs
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	addrType     = reflect.TypeFor[netip.Addr]()
	stringerType = reflect.TypeFor[fmt.Stringer]()
)

// keys renders a struct's settable fields: sections, positions, the
// section's own name and unset values are left out.
func keys(v reflect.Value) [][2]string {
	var out [][2]string
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() || f.Anonymous || f.Name == "Name" || f.Name == "Files" || f.Name == "Warnings" || f.Name == "Cluster" {
			continue
		}
		if fv.Kind() == reflect.Map && fv.Type().Elem().Kind() == reflect.String { // mmm_tools options
			names := make([]string, 0, fv.Len())
			for _, k := range fv.MapKeys() {
				names = append(names, k.String())
			}
			slices.Sort(names)
			for _, k := range names {
				if val := fv.MapIndex(reflect.ValueOf(k)).String(); val != "" {
					out = append(out, [2]string{k, secret(k, val)})
				}
			}
			continue
		}
		key := keyName(f.Name)
		val, ok := value(fv)
		if !ok || (fv.Kind() == reflect.Int && fv.Int() == 0 && !zeroIsSetting[key]) {
			continue
		}
		out = append(out, [2]string{key, secret(key, val)})
	}
	return out
}

// value renders one setting as the configuration syntax accepts it;
// false for what is not a setting or not set.
func value(v reflect.Value) (string, bool) {
	switch {
	case v.Type() == durationType:
		return time.Duration(v.Int()).String(), true
	case v.Type() == addrType:
		a := v.Interface().(netip.Addr)
		return a.String(), a.IsValid()
	case v.Type().Implements(stringerType) && v.Kind() == reflect.Uint8: // enums
		return v.Interface().(fmt.Stringer).String(), v.Uint() != 0
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), v.String() != ""
	case reflect.Bool:
		return map[bool]string{true: "yes", false: "no"}[v.Bool()], true
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10), true
	case reflect.Slice:
		if e := v.Type().Elem(); e.Kind() != reflect.String && e != addrType {
			return "", false
		}
		items := make([]string, v.Len())
		for i := range items {
			s, _ := value(v.Index(i))
			items[i] = s
		}
		return strings.Join(items, ", "), len(items) > 0
	}
	return "", false
}

// secret hides the values of password keys.
func secret(key, val string) string {
	if strings.Contains(key, "password") || key == "auth_pass" {
		return hidden
	}
	return val
}

// zeroIsSetting lists the integer keys for which 0 is a setting (it
// turns something off); for the others 0 means unset (priority of a host
// outside the writer role, an unset virtual_router_id).
var zeroIsSetting = map[string]bool{"flap_count": true, "semisync_min_clients": true, "max_kill_retries": true}

// keyNames are the keys whose spelling the field name does not give.
var keyNames = map[string]string{"GarpMasterRpt": "garp_master_repeat", "KillUnfencedMySQLD": "kill_unfenced_mysqld"}

// keyName turns a field name into its key: APITokenFile → api_token_file,
// MySQLPort → mysql_port, PingIPs → ping_ips.
func keyName(field string) string {
	if k, ok := keyNames[field]; ok {
		return k
	}
	field = strings.NewReplacer("MySQL", "Mysql", "IPs", "Ips").Replace(field)
	r := []rune(field)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) &&
			(!unicode.IsUpper(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
