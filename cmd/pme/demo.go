package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"pme"
	"pme/fixtures"
	"pme/pipeline"
	"pme/reports"
)

var fixtureOpts struct {
	out       string
	schools   int
	pupils    int
	seed      int64
	errorRate float64
	format    string

	// Benchmark inputs (make bench): when any is set, only these are written.
	suspensionsCSV  int
	timetablesXLSX  int
	smallFiles      int
	letters         int
	attendanceMonth int
}

func fixturesFlags(fs *flag.FlagSet) {
	fs.StringVar(&fixtureOpts.out, "out", "", "folder to write reference/ and returns/ into")
	fs.IntVar(&fixtureOpts.schools, "schools", 12, "number of schools")
	fs.IntVar(&fixtureOpts.pupils, "pupils", 200, "number of pupils returned")
	fs.Int64Var(&fixtureOpts.seed, "seed", 1, "random seed: the same seed gives the same files")
	fs.Float64Var(&fixtureOpts.errorRate, "error-rate", 0.03, "fraction of rows with a realistic mistake")
	fs.StringVar(&fixtureOpts.format, "format", "mixed", "csv, xlsx or mixed")
	fs.IntVar(&fixtureOpts.suspensionsCSV, "suspensions-csv", 0, "benchmark: write DIR/suspensions-N.csv with N rows; any benchmark flag writes only the benchmark files asked for")
	fs.IntVar(&fixtureOpts.timetablesXLSX, "timetables-xlsx", 0, "benchmark: write DIR/timetables-N.xlsx with N reduced-timetable rows")
	fs.IntVar(&fixtureOpts.smallFiles, "small-files", 0, "benchmark: write N small school files (~30 rows, csv and xlsx) into DIR/small/")
	fs.IntVar(&fixtureOpts.letters, "letters", 0, "benchmark: write DIR/letters/reference/ and returns/ with N letters due")
	fs.IntVar(&fixtureOpts.attendanceMonth, "attendance-month", 0, "benchmark: write DIR/attendance-month-N.csv, a month of session marks for N pupils")
}

func (a *app) fixtureOptions() (fixtures.Options, error) {
	o := fixtureOpts
	switch {
	case o.format != "csv" && o.format != "xlsx" && o.format != "mixed":
		return fixtures.Options{}, usagef("--format %q: want csv, xlsx or mixed", o.format)
	case o.schools < 1:
		return fixtures.Options{}, usagef("--schools must be at least 1")
	case o.pupils < 1:
		return fixtures.Options{}, usagef("--pupils must be at least 1")
	case o.errorRate < 0 || o.errorRate > 1:
		return fixtures.Options{}, usagef("--error-rate must be between 0 and 1")
	}
	return fixtures.Options{Schools: o.schools, Pupils: o.pupils, Seed: o.seed, ErrorRate: o.errorRate,
		Format: o.format, Today: a.env.Today}, nil
}

func cmdFixtures(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 || fixtureOpts.out == "" {
		return usagef("fixtures needs --out DIR and takes no other arguments")
	}
	o := fixtureOpts
	if o.suspensionsCSV != 0 || o.timetablesXLSX != 0 || o.smallFiles != 0 || o.letters != 0 || o.attendanceMonth != 0 {
		return benchFixtures(a, o.out)
	}
	opt, err := a.fixtureOptions()
	if err != nil {
		return err
	}
	sum, err := fixtures.Generate(fixtureOpts.out, opt)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	a.say("Wrote synthetic data for %d schools and %d pupils (%d rows, %d deliberate mistakes) to %s",
		sum.Schools, sum.Pupils, sum.Rows, sum.Mistakes, fixtureOpts.out)
	a.say("  reference data: %s", filepath.Join(fixtureOpts.out, "reference"))
	a.say("  returns:        %s (%d files)", filepath.Join(fixtureOpts.out, "returns"), len(sum.Returns))
	return nil
}

