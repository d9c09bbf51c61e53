package packaging

import (
	"errors"
	"os/exec"
	"testing"
)

func TestParseDescribe(t *testing.T) {
	tests := []struct {
		describe string
		commits  int
		want     string
	}{
		{"v1.2.3", 10, "1.2.3"},
		{"1.2.3", 10, "1.2.3"},
		{"v2.0", 10, "2.0"},
		{"v1.2.3-rc1", 10, "1.2.3~rc1"},
		{"v1.2.3-rc.1", 10, "1.2.3~rc.1"},
		{"v1.2.3-5-gabc1234", 10, "1.2.3+git5.abc1234"},
		{"v1.2.3-rc1-5-gabc1234", 10, "1.2.3~rc1+git5.abc1234"},
		{"v1.2.3-dirty", 10, "1.2.3+dirty"},
		{"v1.2.3-5-gabc1234-dirty", 10, "1.2.3+git5.abc1234.dirty"},
		{"abc1234", 42, "0.0.0~git42.abc1234"},
		{"abc1234-dirty", 42, "0.0.0~git42.abc1234+dirty"},
		{" abc1234\n", 42, "0.0.0~git42.abc1234"},
	}
	for _, tt := range tests {
		v, err := ParseDescribe(tt.describe, tt.commits)
		if err != nil {
			t.Errorf("ParseDescribe(%q): %v", tt.describe, err)
			continue
		}
		if got := v.String(); got != tt.want {
			t.Errorf("ParseDescribe(%q) = %q, want %q", tt.describe, got, tt.want)
		}
	}
}

func TestParseDescribeRejects(t *testing.T) {
	tests := []struct {
		describe string
		commits  int
	}{
		{"dev", 10},                 // the Makefile's VERSION without git
		{"", 10},                    //
		{"release-1", 10},           // a tag that is no version
		{"v1.2.3-beta-1", 10},       // a prerelease with a dash
		{"v1.2.3 junk", 10},         //
		{"abc1234", 0},              // no tag, no commit count
		{"v1.2.3-5-gXYZ", 10},       // not a hash
		{"v1.2.3-5-gabc1234-x", 10}, //
	}
	for _, tt := range tests {
		if v, err := ParseDescribe(tt.describe, tt.commits); !errors.Is(err, ErrVersion) {
			t.Errorf("ParseDescribe(%q, %d) = %q, %v; want ErrVersion", tt.describe, tt.commits, v, err)
		}
	}
}

// The versions must order as the history does, for dpkg (and rpm, which
// orders ~ and + alike): a later commit or tag is newer.
func TestVersionsOrderForDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed: it is the reference for the ordering")
	}
	ordered := []struct {
		describe string
		commits  int
	}{
		{"abc1234", 9},
		{"abc1234-dirty", 9},
		{"abc1234", 10},
		{"abc1234", 100},
		{"v0.1.0-rc1", 101},
		{"v0.1.0-rc1-3-gabc1234", 104},
		{"v0.1.0", 110},
		{"v0.1.0-1-gabc1234", 111},
		{"v0.1.0-10-gabc1234", 120},
		{"v0.2.0", 130},
		{"v0.10.0", 140},
	}
	for i := 1; i < len(ordered); i++ {
		a, err1 := ParseDescribe(ordered[i-1].describe, ordered[i-1].commits)
		b, err2 := ParseDescribe(ordered[i].describe, ordered[i].commits)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if err := exec.Command("dpkg", "--compare-versions", a.String()+"-1", "lt", b.String()+"-1").Run(); err != nil {
			t.Errorf("dpkg: %s is not older than %s: %v", a, b, err)
		}
	}
}
