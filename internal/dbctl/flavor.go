package dbctl

import (
	"fmt"
	"strconv"
	"strings"
)

// Flavor is the server family; the zero value is FlavorUnknown.
type Flavor uint8

const (
	FlavorUnknown Flavor = iota
	MariaDB
	MySQL // Oracle MySQL and compatible builds (Percona Server)
)

func (f Flavor) String() string {
	switch f {
	case MariaDB:
		return "mariadb"
	case MySQL:
		return "mysql"
	}
	return "unknown"
}

// ParseFlavor is the inverse of String ("mariadb", "mysql"),
// case-insensitive.
func ParseFlavor(s string) (Flavor, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mariadb":
		return MariaDB, nil
	case "mysql":
		return MySQL, nil
	}
	return FlavorUnknown, fmt.Errorf("dbctl: %w: flavour %q is not mariadb or mysql", ErrInvalid, s)
}

// Version is a server version, e.g. 10.11.19 or 8.0.36.
type Version struct {
	Major, Minor, Patch int
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// AtLeast reports whether v ≥ major.minor.patch.
func (v Version) AtLeast(major, minor, patch int) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// Detect tells the flavour and version from SELECT VERSION() and
// @@version_comment: "10.11.19-MariaDB-0+deb12u1-log", "8.0.36",
// "8.0.36-28" (Percona). MariaDB's replication-era prefix "5.5.5-" is
// skipped. It reports ErrUnsupported for MariaDB before 10.6 and MySQL
// before 5.7; later releases (MariaDB 11.x, MySQL 9.x) are driven like the
// newest ones known (MariaDB 10.11, MySQL 8.4).
func Detect(version, comment string) (Flavor, Version, error) {
	f := MySQL
	if strings.Contains(strings.ToLower(version+" "+comment), "mariadb") {
		f = MariaDB
		version = strings.TrimPrefix(version, "5.5.5-")
	}
	num, _, _ := strings.Cut(version, "-")
	parts := strings.Split(num, ".")
	var v Version
	var err error
	if len(parts) != 3 {
		err = strconv.ErrSyntax
	} else {
		for i, dst := range []*int{&v.Major, &v.Minor, &v.Patch} {
			if *dst, err = strconv.Atoi(parts[i]); err != nil || *dst < 0 {
				err = strconv.ErrSyntax
				break
			}
		}
	}
	if err != nil {
		return FlavorUnknown, Version{}, fmt.Errorf("dbctl: %w: cannot read version %q", ErrUnsupported, version)
	}
	switch {
	case f == MariaDB && !v.AtLeast(10, 6, 0):
		return f, v, fmt.Errorf("dbctl: %w: MariaDB %s (need 10.6 or later)", ErrUnsupported, v)
	case f == MySQL && !v.AtLeast(5, 7, 0):
		return f, v, fmt.Errorf("dbctl: %w: MySQL %s (need 5.7 or later)", ErrUnsupported, v)
	}
	return f, v, nil
}
