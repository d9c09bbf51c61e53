package app

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/mmm-keepalived/mmm-keepalived/keepalived"
)

func keepalivedCommand() *cli.Command {
	return &cli.Command{
		Name: "keepalived", Usage: "keepalived tools",
		Description: "Example:\n   mmmctl keepalived render --host db1 > /etc/keepalived/keepalived.conf",
		Subcommands: []*cli.Command{{
			Name: "render", Usage: "print keepalived.conf for a writer host",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "host", Usage: "the writer host `NAME` (db1, db2)"},
				&cli.StringFlag{Name: "config", Usage: "configuration `FILE` (default: the global --config)"},
			},
			Description: "Renders from the configuration alone (no coordinator needed). The result\n" +
				"names the configuration file by its absolute path, as mmm-check and\n" +
				"mmm-notify get it (--config FILE), or, rendered for a cluster selected by\n" +
				"name (@NAME), the cluster (--cluster NAME). Write it mode 0600 when\n" +
				"auth_pass is set.\n\n" +
				"Example:\n   mmmctl keepalived render --host db1 > /etc/keepalived/keepalived.conf\n" +
				"   mmmctl keepalived render --host db2 --config /etc/mysql-mmm/mmm_common.conf\n" +
				"   mmmctl @c2 keepalived render --host db5 > /etc/keepalived/keepalived.conf",
			Action: func(c *cli.Context) error {
				if err := wantArgs(c, 0); err != nil {
					return err
				}
				if c.String("host") == "" {
					return usagef("keepalived render: --host NAME is required")
				}
				if c.IsSet("config") && clusterName(c) != "" {
					return usagef("keepalived render: --config %s and @%s both name the configuration: give one", c.String("config"), clusterName(c))
				}
				cfg, err := loadConfigOf(c, configPath(c))
				if err != nil {
					return err
				}
				out, err := keepalived.Render(cfg, c.String("host"))
				if err != nil {
					return renderError(err)
				}
				_, err = c.App.Writer.Write(out)
				return err
			},
			BashComplete: completeHosts,
		}},
	}
}

// renderError keeps an unknown host's own exit code and counts every
// other rendering problem as a configuration error.
func renderError(err error) error {
	if errors.Is(err, keepalived.ErrHost) {
		return err
	}
	return &exitError{code: ExitConfig, err: err}
}
