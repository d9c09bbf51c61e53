package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/coordinator/api"
	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// loadConfig loads FILE with an absolute path (keepalived.conf names it).
// Its errors exit with ExitConfig.
func loadConfig(path string) (*config.Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &exitError{code: ExitConfig, err: err}
	}
	cfg, err := config.Load(abs)
	if err != nil {
		return nil, &exitError{code: ExitConfig, err: err}
	}
	return cfg, nil
}

// localConfig is --config: nil without an error when the default file is
// absent or unreadable (an operator's workstation, a non-root user), so
// that the default socket or --api still work. A file given explicitly
// must load.
func localConfig(c *cli.Context) (*config.Config, error) {
	path := c.String("config")
	if !c.IsSet("config") {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil
		}
		f.Close()
	}
	cfg, err := loadConfig(path)
	if err != nil && !c.IsSet("config") {
		return nil, fmt.Errorf("%w\n(the default configuration %s; --config FILE or --api URL choose another)", err, path)
	}
	return cfg, err
}

// connect returns the client of the coordinator the flags name: --api,
// else the `this` host's api_socket from --config, else the default
// socket. A token file comes from --token-file or api_token_file.
func connect(c *cli.Context) (*api.Client, error) {
	opts := api.ClientOptions{URL: c.String("api"), TokenFile: c.String("token-file")}
	var cfg *config.Config
	if c.IsSet("config") || !selfContained(opts) {
		var err error
		if cfg, err = localConfig(c); err != nil {
			return nil, err
		}
	}
	if cfg != nil {
		if h := cfg.ThisHost(); h != nil {
			opts.Socket = h.APISocket
		}
		if opts.URL != "" && opts.TokenFile == "" {
			opts.TokenFile = cfg.Coordinator.APITokenFile
		}
	}
	if opts.URL == "" {
		opts.TokenFile = "" // the socket needs none
	}
	cl, err := api.NewClient(opts)
	switch {
	case errors.Is(err, api.ErrBadRequest):
		return nil, &exitError{code: ExitUsage, err: err}
	case err != nil:
		return nil, &exitError{code: ExitUnauthorized, err: err}
	}
	return cl, nil
}

// selfContained is true when the flags name everything the client needs
// (--api with --token-file, or a unix:// --api): the default
// configuration is then not read, so that a broken or unrelated file at
// the default path (a host being installed, an operator's workstation)
// does not stand in the way. A --config given explicitly is always read.
func selfContained(o api.ClientOptions) bool {
	return o.URL != "" && (o.TokenFile != "" || strings.HasPrefix(o.URL, "unix:"))
}

// ask makes one call to the coordinator the flags name (connect), within
// the command's one context (--timeout). call takes the client first so
// that a method expression serves: ask(c, (*api.Client).Ping).
func ask[T any](c *cli.Context, call func(*api.Client, context.Context) (T, error)) (T, error) {
	cl, err := connect(c)
	if err != nil {
		var zero T
		return zero, err
	}
	ctx, cancel := appContext(c)
	defer cancel()
	return call(cl, ctx)
}

// query is a read of n arguments: it asks, then prints the answer as JSON
// with --json, else as text prints it.
func query[T any](c *cli.Context, n int, call func(*api.Client, context.Context) (T, error), text func(T) error) error {
	if err := wantArgs(c, n); err != nil {
		return err
	}
	v, err := ask(c, call)
	if err != nil {
		return err
	}
	if wantJSON(c) {
		return printJSON(c, v)
	}
	return text(v)
}
