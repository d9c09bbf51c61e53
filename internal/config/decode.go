package config

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// The second stage interprets the raw sections: built-in defaults, then
// the `default` section of each kind, then the named section's own keys —
// so a template applies regardless of where it appears.

type decoder struct {
	fsys  fileSystem
	doc   *document
	probs *problems
	c     *Config
}

func decode(fsys fileSystem, doc *document, probs *problems) *Config {
	d := &decoder{fsys: fsys, doc: doc, probs: probs, c: Defaults()}
	c := d.c
	c.Files = doc.files
	c.Global.Pos = doc.global.pos
	for _, f := range doc.files {
		if slices.Contains(doc.secrets, f) {
			d.warnReadable(f, doc.modes[f], "holds a password")
		}
		if doc.modes[f]&0o002 != 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s is writable by others (mode %04o); run: chmod o-w %s", f, doc.modes[f], f))
		}
	}
	apply(d, doc.global, c, &c.Global, globalKeys)

	hostProto := defaultHost()
	if s := doc.find("host", "default"); s != nil {
		hostProto.Pos = s.pos
		apply(d, s, hostProto, &hostProto.Where, hostKeys)
	}
	c.templates = map[string]Where{"host": hostProto.Where}
	for _, s := range doc.sections["host"] {
		if s.name == "default" {
			continue
		}
		h := hostProto.clone()
		h.Name, h.Pos = s.name, s.pos
		apply(d, s, h, &h.Where, hostKeys)
		c.Hosts = append(c.Hosts, h)
	}

	// Roles have no template in MMM: <role default> is a role like any other.
	for _, s := range doc.sections["role"] {
		r := &Role{Name: s.name, Where: Where{Pos: s.pos, KeyPos: map[string]Pos{}}}
		apply(d, s, r, &r.Where, roleKeys)
		c.Roles = append(c.Roles, r)
	}

	checkProto := defaultCheck("")
	if s := doc.find("check", "default"); s != nil {
		checkProto.Pos = s.pos
		apply(d, s, checkProto, &checkProto.Where, checkKeys)
	}
	c.templates["check"] = checkProto.Where
	for _, name := range CheckNames {
		ch := checkProto.clone()
		ch.Name = name
		if s := doc.find("check", name); s != nil {
			ch.Pos = s.pos
			apply(d, s, ch, &ch.Where, checkKeys)
		}
		c.Checks[name] = ch
	}

	unique(d, "monitor", &c.Monitor, &c.Monitor.Where, monitorKeys)
	unique(d, "socket", &c.Socket, &c.Socket.Where, socketKeys)
	unique(d, "coordinator", &c.Coordinator, &c.Coordinator.Where, coordinatorKeys)
	unique(d, "keepalived", &c.Keepalived, &c.Keepalived.Where, keepalivedKeys)
	for _, t := range []struct {
		key, what string
		path      *string
	}{{"api_token_file", "holds the API token", &c.Coordinator.APITokenFile},
		{"api_read_token_file", "holds the read-only API token", &c.Coordinator.APIReadTokenFile}} {
		p := *t.path
		if p == "" {
			continue
		}
		if !filepath.IsAbs(p) { // like include: relative to the file naming it
			p = filepath.Join(filepath.Dir(c.Coordinator.At(t.key).File), p)
			*t.path = p
		}
		// Only the coordinator needs to read it; elsewhere it may be absent.
		if _, mode, err := fsys.ReadFile(p); err == nil {
			d.warnReadable(p, mode, t.what)
		}
	}
	for _, s := range doc.sections["copy_method"] {
		apply(d, s, &copyMethod{}, &Where{KeyPos: map[string]Pos{}}, copyMethodKeys)
	}
	return c
}

func unique[T any](d *decoder, kind string, dst *T, w *Where, table keyTable[T]) {
	if s := d.doc.find(kind, ""); s != nil {
		w.Pos = s.pos
		apply(d, s, dst, w, table)
	}
}

// apply sets each entry of s on dst and records where it was set.
func apply[T any](d *decoder, s *section, dst *T, w *Where, table keyTable[T]) {
	for _, e := range s.entries {
		v := e.value
		if e.file {
			var ok bool
			if v, ok = d.secret(s, e); !ok {
				continue
			}
		}
		w.KeyPos[e.key] = e.pos
		if err := table[e.key](dst, v); err != nil {
			d.probs.add(ErrValue, e.pos, s.kind, s.name, e.raw, err.Error())
		}
	}
}

// secret reads a KEY_file: the path is relative to the file naming it,
// and one trailing newline (as editors leave it) is not part of the value.
func (d *decoder) secret(s *section, e entry) (string, bool) {
	if e.value == "" {
		d.probs.add(ErrValue, e.pos, s.kind, s.name, e.raw, "expected the path of a file holding the password")
		return "", false
	}
	path := e.value
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(e.pos.File), path)
	}
	data, mode, err := d.fsys.ReadFile(path)
	if err != nil {
		d.probs.add(ErrInclude, e.pos, s.kind, s.name, e.raw, cannotRead(path, err))
		return "", false
	}
	d.warnReadable(path, mode.Perm(), "holds a password")
	v := strings.TrimSuffix(string(data), "\n")
	return strings.TrimSuffix(v, "\r"), true
}

// cannotRead is the message for a file a key names that cannot be read.
func cannotRead(path string, err error) string {
	return fmt.Sprintf("cannot read %q: %s", path, reason(err))
}

// warnReadable adds, once per file, MMM's refusal turned into a warning.
func (d *decoder) warnReadable(path string, perm fs.FileMode, what string) {
	if perm&0o004 == 0 {
		return
	}
	w := fmt.Sprintf("%s %s and is readable by others (mode %04o); run: chmod 0640 %s", path, what, perm, path)
	for _, old := range d.c.Warnings {
		if strings.HasPrefix(old, path+" ") {
			return
		}
	}
	d.c.Warnings = append(d.c.Warnings, w)
}
