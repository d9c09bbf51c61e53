package dbctl

import (
	"errors"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		version, comment string
		f                Flavor
		v                Version
		wantErr          error
	}{
		{"10.11.19-MariaDB-0+deb12u1-log", "Debian 12", MariaDB, Version{10, 11, 19}, nil},
		{"5.5.5-10.11.6-MariaDB", "mariadb.org binary distribution", MariaDB, Version{10, 11, 6}, nil},
		{"11.4.2-MariaDB-ubu2404", "mariadb.org binary distribution", MariaDB, Version{11, 4, 2}, nil},
		{"10.6.0-MariaDB", "", MariaDB, Version{10, 6, 0}, nil},
		{"10.5.23-MariaDB", "", MariaDB, Version{10, 5, 23}, ErrUnsupported},
		{"8.0.36-0ubuntu0.22.04.1", "(Ubuntu)", MySQL, Version{8, 0, 36}, nil},
		{"8.0.36-28", "Percona Server (GPL), Release 28", MySQL, Version{8, 0, 36}, nil},
		{"8.4.0", "MySQL Community Server - GPL", MySQL, Version{8, 4, 0}, nil},
		{"5.7.44-log", "MySQL Community Server (GPL)", MySQL, Version{5, 7, 44}, nil},
		{"5.6.51", "MySQL Community Server (GPL)", MySQL, Version{5, 6, 51}, ErrUnsupported},
		{"8.0", "", FlavorUnknown, Version{}, ErrUnsupported},
		{"x.y.z", "", FlavorUnknown, Version{}, ErrUnsupported},
		{"8.-1.0", "", FlavorUnknown, Version{}, ErrUnsupported},
	}
	for _, tt := range tests {
		f, v, err := Detect(tt.version, tt.comment)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) || f != tt.f || v != tt.v {
			t.Errorf("Detect(%q, %q) = %s, %s, %v; want %s, %s, %v", tt.version, tt.comment, f, v, err, tt.f, tt.v, tt.wantErr)
		}
	}
}

func TestEnums(t *testing.T) {
	for _, f := range []Flavor{MariaDB, MySQL} {
		if got, err := ParseFlavor(f.String()); err != nil || got != f {
			t.Errorf("ParseFlavor(%q) = %s, %v", f, got, err)
		}
	}
	if _, err := ParseFlavor("postgres"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseFlavor(postgres): %v", err)
	}
	for ts := ThreadStopped; ts <= ThreadPreparing; ts++ {
		if got, err := ParseThreadState(ts.String()); err != nil || got != ts {
			t.Errorf("ParseThreadState(%q) = %s, %v", ts, got, err)
		}
	}
	if got, err := ParseThreadState("Maybe"); err == nil || got != ThreadUnknown {
		t.Errorf("ParseThreadState(Maybe) = %s, %v", got, err)
	}
	if FlavorUnknown.String() != "unknown" || ThreadUnknown.String() != "Unknown" || Threads(0).String() != "none" {
		t.Error("zero values do not print as unknown")
	}
	if !(Version{8, 0, 22}).AtLeast(8, 0, 22) || (Version{8, 0, 21}).AtLeast(8, 0, 22) || !(Version{10, 0, 0}).AtLeast(8, 4, 9) {
		t.Error("Version.AtLeast")
	}
}
