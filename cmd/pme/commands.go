package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"pme/pipeline"
)

func cmdMigrate(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("migrate takes no arguments")
	}
	// Opening the store applied any pending migration; say where things stand.
	applied, err := a.env.Store.Migrate(ctx)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(map[string]any{"database": a.env.Store.Backend(), "applied": applied})
	}
	a.say("Database (%s) is up to date.", a.env.Store.Backend())
	return nil
}

func cmdIngest(ctx context.Context, a *app, args []string) error {
	var sum pipeline.IngestSummary
	if len(args) == 0 {
		// The inbox is the scheduled job's: take its lock and record the run in the ledger, so a
		// run by hand and a scheduled one never pick up the same file at once.
		run, err := a.jobStep(ctx, pipeline.JobIngest)
		if err != nil || run.Ingest == nil {
			return err
		}
		sum = *run.Ingest
	} else {
		var err error
		if sum, err = a.env.Ingest(ctx, args); err != nil {
			return err
		}
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	a.printIngest(sum)
	return nil
}

// printIngest is the human summary of an ingest.
func (a *app) printIngest(sum pipeline.IngestSummary) {
	files, rows, accepted, rejected, by := sum.Counts()
	if files == 0 {
		a.say("No files to ingest: drop returns in %s", a.env.Path(pipeline.InboxDir))
		return
	}
	a.say("Ingested %d file(s): %d accepted, %d partial, %d rejected, %d duplicate.",
		files, by["accepted"], by["partial"], by["rejected"], by["duplicate"])
	a.say("Rows: %d read, %d stored, %d rejected.", rows, accepted, rejected)
	for _, f := range sum.Files {
		line := fmt.Sprintf("  %-9s %s", f.Status, f.File)
		if n := len(f.Issues); n > 0 {
			line += fmt.Sprintf(" (%d issue(s))", n)
		}
		if f.Status == "rejected" || f.Status == "duplicate" {
			line += ": " + f.Issues[0].Code + ": " + f.Issues[0].Message
		}
		a.say("%s", line)
	}
	for _, f := range sum.Files {
		if len(f.Feedback) > 0 {
			a.say("Feedback for schools is in %s", a.env.Path(pipeline.OutDir, "feedback"))
			break
		}
	}
}

func cmdRuns(ctx context.Context, a *app, args []string) error {
	runs, err := a.env.Store.Runs(ctx, 200)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(map[string]any{"runs": runs})
	}
	if len(runs) == 0 {
		a.say("No runs yet.")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tJOB\tPLANNED\tSTARTED\tENDED\tOUTCOME\tFILES\tROWS\tCASES\tLETTERS\tREASON")
	for _, r := range runs {
		ended := ""
		if !r.Ended.IsZero() {
			ended = r.Ended.Local().Format("15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.ID, r.Job,
			r.Planned.Local().Format("2006-01-02 15:04"), r.Started.Local().Format("2006-01-02 15:04:05"),
			ended, r.Outcome, r.Files, r.Rows, r.Cases, r.Letters, r.Reason)
	}
	return tw.Flush()
}

// progressBar draws a progress bar on standard error; used only when it is a terminal.
func (a *app) progressBar(total int, what string) pipeline.Progress {
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	return barProgress{bar}
}

type barProgress struct{ b *progressbar.ProgressBar }

func (p barProgress) Add(n int) { p.b.Add(n) }
func (p barProgress) Finish()   { p.b.Finish() }

// plural returns "1 case" or "2 cases".
func plural(n int, one string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(one, "s"))
}
