package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// Manifest records what a lab created, written before each thing is
// created, so that Down can undo a crashed Up from another process.
type Manifest struct {
	Prefix     string
	Namespaces []string // created (or about to be), in order
	Daemons    []Daemon // started by the lab, besides mysqld
	// Components maps each bring-up step to "up" or the reason it was
	// skipped.
	Components map[string]string
	Complete   bool // Up finished
	UpSince    time.Time
}

func (m *Manifest) addNamespace(ns string) {
	if !slices.Contains(m.Namespaces, ns) {
		m.Namespaces = append(m.Namespaces, ns)
	}
}

// daemon returns the recorded daemon, or nil.
func (m *Manifest) daemon(host, name string) *Daemon {
	for i := range m.Daemons {
		if m.Daemons[i].Host == host && m.Daemons[i].Name == name {
			return &m.Daemons[i]
		}
	}
	return nil
}

// manifestMu serialises read-modify-write of manifests within a process;
// across processes the lab lock (Lock) covers Up and Down.
var manifestMu sync.Mutex

func (l *Lab) manifestPath() string { return filepath.Join(l.opts.StateDir, "manifest.json") }

// Manifest reads the lab's manifest; ErrNotUp when there is none.
func (l *Lab) Manifest() (*Manifest, error) {
	b, err := os.ReadFile(l.manifestPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s", ErrNotUp, l.manifestPath())
	}
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("lab: %s: %w", l.manifestPath(), err)
	}
	return &m, nil
}

// record applies change to the manifest (a new one if missing) and writes
// it back atomically.
func (l *Lab) record(change func(*Manifest)) error {
	manifestMu.Lock()
	defer manifestMu.Unlock()
	m, err := l.Manifest()
	if errors.Is(err, ErrNotUp) {
		m, err = &Manifest{Prefix: l.opts.Prefix, Components: map[string]string{}}, nil
	}
	if err != nil {
		return err
	}
	change(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("lab: manifest: %w", err)
	}
	if err := os.MkdirAll(l.opts.StateDir, 0o755); err != nil {
		return fmt.Errorf("lab: %w", err)
	}
	tmp := l.manifestPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("lab: manifest: %w", err)
	}
	if err := os.Rename(tmp, l.manifestPath()); err != nil {
		return fmt.Errorf("lab: manifest: %w", err)
	}
	return nil
}
