package main

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"text/tabwriter"
	"time"
)

// command is one way of asking whether MySQL is up.
type command struct {
	name string
	argv []string
}

func commands(o options, t benchTarget) ([]command, error) {
	check := func(bin string) []string {
		return []string{bin, "--config", t.config, "--host", t.host, "--timeout", "800ms"}
	}
	cmds := []command{{"mmm-check", check(o.bin)}}
	for _, v := range o.variants {
		cmds = append(cmds, command{"mmm-check (" + v[0] + ")", check(v[1])})
	}
	admin, err := exec.LookPath("mariadb-admin")
	if err != nil {
		return nil, err
	}
	client, err := exec.LookPath("mariadb")
	if err != nil {
		return nil, err
	}
	// As a shell check would call them: with the usual option files.
	auth := []string{"--socket=" + t.socket, "--user=" + t.user, "--password=" + t.pass}
	cmds = append(cmds,
		command{"/bin/true (floor)", []string{"/bin/true"}},
		command{"mariadb-admin ping", append([]string{admin}, append(auth, "ping")...)},
		command{"mariadb -e 'select 1'", append([]string{client}, append(auth, "-e", "select 1")...)},
	)
	return cmds, nil
}

// stats are one command's measurements.
type stats struct {
	name  string
	walls []time.Duration
	rss   []int64 // KiB, from ru_maxrss
}

// measure runs every command warmup+n times, rotating the order each
// round; it stops at the first failure and shows its output.
func measure(ctx context.Context, spawner string, cmds []command, n, warmup int) ([]stats, error) {
	out := make([]stats, len(cmds))
	for i, c := range cmds {
		out[i].name = c.name
	}
	for round := range warmup + n {
		for k := range cmds {
			i := (round + k) % len(cmds)
			wall, rss, err := once(ctx, spawner, cmds[i])
			if err != nil {
				return nil, err
			}
			if round >= warmup {
				out[i].walls = append(out[i].walls, wall)
				out[i].rss = append(out[i].rss, rss)
			}
		}
	}
	return out, nil
}

// quantile is the q-quantile of sorted values (nearest rank).
func quantile[T any](sorted []T, q float64) T {
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func report(w io.Writer, all []stats) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "command\truns\tmedian\tp99\tpeak RSS\tmedian RSS\t")
	med := map[string]time.Duration{}
	peak := map[string]int64{}
	for _, s := range all {
		walls := slices.Clone(s.walls)
		slices.Sort(walls)
		rss := slices.Clone(s.rss)
		slices.Sort(rss)
		med[s.name], peak[s.name] = quantile(walls, 0.5), rss[len(rss)-1]
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", s.name, len(walls), ms(quantile(walls, 0.5)), ms(quantile(walls, 0.99)),
			mib(rss[len(rss)-1]), mib(quantile(rss, 0.5)))
	}
	tw.Flush()
	fmt.Fprintln(w)
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	c, a := med["mmm-check"], med["mariadb-admin ping"]
	fmt.Fprintf(w, "target: mmm-check median (%s) <= mariadb-admin ping median (%s): %s\n", ms(c), ms(a), verdict(c <= a))
	fmt.Fprintf(w, "target: mmm-check peak RSS (%s) <= 12 MiB: %s\n", mib(peak["mmm-check"]), verdict(peak["mmm-check"] <= 12*1024))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }
