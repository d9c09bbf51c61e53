package app

import (
	"context"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// clusterFlag is --cluster NAME, which MMM's @NAME word becomes (Run).
const clusterFlag = "cluster"

// Run runs the command tree a with args (os.Args) as main does: MMM's
// @NAME word, anywhere among the global options before the command
// (mmmctl @c2 show, mmmctl --json @c2 status), becomes --cluster NAME.
func Run(ctx context.Context, a *cli.App, args []string) error {
	args, err := clusterWord(a, args)
	if err != nil {
		return err
	}
	return a.RunContext(ctx, args)
}

// clusterWord replaces the @NAME word before the command with
// --cluster=NAME. A second @ word, or @NAME with --cluster, is a usage
// error. The values of global options (--config @x) are not words.
func clusterWord(a *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	takesValue := map[string]bool{}
	for _, f := range a.Flags {
		tv, ok := f.(interface{ TakesValue() bool })
		for _, n := range f.Names() {
			takesValue[n] = ok && tv.TakesValue()
		}
	}
	var word string
	flagGiven := false
	rest := make([]string, 0, len(args))
	i := 1
scan:
	for ; i < len(args); i++ {
		arg := args[i]
		switch {
		case strings.HasPrefix(arg, "@"):
			if word != "" {
				return nil, usagef("%s and %s: give one cluster", word, arg)
			}
			word = arg
		case arg == "--" || arg == "-" || !strings.HasPrefix(arg, "-"):
			break scan // the command (or the end of the options)
		default:
			rest = append(rest, arg)
			name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
			flagGiven = flagGiven || name == clusterFlag
			if !hasValue && takesValue[name] && i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		}
	}
	if word == "" {
		return args, nil
	}
	if flagGiven {
		return nil, usagef("%s and --cluster: give one cluster", word)
	}
	out := append([]string{args[0], "--" + clusterFlag + "=" + strings.TrimPrefix(word, "@")}, rest...)
	return append(out, args[i:]...), nil
}

// selectCluster (the tree's Before) checks the cluster's name and makes
// its file the --config, which must then load. --config given on the
// command line as well is an error; MMMCTL_CONFIG yields to the cluster.
func selectCluster(c *cli.Context) error {
	if !c.IsSet(clusterFlag) {
		return nil
	}
	name := c.String(clusterFlag)
	if err := config.CheckClusterName(name); err != nil {
		return usagef("@%s: %v", name, err)
	}
	if configOnCommandLine(c) {
		return usagef("--config %s and @%s (--cluster %s) both name the configuration: give one", c.String("config"), name, name)
	}
	path, err := config.ClusterPath(name)
	if err != nil {
		return usagef("@%s: %v", name, err)
	}
	return c.Set("config", path)
}

// configOnCommandLine is true when the global --config was given as an
// option rather than only through MMMCTL_CONFIG (urfave/cli counts both
// as set; the same value in both counts as the environment's).
func configOnCommandLine(c *cli.Context) bool {
	if !c.IsSet("config") {
		return false
	}
	env, ok := os.LookupEnv("MMMCTL_CONFIG")
	return !ok || c.String("config") != env
}

// clusterName is the cluster selected (@NAME, --cluster), "" for the
// default one.
func clusterName(c *cli.Context) string { return c.String(clusterFlag) }
