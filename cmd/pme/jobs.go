package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"pme"
	"pme/pipeline"
)

func cmdLoad(ctx context.Context, a *app, args []string) error {
	if len(args) >= 1 && args[0] == "attendance" {
		return cmdLoadAttendance(ctx, a, args[1:])
	}
	if len(args) > 0 && args[0] == "decisions" {
		return cmdLoadDecisions(ctx, a, args[1:])
	}
	if len(args) != 2 {
		return usagef("load takes a kind and a file: pme load schools|contacts|social-care|providers|calendar|decisions FILE")
	}
	sum, err := a.env.Load(ctx, args[0], args[1])
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	if sum.Status == pipeline.LoadRefused {
		a.say("Refused %s from %s: the previous %s data stays in place.", sum.Kind, sum.File, sum.Kind)
	} else {
		a.say("Loaded %s from %s: %d row(s) loaded, %d rejected.", sum.Kind, sum.File, sum.Loaded, sum.Rejected)
	}
	a.printIssues(sum.Issues, 10)
	for _, f := range sum.Feedback {
		a.say("Issues are listed in %s", a.env.Path(f))
		break
	}
	return nil
}

// printIssues prints up to max issues, then how many more there are.
func (a *app) printIssues(issues []pme.Issue, max int) {
	for i, is := range issues {
		if i == max {
			a.say("  … and %d more", len(issues)-max)
			break
		}
		where := ""
		if is.Row > 0 {
			where = fmt.Sprintf("row %d", is.Row)
			if is.Column != "" {
				where += ", " + is.Column
			}
			where += ": "
		}
		a.say("  %s %s %s%s", is.Severity, is.Code, where, is.Message)
	}
}

func cmdFlag(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("flag takes no arguments")
	}
	sum, err := a.jobStep(ctx, pipeline.JobFlag)
	if err != nil || sum.Flag == nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum.Flag)
	}
	by := sum.Flag.Counts()
	a.say("Flagged %s as at %s: %d new, %d changed, %d open, %d closed in this run.",
		plural(sum.Flag.Listed()-by[pme.CaseClosed], "open case"), a.env.Today.UK(),
		by[pme.CaseNew], by[pme.CaseChanged], by[pme.CaseOpen], by[pme.CaseClosed])
	a.say("See them with: pme cases   (or write the report: pme report)")
	return nil
}

func cmdCases(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("cases takes no arguments")
	}
	sum, err := a.env.OpenCases(ctx)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	if len(sum.Cases) == 0 {
		a.say("No open cases. (Run pme flag after ingesting returns.)")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tSTATUS\tSEVERITY\tLAESTAB\tPLAN\tLETTER\tRULES")
	for _, c := range sum.Cases {
		letter := ""
		if c.LetterDue {
			letter = "due"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.CaseID, c.Status, c.Severity, c.LAESTAB, c.Plan, letter, strings.Join(c.Rules, " "))
	}
	return tw.Flush()
}

func cmdReport(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("report takes no arguments")
	}
	sum, err := a.jobStep(ctx, pipeline.JobReport)
	if err != nil || sum.Report == nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum.Report)
	}
	for _, f := range sum.Report.Files {
		a.say("Wrote %s", a.env.Path(f))
	}
	return nil
}

var reprint string

func lettersFlags(fs *flag.FlagSet) {
	fs.StringVar(&reprint, "reprint", "", "print a recorded letter again, byte for byte")
	asFlag(fs)
	fs.String("received", "", "reply: the date the reply was received, YYYY-MM-DD")
	fs.String("assurance", "", "reply: adequate, partial or inadequate")
	fs.String("note", "", "reply: a note on the reply")
}

func cmdLetters(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 && args[0] == "reply" {
		return cmdLettersReply(ctx, a, args[1:])
	}
	if len(args) > 0 {
		return usagef("letters takes no arguments (did you mean --reprint LETTER_ID?)")
	}
	if reprint != "" {
		path, err := a.env.Reprint(ctx, reprint)
		if err != nil {
			return err
		}
		if a.g.json {
			return a.printJSON(map[string]string{"letter_id": reprint, "file": path})
		}
		a.say("Reprinted %s to %s (same bytes as the original).", reprint, a.env.Path(path))
		return nil
	}
	sum, err := a.jobStep(ctx, pipeline.JobLetters)
	if err != nil || sum.Letters == nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum.Letters)
	}
	a.printLetters(*sum.Letters)
	return nil
}

func (a *app) printLetters(s pipeline.LettersSummary) {
	a.say("Letters: %d written, %d could not be produced.", len(s.Letters), len(s.NotProduced))
	if s.Manifest != "" {
		a.say("  PDFs and manifest.csv are in %s", a.env.Path(s.Dir))
	}
	for _, n := range s.NotProduced {
		a.say("  not produced for a pupil at %s: %s", n.LAESTAB, n.Reason)
	}
}

func cmdRun(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("run takes no arguments")
	}
	sum, err := a.jobStep(ctx, pipeline.JobRun)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	a.printRun(sum)
	return nil
}

func (a *app) printRun(sum pipeline.RunSummary) {
	if sum.Ingest != nil {
		a.printIngest(*sum.Ingest)
	}
	if sum.Flag != nil {
		by := sum.Flag.Counts()
		a.say("Cases: %d new, %d changed, %d open, %d closed in this run.", by[pme.CaseNew], by[pme.CaseChanged], by[pme.CaseOpen], by[pme.CaseClosed])
	}
	if sum.Report != nil {
		for _, f := range sum.Report.Files {
			a.say("Report: %s", a.env.Path(f))
		}
	}
	if sum.Letters != nil {
		a.printLetters(*sum.Letters)
	}
	for _, s := range sum.Skipped {
		a.say("Skipped %s: another pme process is running it.", s)
	}
}

// jobStep runs a job by hand under its lock and in the ledger, as the scheduler would.
func (a *app) jobStep(ctx context.Context, job string) (pipeline.RunSummary, error) {
	sum, err := a.env.RunJob(ctx, job, a.env.Now())
	if errors.Is(err, pipeline.ErrSkipped) {
		a.say("pme %s: another pme process is running %s now; nothing done (see pme runs).", job, job)
		return sum, nil
	}
	return sum, err
}

func cmdSchedule(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("schedule takes no arguments")
	}
	for _, job := range []string{"ingest", "flag", "report", "letters"} {
		if spec := a.cfg.Schedule[job]; spec != "" {
			a.say("schedule: %-8s %q (%s)", job, spec, a.cfg.Timezone)
		}
	}
	a.say("Running until SIGINT or SIGTERM; the ledger is in pme runs.")
	return a.env.Schedule(ctx)
}
