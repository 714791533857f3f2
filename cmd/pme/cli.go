package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"pme"
	"pme/config"
	"pme/pipeline"
	"pme/store"
)

// Exit statuses (cli.md).
const (
	exitOK    = 0
	exitError = 1 // the command could not do its work
	exitUsage = 2 // a usage or configuration error
)

// usageError is a mistake in how pme was called or configured: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// globals are the flags every command takes (cli.md).
type globals struct {
	db, dataDir, configPath, today string
	json                           bool
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, a *app, args []string) error
	flags               func(fs *flag.FlagSet) // extra flags, if any
	noStore             bool                   // runs without opening the database
}

var commands []command

func init() {
	commands = []command{
		{name: "migrate", summary: "apply pending database migrations", run: cmdMigrate},
		{name: "load", args: "KIND FILE...", summary: "load schools|contacts|social-care|providers|calendar FILE, attendance FILE..., or decisions FILE", run: cmdLoad, flags: asFlag},
		{name: "ingest", args: "[FILE...]", summary: "ingest the files named, or every file in inbox/", run: cmdIngest},
		{name: "flag", summary: "run the risk rules and update the cases", run: cmdFlag},
		{name: "report", summary: "write the flagged-case report", run: cmdReport},
		{name: "letters", args: "[--reprint LETTER_ID] | reply LETTER_ID --received D --assurance A", summary: "write the letters that are due", run: cmdLetters, flags: lettersFlags},
		{name: "run", summary: "ingest, flag, report and letters, in that order: the scheduled job", run: cmdRun},
		{name: "schedule", summary: "run the jobs on their cron schedules until SIGINT/SIGTERM", run: cmdSchedule},
		{name: "cases", summary: "print the open cases", run: cmdCases},
		{name: "runs", summary: "print the run ledger", run: cmdRuns},
		{name: "serve", summary: "the web application on web.addr (web.md)", run: cmdServe},
		{name: "agenda", args: "[--meeting coos|vcec] [--date YYYY-MM-DD]", summary: "write a meeting's agenda workbook", run: cmdAgenda, flags: agendaFlags},
		{name: "case", args: "CASE_ID [note|action|done|in-hand|escalate|nfa|assign …]", summary: "show a case, or record casework on it", run: cmdCase, flags: caseFlags},
		{name: "child", args: "UPN [--export DIR]", summary: "one child's whole history in date order", run: cmdChild, flags: childFlags},
		{name: "audit", args: "[--case ID] [--person P] [--since YYYY-MM-DD]", summary: "read the audit log", run: cmdAudit, flags: auditFlags},
		{name: "user", args: "add|disable|enable|reset|list [EMAIL]", summary: "manage who may sign in to pme serve", run: cmdUser, flags: userFlags},
		{name: "fixtures", args: "--out DIR", summary: "write realistic synthetic data", run: cmdFixtures, flags: fixturesFlags, noStore: true},
		{name: "returns", args: "[--period YYYY-MM|current|previous] [--school LAESTAB]", summary: "who has returned what for a period", run: cmdReturns, flags: returnsFlags},
		{name: "chase", summary: "draft chase e-mails to schools missing the current period's returns", run: cmdChase},
		{name: "demo", summary: "a fresh data folder, synthetic data, pme run, and where to look", run: cmdDemo, noStore: true},
	}
}

// app is one invocation: its settings, its output streams and (once opened) the store.
type app struct {
	g      globals
	cfg    config.Config
	env    *pipeline.Env
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	tty    bool // standard error is a terminal: progress bars and a text log
	quiet  bool // log warnings only unless PME_LOG_LEVEL says otherwise (pme demo: the summary is the point)
	flags  *flag.FlagSet
	getenv func(string) string
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(args, stdin, stdout, stderr, os.Getenv)
}

