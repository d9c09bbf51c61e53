package packaging

import (
	"fmt"
	"regexp"
	"strings"
)

// Version is a package version made from `git describe --tags --always
// --dirty`, in the parts deb and rpm order the same way:
// Upstream[~Pre][+Meta]. A "~" part sorts before the plain version, a "+"
// part after it, and both formats compare the digits in them as numbers.
type Version struct {
	Upstream string // 1.2.3 from the tag v1.2.3; 0.0.0 before the first tag
	Pre      string // rc1 from the tag v1.2.3-rc1; git42.abc1234 without a tag
	Meta     string // git5.abc1234: 5 commits after the tag; dirty: uncommitted changes
}

// String is the version as dpkg and rpm read it (rpm's Version tag; its
// Release is separate).
func (v Version) String() string {
	s := v.Upstream
	if v.Pre != "" {
		s += "~" + v.Pre
	}
	if v.Meta != "" {
		s += "+" + v.Meta
	}
	return s
}

var (
	// describeTagged: TAG[-N-gHASH], TAG = [v]1.2.3[-PRERELEASE].
	describeTagged = regexp.MustCompile(
		`^v?([0-9]+(?:\.[0-9]+)*)(?:-([0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*))?(?:-([0-9]+)-g([0-9a-f]{4,40}))?$`)
	// describeUntagged: what --always prints without a tag.
	describeUntagged = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
)

// ParseDescribe maps the output of `git describe --tags --always --dirty`
// to a package version. commits (`git rev-list --count HEAD`) numbers a
// build without a tag, so that later commits get higher versions:
//
//	v1.2.3                  1.2.3
//	v1.2.3-rc1              1.2.3~rc1
//	v1.2.3-5-gabc1234       1.2.3+git5.abc1234
//	abc1234-dirty (no tag)  0.0.0~git42.abc1234+dirty
func ParseDescribe(describe string, commits int) (Version, error) {
	d := strings.TrimSpace(describe)
	base, dirty := strings.CutSuffix(d, "-dirty")
	var meta []string
	if describeUntagged.MatchString(base) {
		if commits < 1 {
			return Version{}, fmt.Errorf("%w: %q has no tag and the commit count is %d", ErrVersion, d, commits)
		}
		v := Version{Upstream: "0.0.0", Pre: fmt.Sprintf("git%d.%s", commits, base)}
		if dirty {
			v.Meta = "dirty"
		}
		return v, nil
	}
	m := describeTagged.FindStringSubmatch(base)
	if m == nil {
		return Version{}, fmt.Errorf("%w: %q is not git describe's TAG[-N-gHASH][-dirty] with a tag like v1.2.3 or v1.2.3-rc1, nor a commit hash", ErrVersion, d)
	}
	if m[3] != "" {
		meta = append(meta, "git"+m[3]+"."+m[4])
	}
	if dirty {
		meta = append(meta, "dirty")
	}
	return Version{Upstream: m[1], Pre: m[2], Meta: strings.Join(meta, ".")}, nil
}
