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

// loadConfig loads FILE with an absolute path (keepalived.conf names it)
// as the default cluster's: loadConfigOf for a command, which may have
// selected another (@NAME). Its errors exit with ExitConfig.
func loadConfig(path string) (*config.Config, error) { return loadClusterConfig(path, "") }

// loadConfigOf is loadConfig for a command: FILE is loaded as the
// selected cluster's (@NAME), whose runtime paths are its own.
func loadConfigOf(c *cli.Context, path string) (*config.Config, error) {
	return loadClusterConfig(path, clusterName(c))
}

func loadClusterConfig(path, cluster string) (*config.Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &exitError{code: ExitConfig, err: err}
	}
	cfg, err := config.LoadCluster(abs, cluster)
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
	cfg, err := loadConfigOf(c, path)
	switch {
	case err != nil && clusterName(c) != "":
		return nil, fmt.Errorf("%w\n(cluster %s's configuration %s)", err, clusterName(c), path)
	case err != nil && !c.IsSet("config"):
		return nil, fmt.Errorf("%w\n(the default configuration %s; --config FILE or --api URL choose another)", err, path)
	}
	return cfg, err
}

// connect returns the client of the coordinator the flags name: --api,
// else the `this` host's api_socket from --config, else the default
// socket. A token file comes from --token-file or api_token_file. When
// it sends a TCP API no token, noToken says why (for the 401 message).
func connect(c *cli.Context) (cl *api.Client, noToken string, err error) {
	opts := api.ClientOptions{URL: c.String("api"), TokenFile: c.String("token-file")}
	var cfg *config.Config
	switch {
	case c.IsSet("config"):
		if cfg, err = localConfig(c); err != nil {
			return nil, "", err
		}
	case opts.URL != "" && !selfContained(opts):
		// Only the token file is wanted: the API to ask was given.
		cfg, noToken = tokenConfig(c, c.String("config"))
	case opts.URL == "":
		if cfg, err = localConfig(c); err != nil {
			return nil, "", err
		}
	}
	if cfg != nil {
		if h := cfg.ThisHost(); h != nil {
			opts.Socket = h.APISocket
		}
		if opts.URL != "" && opts.TokenFile == "" {
			opts.TokenFile = cfg.Coordinator.APITokenFile
			if opts.TokenFile == "" {
				noToken = cfg.Files[0] + " names no api_token_file"
			}
		}
	}
	if opts.URL == "" && opts.Socket == "" {
		// No `this`: the cluster's default socket, not another cluster's.
		opts.Socket = config.DefaultRuntimePaths(clusterName(c)).APISocket
	}
	if opts.URL == "" || strings.HasPrefix(opts.URL, "unix:") || opts.TokenFile != "" {
		noToken = ""
	}
	if opts.URL == "" {
		opts.TokenFile = "" // the socket needs none
	}
	cl, err = api.NewClient(opts)
	switch {
	case errors.Is(err, api.ErrBadRequest):
		return nil, "", &exitError{code: ExitUsage, err: err}
	case err != nil:
		return nil, "", &exitError{code: ExitUnauthorized, err: err}
	}
	return cl, noToken, nil
}

// tokenConfig is the default configuration when it is read for its
// api_token_file alone: absent, empty (a package installed but not
// configured yet) or broken, it is skipped, and why is returned instead.
func tokenConfig(c *cli.Context, path string) (*config.Config, string) {
	if _, err := os.Stat(path); err != nil {
		return nil, "no default configuration " + path
	}
	cfg, err := loadConfigOf(c, path)
	if err != nil {
		return nil, fmt.Sprintf("the default configuration %s does not load (mmmctl config check %s)", path, path)
	}
	return cfg, ""
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
	cl, noToken, err := connect(c)
	if err != nil {
		var zero T
		return zero, err
	}
	ctx, cancel := appContext(c)
	defer cancel()
	v, err := call(cl, ctx)
	if noToken != "" && errors.Is(err, api.ErrUnauthorized) {
		err = fmt.Errorf("%w; no token was sent: no --token-file, and %s", err, noToken)
	}
	return v, err
}

// query is a read of n arguments: it asks, then prints the answer as JSON
// with --json, else as text prints it. The answer is returned too.
func query[T any](c *cli.Context, n int, call func(*api.Client, context.Context) (T, error), text func(T) error) (T, error) {
	var zero T
	if err := wantArgs(c, n); err != nil {
		return zero, err
	}
	v, err := ask(c, call)
	if err != nil {
		return zero, err
	}
	if wantJSON(c) {
		return v, printJSON(c, v)
	}
	return v, text(v)
}