// runWith is run with the environment passed in, for tests.
func runWith(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	var cmd *command
	for i := range commands {
		if commands[i].name == args[0] {
			cmd = &commands[i]
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "pme: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return exitUsage
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, quiet: cmd.name == "demo"}
	if f, ok := stderr.(*os.File); ok {
		a.tty = isatty.IsTerminal(f.Fd())
	}
	fs := flag.NewFlagSet("pme "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.g.db, "db", "", "database URL (env PME_DATABASE_URL)")
	fs.StringVar(&a.g.dataDir, "data-dir", "", "data folder (env PME_DATA_DIR)")
	fs.StringVar(&a.g.configPath, "config", "", "configuration file (env PME_CONFIG)")
	fs.StringVar(&a.g.today, "today", "", "run date YYYY-MM-DD (env PME_TODAY)")
	fs.BoolVar(&a.g.json, "json", false, "print the summary as JSON on standard output")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	a.flags = fs
	positional, err := parseInterleaved(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(stderr, cmd, fs)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "pme %s: %v\n", cmd.name, err)
		printCommandUsage(stderr, cmd, fs)
		return exitUsage
	}

	// PME_CPUPROFILE writes a CPU profile of the command, for performance work (go tool pprof).
	if path := getenv("PME_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.setup(ctx, !cmd.noStore); err != nil {
		return a.fail(cmd.name, err)
	}
	if a.env != nil && a.env.Store != nil {
		defer a.env.Store.Close()
	}
	if err := cmd.run(ctx, a, positional); err != nil {
		return a.fail(cmd.name, err)
	}
	if !a.g.json && a.env != nil {
		for _, w := range a.env.Warnings() {
			a.say("Warning: %s", w)
		}
	}
	return exitOK
}

// fail prints err with what to do and returns the exit status for it.
func (a *app) fail(cmd string, err error) int {
	var ue usageError
	var pe pipeline.UsageError
	if errors.As(err, &ue) || errors.As(err, &pe) {
		fmt.Fprintf(a.stderr, "pme %s: %v\n", cmd, err)
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(a.stderr, "pme %s: stopped by a signal; what was finished is kept, run it again to carry on\n", cmd)
		return exitError
	}
	fmt.Fprintf(a.stderr, "pme %s: %v\n", cmd, err)
	return exitError
}

// parseInterleaved parses flags that may come before, between or after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// setup resolves settings (flags win over the environment, which wins over the file) and opens
// the store.
func (a *app) setup(ctx context.Context, openStore bool) error {
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	a.cfg = cfg
	today, err := a.resolveToday(cfg)
	if err != nil {
		return err
	}
	logger, err := a.logger()
	if err != nil {
		return err
	}
	a.env = &pipeline.Env{Config: cfg, DataDir: cfg.DataDir, Today: today, Now: time.Now, Log: logger,
		ListCases: a.g.json, User: strings.TrimSpace(a.getenv("PME_USER"))}
	if a.tty && !a.g.json {
		a.env.Progress = a.progressBar
	}
	if !openStore {
		return nil
	}
	return a.openStore(ctx)
}

func (a *app) openStore(ctx context.Context) error {
	if err := a.env.EnsureDataDir(); err != nil {
		return fmt.Errorf("create data folder %s: %w (check it is writable, or set --data-dir)", a.cfg.DataDir, err)
	}
	s, err := store.Open(ctx, a.cfg.Database)
	if err != nil {
		return fmt.Errorf("%w\nthe database is %s; set --db or PME_DATABASE_URL to change it", err, store.Redact(a.cfg.Database))
	}
	a.env.Store = s
	return nil
}