// benchFiles says what benchFixtures wrote; empty fields were not asked for.
type benchFiles struct {
	SuspensionsCSV string            `json:"suspensions_csv,omitempty"`
	TimetablesXLSX string            `json:"timetables_xlsx,omitempty"`
	SmallFiles     []string          `json:"small_files,omitempty"`
	Letters        *fixtures.Summary `json:"letters,omitempty"`
	Attendance     string            `json:"attendance_month,omitempty"`
}

// benchFixtures writes only the benchmark inputs the flags ask for (make bench): each is
// streamed or written file by file, so a million rows take little memory.
func benchFixtures(a *app, dir string) error {
	o := fixtureOpts
	if o.suspensionsCSV < 0 || o.timetablesXLSX < 0 || o.smallFiles < 0 || o.letters < 0 {
		return usagef("--suspensions-csv, --timetables-xlsx, --small-files and --letters take a count of at least 1")
	}
	today := a.env.Today
	var out benchFiles
	if n := o.suspensionsCSV; n > 0 {
		out.SuspensionsCSV = filepath.Join(dir, fmt.Sprintf("suspensions-%d.csv", n))
		if err := fixtures.WriteSuspensionsCSV(out.SuspensionsCSV, n, o.seed, today); err != nil {
			return err
		}
		a.say("Wrote %d suspension rows to %s", n, out.SuspensionsCSV)
	}
	if n := o.timetablesXLSX; n > 0 {
		out.TimetablesXLSX = filepath.Join(dir, fmt.Sprintf("timetables-%d.xlsx", n))
		if err := fixtures.WriteTimetablesXLSX(out.TimetablesXLSX, n, o.seed, today); err != nil {
			return err
		}
		a.say("Wrote %d reduced-timetable rows to %s", n, out.TimetablesXLSX)
	}
	if n := o.smallFiles; n > 0 {
		paths, err := fixtures.WriteSmallReturns(filepath.Join(dir, "small"), n, o.seed, today)
		if err != nil {
			return err
		}
		out.SmallFiles = paths
		a.say("Wrote %d small school files to %s", len(paths), filepath.Join(dir, "small"))
	}
	if n := o.attendanceMonth; n > 0 {
		out.Attendance = filepath.Join(dir, fmt.Sprintf("attendance-month-%d.csv", n))
		if err := fixtures.WriteAttendanceMonth(out.Attendance, n, o.seed, today); err != nil {
			return err
		}
		a.say("Wrote a month of attendance marks for %d pupils to %s", n, out.Attendance)
	}
	if n := o.letters; n > 0 {
		sum, err := fixtures.WriteLetterLoad(filepath.Join(dir, "letters"), n, o.seed, today)
		if err != nil {
			return err
		}
		out.Letters = &sum
		a.say("Wrote reference data and %d returns with %d letters due to %s", len(sum.Returns), n, filepath.Join(dir, "letters"))
	}
	if a.g.json {
		return a.printJSON(out)
	}
	return nil
}

// demoMarker marks a folder that pme demo made, so that a second demo may replace it and nothing
// else is ever deleted.
const demoMarker = ".pme-demo"

