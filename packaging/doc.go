// Package packaging builds mmm-keepalived's .deb and .rpm packages with
// the nfpm library: the four commands cross-compiled per architecture
// (build.go), the files every package holds and their modes (contents.go),
// man pages and the bash completion generated from the commands themselves
// (docs.go, manpage.go), and a version mapped from git describe
// (version.go). cmd/mkpkg runs it for `make package`; the TestPackage tests
// (deb_test.go, rpm_test.go) install the .deb for real and read the .rpm
// for `make test-package`.
package packaging

import "errors"

// Errors of a package build.
var (
	ErrVersion        = errors.New("packaging: version")
	ErrMissingCommand = errors.New("packaging: missing command")
	ErrBuild          = errors.New("packaging: build")
)
