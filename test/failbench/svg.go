package failbench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// WriteSVG draws one panel per metric (writer unavailable, two writable
// masters, rows lost): per scenario one bar per system at the median, a
// whisker from min to max and a tick at p95, with the median written
// above. Plain SVG 1.1, no script, no external font.
func (r Results) WriteSVG(w io.Writer) error {
	var scens []string
	for _, s := range r.Summary {
		if len(scens) == 0 || scens[len(scens)-1] != s.Scenario {
			scens = append(scens, s.Scenario)
		}
	}
	var systems []string
	for _, s := range r.Systems {
		systems = append(systems, s.Name)
	}
	panels := []struct {
		m     Metric
		scale float64 // value / scale = shown unit
		unit  string
	}{{MetricUnavailable, 1000, "s"}, {MetricTwoWritable, 1000, "s"}, {MetricLost, 1, "rows"}}
	const (
		width, panelH, top, left, right, gap = 900, 230, 84, 70, 20, 44
	)
	height := top + len(panels)*(panelH+gap) + 30
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd"}
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>`)
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`, width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="white"/>`)
	p(`<text x="%d" y="22" font-size="16" font-weight="bold">Failover benchmark: %s (%d trials per scenario and system)</text>`, left, html.EscapeString(strings.Join(systems, " vs ")), r.Trials)
	p(`<text x="%d" y="42" fill="#555">bar = median, whisker = min..max, tick = p95; client inserts through the writer VIP every %v</text>`, left, r.Interval)
	for i, sys := range systems {
		x := width - right - 200 + i*100
		p(`<rect x="%d" y="30" width="12" height="12" fill="%s"/><text x="%d" y="41">%s</text>`, x, colors[i%len(colors)], x+16, html.EscapeString(sys))
	}
	plotW := float64(width - left - right)
	for pi, pan := range panels {
		y0 := float64(top + pi*(panelH+gap))
		// The axis' maximum: the largest max, rounded up to a nice number.
		hi := 0.0
		for _, s := range r.Summary {
			hi = math.Max(hi, s.Metrics[pan.m.String()].Max/pan.scale)
		}
		hi = niceCeil(hi)
		yOf := func(v float64) float64 { return y0 + panelH - v/hi*panelH }
		p(`<text x="%d" y="%.0f" font-weight="bold">%s</text>`, left, y0-6, html.EscapeString(strings.Replace(pan.m.String(), "(ms)", "("+pan.unit+")", 1)))
		for k := 0; k <= 4; k++ {
			v := hi * float64(k) / 4
			y := yOf(v)
			p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, left, y, width-right, y)
			p(`<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`, left-6, y+4, trimNum(v))
		}
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333"/>`, left, y0+panelH, width-right, y0+panelH)
		groupW := plotW / float64(max(len(scens), 1))
		barW := groupW * 0.7 / float64(max(len(systems), 1))
		for si, sc := range scens {
			gx := float64(left) + float64(si)*groupW
			if pi == len(panels)-1 {
				p(`<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, gx+groupW/2, y0+panelH+16, html.EscapeString(sc))
			}
			for yi, sys := range systems {
				st, ok := summaryStats(r, sc, sys, pan.m)
				x := gx + groupW*0.15 + float64(yi)*barW
				if !ok {
					p(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#999">n/a</text>`, x+barW/2, y0+panelH-4)
					continue
				}
				c := colors[yi%len(colors)]
				med, lo, top, p95 := st.Median/pan.scale, st.Min/pan.scale, st.Max/pan.scale, st.P95/pan.scale
				p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.75"><title>%s %s: %s</title></rect>`,
					x, yOf(med), barW*0.9, y0+panelH-yOf(med), c, html.EscapeString(sys), html.EscapeString(sc), st)
				cx := x + barW*0.45
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>`, cx, yOf(lo), cx, yOf(top))
				p(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222"/>`, cx-4, yOf(p95), cx+4, yOf(p95))
				p(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10">%s</text>`, cx, math.Min(yOf(top), yOf(med))-4, trimNum(med))
			}
		}
	}
	p(`</svg>`)
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryStats(r Results, sc, sys string, m Metric) (Stats, bool) {
	for _, s := range r.Summary {
		if s.Scenario == sc && s.System == sys {
			st := s.Metrics[m.String()]
			return st, st.N > 0
		}
	}
	return Stats{}, false
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 2, 5, 10} {
		if v <= f*e {
			return f * e
		}
	}
	return 10 * e
}

func trimNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	if v >= 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}
