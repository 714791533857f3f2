package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"pme"
)

var returnsOpts struct{ period, school string }

func returnsFlags(fs *flag.FlagSet) {
	fs.StringVar(&returnsOpts.period, "period", "current", "the period: current, previous, YYYY-MM (or YYYY-Www, YYYY-MM-DD)")
	fs.StringVar(&returnsOpts.school, "school", "", "one school, by LAESTAB")
}

// cmdReturns prints who has returned what for a period (compliance.md).
func cmdReturns(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("returns takes no arguments (did you mean --period or --school?)")
	}
	sum, err := a.env.Returns(ctx, returnsOpts.period, returnsOpts.school)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	due := "nothing due (no school day)"
	if !sum.Due.IsZero() {
		due = "due by the end of " + sum.Due.UK()
	}
	a.say("Returns for period %s, %s: %s.", sum.Period, due, statusCounts(sum.Counts))
	if len(sum.Schools) == 0 {
		return nil
	}
	types := a.cfg.Returns.Types
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "LAESTAB\tSCHOOL\t%s\tMISSING IN A ROW\n", strings.ToUpper(strings.Join(types, "\t")))
	for _, s := range sum.Schools {
		cells := make([]string, len(types))
		for i, t := range types {
			c, ok := s.Types[t]
			switch {
			case !ok:
				cells[i] = "-"
			case c.Received.IsZero():
				cells[i] = string(c.Status)
			case c.Rows == 0:
				cells[i] = fmt.Sprintf("%s %s", c.Status, c.Received.UK())
			default:
				cells[i] = fmt.Sprintf("%s %s (%s)", c.Status, c.Received.UK(), plural(c.Rows, "row"))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", s.LAESTAB, s.School, strings.Join(cells, "\t"), s.MissingInARow)
	}
	return tw.Flush()
}

// statusCounts says "2 missing, 1 late, 30 returned", worst first.
func statusCounts(counts map[string]int) string {
	var parts []string
	for _, st := range []pme.ReturnStatus{pme.StatusMissing, pme.StatusRejectedOnly, pme.StatusLate, pme.StatusNotDue, pme.StatusNil, pme.StatusReturned} {
		if n := counts[string(st)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(parts) == 0 {
		return "no return expected"
	}
	return strings.Join(parts, ", ")
}

// cmdChase drafts the chase e-mails for the current period (compliance.md).
func cmdChase(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("chase takes no arguments")
	}
	sum, err := a.env.Chase(ctx)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	a.say("Chase for period %s: %s drafted, %d already drafted earlier.", sum.Period, plural(len(sum.Drafts), "e-mail"), sum.AlreadyDrafted)
	for _, d := range sum.Drafts {
		a.say("  %s to %s: %s", d.LAESTAB, d.To, a.env.Path(d.File))
	}
	for _, n := range sum.NoEmail {
		a.say("  no draft for %s %s: %s", n.LAESTAB, n.School, n.Reason)
	}
	if len(sum.Drafts) > 0 {
		a.say("Open a draft (double-click the .eml) to check it and send it from Outlook.")
	}
	return nil
}
