package app

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/internal/config"
)

// bashScript asks mmmctl itself for the words that may come next
// (urfave/cli's --generate-bash-completion).
const bashScript = `# bash completion for mmmctl; load with: source <(mmmctl completion bash)
_mmmctl() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
    local opts
    if [[ "$cur" == -* ]]; then
        opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
    else
        opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
    fi
    COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
}
complete -o bashdefault -o default -F _mmmctl mmmctl
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name: "completion", Usage: "print a shell completion script",
		Description: "Example:\n   source <(mmmctl completion bash)\n   mmmctl completion bash > /etc/bash_completion.d/mmmctl",
		Subcommands: []*cli.Command{{
			Name: "bash", Usage: "print the bash completion script",
			Description: "Completes commands, flags, and host, role and check names from --config.\n\n" +
				"Example:\n   source <(mmmctl completion bash)",
			Action: func(c *cli.Context) error {
				if err := wantArgs(c, 0); err != nil {
					return err
				}
				_, err := fmt.Fprint(c.App.Writer, bashScript)
				return err
			},
		}},
	}
}

// configPath is the selected cluster's file (@NAME), else the innermost
// --config given (a command's own, then the global one), else the
// global default.
func configPath(c *cli.Context) string {
	if name := clusterName(c); name != "" {
		if path, err := config.ClusterPath(name); err == nil {
			return path
		}
	}
	for _, x := range c.Lineage() {
		if x.IsSet("config") {
			return x.String("config")
		}
	}
	return defaultConfig()
}

// completionConfig is the configuration for completions; nil when it does
// not load (completion never fails).
func completionConfig(c *cli.Context) *config.Config {
	cfg, err := config.LoadCluster(configPath(c), clusterName(c))
	if err != nil {
		return nil
	}
	return cfg
}

func printHosts(c *cli.Context, cfg *config.Config) {
	for _, h := range cfg.Hosts {
		if h.Mode != config.HostModeWitness {
			fmt.Fprintln(c.App.Writer, h.Name)
		}
	}
}

// completeHosts completes a host argument; for checks, then a check.
func completeHosts(c *cli.Context) {
	cfg := completionConfig(c)
	if cfg == nil {
		return
	}
	switch {
	case c.NArg() == 0:
		printHosts(c, cfg)
		if c.Command.Name == "checks" {
			fmt.Fprintln(c.App.Writer, "all")
		}
	case c.NArg() == 1 && c.Command.Name == "checks":
		for _, name := range append(config.CheckNames, "all") {
			fmt.Fprintln(c.App.Writer, name)
		}
	}
}

// completeRolesAndHosts completes move_role's <role> <host>.
func completeRolesAndHosts(c *cli.Context) {
	cfg := completionConfig(c)
	if cfg == nil {
		return
	}
	switch c.NArg() {
	case 0:
		for _, r := range cfg.Roles {
			fmt.Fprintln(c.App.Writer, r.Name)
		}
	case 1:
		printHosts(c, cfg)
	}
}