// loadConfig reads the configuration file and applies the environment and flags over it.
func (a *app) loadConfig() (config.Config, error) {
	dataDir := first(a.g.dataDir, a.getenv("PME_DATA_DIR"))
	path := first(a.g.configPath, a.getenv("PME_CONFIG"))
	cfg := config.Default()
	switch {
	case path != "":
		c, err := config.Load(path)
		if err != nil {
			return cfg, usageError{err.Error()}
		}
		cfg = c
	default:
		// <data dir>/pme.yaml if present, else built-in defaults.
		def := filepath.Join(first(dataDir, "pme-data"), "pme.yaml")
		if _, err := os.Stat(def); err == nil {
			c, err := config.Load(def)
			if err != nil {
				return cfg, usageError{err.Error()}
			}
			cfg = c
		}
	}
	cfg.DataDir = first(dataDir, cfg.DataDir, "pme-data")
	cfg.Database = first(a.g.db, a.getenv("PME_DATABASE_URL"), cfg.Database, "sqlite:"+filepath.Join(cfg.DataDir, "pme.db"))
	if err := errors.Join(cfg.Validate(), pipeline.ValidateConfig(cfg)); err != nil {
		return cfg, usageError{"configuration: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return cfg, nil
}

func (a *app) resolveToday(cfg config.Config) (pme.Date, error) {
	if s := first(a.g.today, a.getenv("PME_TODAY")); s != "" {
		d, err := pme.ParseISO(s)
		if err != nil {
			return d, usagef("--today %q: want a date as YYYY-MM-DD", s)
		}
		return d, nil
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return pme.Date{}, usagef("timezone %q: %v", cfg.Timezone, err)
	}
	return pme.DateOf(time.Now().In(loc)), nil
}

// logger logs to standard error: text on a terminal, JSON otherwise (for journald and log
// collectors). PME_LOG_LEVEL sets the level; on a terminal it defaults to warn, so the human
// summary is not buried.
func (a *app) logger() (*slog.Logger, error) {
	level := slog.LevelInfo
	if a.tty || a.quiet {
		level = slog.LevelWarn
	}
	if s := a.getenv("PME_LOG_LEVEL"); s != "" {
		if err := level.UnmarshalText([]byte(s)); err != nil {
			return nil, usagef("PME_LOG_LEVEL %q: want debug, info, warn or error", s)
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if a.tty {
		return slog.New(slog.NewTextHandler(a.stderr, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(a.stderr, opts)), nil
}

// printJSON writes v as the command's JSON summary on standard output, with the run's warnings.
func (a *app) printJSON(v any) error {
	if a.env != nil {
		if ws := a.env.Warnings(); len(ws) > 0 {
			v = withWarnings{v, ws}
		}
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// withWarnings is a JSON summary with the run's warnings added as its "warnings" list (cli.md),
// whatever the summary's type: operations add warnings with Env.Warn, not to their summaries.
type withWarnings struct {
	summary  any
	warnings []string
}

func (w withWarnings) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(w.summary)
	if err != nil || len(b) < 2 || b[0] != '{' {
		return b, err
	}
	ws, err := json.Marshal(w.warnings)
	if err != nil {
		return nil, err
	}
	out := append(b[:len(b)-1:len(b)-1], ","...)
	if len(b) == 2 { // {}
		out = out[:1]
	}
	out = append(append(out, `"warnings":`...), ws...)
	return append(out, '}'), nil
}

// say prints a line of the human summary on standard error.
func (a *app) say(format string, args ...any) {
	fmt.Fprintf(a.stderr, format+"\n", args...)
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "pme: Pupils Missing Education — school returns in, cases, reports and letters out.")
	fmt.Fprintln(w, "\nUsage: pme COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %-52s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nFlags for every command:\n  --db URL            database (env PME_DATABASE_URL; default sqlite:<data dir>/pme.db)")
	fmt.Fprintln(w, "  --data-dir DIR      data folder with inbox/, archive/, rejected/, out/ (env PME_DATA_DIR; default ./pme-data)")
	fmt.Fprintln(w, "  --config FILE       configuration file (env PME_CONFIG; default <data dir>/pme.yaml if present)")
	fmt.Fprintln(w, "  --today YYYY-MM-DD  the run date (env PME_TODAY; default today in Europe/London)")
	fmt.Fprintln(w, "  --json              print the summary as JSON on standard output")
	fmt.Fprintln(w, "\nNew here? Run: pme demo")
}

func printCommandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: pme %s %s\n  %s\n\nFlags:\n", c.name, c.args, c.summary)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
