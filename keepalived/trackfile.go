package keepalived

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// Track file values. keepalived (track_file with weight 0) treats 0 as OK
// and any other integer as FAULT.
const (
	TrackEligible   = 0 // this host may hold the writer VIP
	TrackIneligible = 1 // it may not: keepalived puts the instance in FAULT
)

// WriteTrackFile sets the track file at path to TrackEligible or
// TrackIneligible ("0\n" or "1\n"), atomically: it writes a temporary file
// in the same directory, syncs it, renames it over path and syncs the
// directory. keepalived watches the directory with inotify and reads the
// file on IN_MOVED_TO, so the rename takes effect at once (verified
// against keepalived 2.2.7 in the integration test), and keepalived never
// sees a half-written file: an empty file would read as 0, eligible.
//
// The file is left 0644: keepalived runs as root, the value is no secret.
// Writing the value the file already holds is harmless (keepalived acts
// on changes only). Never delete the file to make a host ineligible: a
// missing file reads as 0.
func WriteTrackFile(path string, eligible bool) (err error) {
	v := TrackIneligible
	if eligible {
		v = TrackEligible
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("keepalived: write track file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("keepalived: write track file %s: %w", path, err)
		}
	}()
	if _, err := tmp.WriteString(strconv.Itoa(v) + "\n"); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReadTrackFile reports whether the track file at path makes this host
// eligible (it holds 0). It is stricter than keepalived, which reads a
// missing, empty or unreadable file as 0 (eligible): such a file is an
// error here, wrapping fs.ErrNotExist or ErrTrackFile, so that a status
// display can show the danger rather than a confident "eligible".
func ReadTrackFile(path string) (eligible bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("keepalived: read track file: %w", err)
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 32)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) {
			err = ne.Err
		}
		return false, errorf(ErrTrackFile, "keepalived: track file %s holds %q, not one integer (%v): keepalived may read it as 0, eligible",
			path, truncate(b, 32), err)
	}
	return v == TrackEligible, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
