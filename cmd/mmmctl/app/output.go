package app

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

// printJSON writes v as indented JSON.
func printJSON(c *cli.Context, v any) error {
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("mmmctl: json: %w", err)
	}
	return nil
}

// table writes aligned columns, two spaces apart.
func table(c *cli.Context) *tabwriter.Writer {
	return tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
}

// orDash renders an empty cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
