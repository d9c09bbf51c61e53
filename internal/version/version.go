// Package version holds the suite's version, set at link time from
// `git describe` by the Makefile and the packaging.
package version

// Version is overwritten with -ldflags "-X .../internal/version.Version=…".
var Version = "dev"