// cmdDemo makes a fresh data folder with synthetic data, runs the whole job on the embedded
// database and says where to look.
func cmdDemo(ctx context.Context, a *app, args []string) error {
	if len(args) > 0 {
		return usagef("demo takes no arguments")
	}
	dir := first(a.g.dataDir, a.getenv("PME_DATA_DIR"), "pme-demo")
	if err := freshDemoDir(dir); err != nil {
		return err
	}
	a.cfg.DataDir = dir
	a.cfg.Database = first(a.g.db, "sqlite:"+filepath.Join(dir, "pme.db"))
	a.env.Config, a.env.DataDir = a.cfg, dir
	if err := a.openStore(ctx); err != nil {
		return err
	}
	a.say("pme demo: a fresh data folder at %s, run date %s.", dir, a.env.Today.UK())

	opt := fixtures.Options{Schools: 12, Pupils: 200, Seed: 1, ErrorRate: 0.03, Format: "mixed", Today: a.env.Today}
	gen, err := fixtures.Generate(filepath.Join(dir, "fixtures"), opt)
	if err != nil {
		return err
	}
	a.say("1. Wrote synthetic reference data and %d school returns (%d rows, %d deliberate mistakes).", len(gen.Returns), gen.Rows, gen.Mistakes)

	var loaded []string
	for _, kind := range []string{pme.KindSchools, pme.KindContacts, pme.KindSocialCare, pme.KindProviders} {
		path, ok := gen.Reference[kind]
		if !ok {
			continue
		}
		sum, err := a.env.Load(ctx, kind, path)
		if err != nil {
			return err
		}
		if sum.Status != pipeline.LoadLoaded {
			return fmt.Errorf("the synthetic %s file was refused: %v", kind, sum.Issues)
		}
		loaded = append(loaded, fmt.Sprintf("%s %d", kind, sum.Loaded))
	}
	a.say("2. Loaded the reference data (pme load): %s rows.", strings.Join(loaded, ", "))
	skip, extra, who, err := a.demoReturnsHistory(ctx, dir, gen)
	if err != nil {
		return err
	}
	if who.never != "" {
		a.say("   Ingested two earlier periods of returns: %s never returns, %s returned late, %s sends nil returns, %s sent only a PDF.",
			who.never, who.late, who.nilReturn, who.rejected)
	}
	dropped := append(gen.Returns[:len(gen.Returns):len(gen.Returns)], extra...)
	if gen.Attendance != "" {
		// The council's attendance extract goes in the inbox too: pme run recognises it by its header.
		dropped = append(dropped, gen.Attendance)
	}
	for _, p := range dropped {
		if skip[p] {
			continue
		}
		if err := copyInto(p, a.env.Path(pipeline.InboxDir, filepath.Base(p))); err != nil {
			return err
		}
	}
	if gen.Attendance != "" {
		a.say("3. Dropped the returns and the attendance extract %s (gaps: %s) in %s; running pme run:",
			filepath.Base(gen.Attendance), strings.Join(gen.AttendanceGaps, ", "), a.env.Path(pipeline.InboxDir))
	} else {
		a.say("3. Dropped the returns in %s; running pme run:", a.env.Path(pipeline.InboxDir))
	}
	sum, err := a.env.RunJob(ctx, pipeline.JobRun, a.env.Now())
	if err != nil {
		return err
	}
	// The casework starts here: the agenda for this week's Children Out of School meeting.
	agenda, err := a.env.Agenda(ctx, a.system(), pme.MeetingCOOS, a.env.Today)
	if err != nil {
		return err
	}
	if a.g.json {
		return a.printJSON(sum)
	}
	a.printRun(sum)
	a.say("4. Wrote the agenda for the Children Out of School meeting (pme agenda): %s.", plural(len(agenda.Items), "item"))
	a.say("\nWhere to look:")
	a.say("  feedback for schools:  %s", a.env.Path(pipeline.OutDir, "feedback"))
	if sum.Report != nil && len(sum.Report.Files) > 0 {
		a.say("  flagged-case report:   %s", a.env.Path(sum.Report.Files[0]))
	}
	if sum.Letters != nil && sum.Letters.Dir != "" {
		a.say("  assurance letters:     %s", a.env.Path(sum.Letters.Dir))
	}
	a.say("  the meeting's agenda:  %s", a.env.Path(agenda.File))
	a.say("  then record decisions: pme load decisions FILE --as NAME --data-dir %s (see README: Running a week)", dir)
	a.say("  the cases:             pme cases --data-dir %s", dir)
	a.say("  who has returned:      pme returns --data-dir %s   (and pme chase to draft the chase e-mails)", dir)
	a.say("  the run ledger:        pme runs --data-dir %s", dir)
	return nil
}

// freshDemoDir makes dir empty: it must not exist, be empty, or be a folder an earlier demo made.
func freshDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) == 0:
	default:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return usagef("%s already holds files that pme demo did not make; choose another folder with --data-dir", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("clear the previous demo: %w", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by pme demo: a later pme demo replaces this folder\n"), 0o600)
}

func copyInto(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return reports.WriteFileAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
