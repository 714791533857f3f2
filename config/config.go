// Package config reads pme's YAML configuration file and checks it. Every key is optional;
// unknown keys are an error that names the key. Only cmd/pme reads the environment: it applies
// PME_* variables and flags over what this package returns.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration, with the built-in defaults filled in by Default.
type Config struct {
	Database      string                    `yaml:"database"`
	DataDir       string                    `yaml:"data_dir"`
	Timezone      string                    `yaml:"timezone"`
	Schedule      map[string]string         `yaml:"schedule"`
	Limits        Limits                    `yaml:"limits"`
	Aliases       map[string][]string       `yaml:"aliases"`
	FullTimeHours map[string]float64        `yaml:"full_time_hours"`
	Rules         map[string]map[string]any `yaml:"rules"`
	Letters       Letters                   `yaml:"letters"`
	Casework      Casework                  `yaml:"casework"`
	Web           Web                       `yaml:"web"`
	Attendance    Attendance                `yaml:"attendance"`
	Returns       Returns                   `yaml:"returns"`
}

// Web configures `pme serve` (web.md).
type Web struct {
	Addr               string `yaml:"addr"`
	BaseURL            string `yaml:"base_url"` // https://… makes the session cookie Secure and __Host-
	TLSCert            string `yaml:"tls_cert"` // with tls_key: serve HTTPS; without, run behind a TLS proxy
	TLSKey             string `yaml:"tls_key"`
	SessionIdleMinutes int    `yaml:"session_idle_minutes"`
	SessionMaxHours    int    `yaml:"session_max_hours"`
}

// Attendance configures attendance register extracts (attendance.md); the rules' thresholds are
// under rules.ATT_*.
type Attendance struct {
	// MaxRowsPerSheet bounds an attendance sheet: a month of marks for a county is millions of rows.
	MaxRowsPerSheet int `yaml:"max_rows_per_sheet"`
	// MaxFileMB bounds a file named to `pme load attendance` (files in inbox/ keep limits.max_file_mb).
	MaxFileMB int `yaml:"max_file_mb"`
}

// Casework configures the casework (casework.md).
type Casework struct {
	// VCECAfterSchoolDays: a case flagged for more than this many school days, unreviewed and with
	// no action done, is listed on the COOS agenda as "consider VCEC referral".
	VCECAfterSchoolDays int `yaml:"vcec_after_school_days"`
}

// Limits bound what one returned file may cost.
type Limits struct {
	MaxFileMB       int `yaml:"max_file_mb"`
	MaxRowsPerSheet int `yaml:"max_rows_per_sheet"`
	MaxUnzippedMB   int `yaml:"max_unzipped_mb"`
}

// Letters configures the assurance letters.
type Letters struct {
	Council         string    `yaml:"council"`
	Service         string    `yaml:"service"`
	Address         []string  `yaml:"address"`
	Signatory       Signatory `yaml:"signatory"`
	ReplySchoolDays int       `yaml:"reply_school_days"`
	Template        string    `yaml:"template"`
	Font            string    `yaml:"font"` // a council's house font (TrueType); "" for the built-in DejaVu Sans
	// ReminderTemplate is the reminder letter's template ("" for the built-in one).
	ReminderTemplate string `yaml:"reminder_template"`
	// ChaseAfterSchoolDays: school days after a letter's reply-by date with no reply before a
	// reminder letter is due.
	ChaseAfterSchoolDays int `yaml:"chase_after_school_days"`
}

// Signatory signs the letters.
type Signatory struct {
	Name string `yaml:"name"`
	Role string `yaml:"role"`
}

// Jobs are the jobs `pme schedule` runs, in the order data flows.
var Jobs = []string{"ingest", "flag", "report", "letters"}

// Default returns the built-in configuration (cli.md).
func Default() Config {
	return Config{
		Timezone: "Europe/London",
		Schedule: map[string]string{
			"ingest":  "*/15 7-19 * * 1-5",
			"flag":    "30 6 * * 1-5",
			"report":  "35 6 * * 1-5",
			"letters": "40 6 * * 1-5",
		},
		Limits:     Limits{MaxFileMB: 200, MaxRowsPerSheet: 1_000_000, MaxUnzippedMB: 256},
		Attendance: Attendance{MaxRowsPerSheet: 10_000_000, MaxFileMB: 1024},
		Letters: Letters{
			Council:              "Nottinghamshire County Council",
			Service:              "Fair Access Team",
			Address:              []string{"County Hall", "West Bridgford", "Nottingham", "NG2 7QP"},
			Signatory:            Signatory{Name: "A. Practitioner", Role: "Pupils Missing Education Practitioner"},
			ReplySchoolDays:      10,
			ChaseAfterSchoolDays: 5,
		},
		Casework: Casework{VCECAfterSchoolDays: 20},
		Web:      Web{Addr: "127.0.0.1:8080", SessionIdleMinutes: 30, SessionMaxHours: 8},
		Returns:  DefaultReturns(),
	}
}

// Load reads the configuration file at path over the defaults. A missing file is an error: the
// caller decides whether the file was optional.
func Load(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := Parse(b)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse reads YAML over the defaults; unknown keys are errors that name the key and line.
func Parse(b []byte) (Config, error) {
	cfg := Default()
	schedule := cfg.Schedule
	cfg.Schedule = nil
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	// A schedule in the file replaces only the jobs it names.
	for job, spec := range cfg.Schedule {
		schedule[job] = spec
	}
	cfg.Schedule = schedule
	return cfg, nil
}

// Validate checks values that YAML types cannot, naming the key.
func (c Config) Validate() error {
	var errs []error
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Errorf("timezone %q is not a known time zone (e.g. Europe/London)", c.Timezone))
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	for job, spec := range c.Schedule {
		if !validJob(job) {
			errs = append(errs, fmt.Errorf("schedule.%s: unknown job (want one of %s)", job, strings.Join(Jobs, ", ")))
			continue
		}
		if spec == "" {
			continue // an empty schedule turns the job off
		}
		if _, err := parser.Parse(spec); err != nil {
			errs = append(errs, fmt.Errorf("schedule.%s: %q is not a five-field cron schedule: %v", job, spec, err))
		}
	}
	if c.Limits.MaxFileMB < 1 {
		errs = append(errs, errors.New("limits.max_file_mb must be at least 1"))
	}
	if c.Limits.MaxRowsPerSheet < 1 {
		errs = append(errs, errors.New("limits.max_rows_per_sheet must be at least 1"))
	}
	if c.Limits.MaxUnzippedMB < 1 {
		errs = append(errs, errors.New("limits.max_unzipped_mb must be at least 1"))
	}
	if c.Attendance.MaxRowsPerSheet < 1 {
		errs = append(errs, errors.New("attendance.max_rows_per_sheet must be at least 1"))
	}
	if c.Attendance.MaxFileMB < 1 {
		errs = append(errs, errors.New("attendance.max_file_mb must be at least 1"))
	}
	if c.Letters.ReplySchoolDays < 1 || c.Letters.ReplySchoolDays > 60 {
		errs = append(errs, errors.New("letters.reply_school_days must be between 1 and 60"))
	}
	if c.Letters.ChaseAfterSchoolDays < 1 || c.Letters.ChaseAfterSchoolDays > 60 {
		errs = append(errs, errors.New("letters.chase_after_school_days must be between 1 and 60"))
	}
	if c.Casework.VCECAfterSchoolDays < 1 || c.Casework.VCECAfterSchoolDays > 190 {
		errs = append(errs, errors.New("casework.vcec_after_school_days must be between 1 and 190 (a school year)"))
	}
	errs = append(errs, c.Web.validate()...)
	errs = append(errs, c.Returns.validate()...)
	if c.Database != "" && !strings.HasPrefix(c.Database, "sqlite:") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		errs = append(errs, errors.New("database must start with sqlite: or postgres://"))
	}
	return errors.Join(errs...)
}

func (w Web) validate() []error {
	var errs []error
	if _, _, err := net.SplitHostPort(w.Addr); err != nil {
		errs = append(errs, fmt.Errorf("web.addr %q is not host:port (e.g. 127.0.0.1:8080)", w.Addr))
	}
	if w.BaseURL != "" {
		u, err := url.Parse(w.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("web.base_url %q must be an http:// or https:// address", w.BaseURL))
		}
	}
	if (w.TLSCert == "") != (w.TLSKey == "") {
		errs = append(errs, errors.New("web.tls_cert and web.tls_key go together: give both or neither"))
	}
	if w.SessionIdleMinutes < 1 || w.SessionIdleMinutes > 24*60 {
		errs = append(errs, errors.New("web.session_idle_minutes must be between 1 and 1440"))
	}
	if w.SessionMaxHours < 1 || w.SessionMaxHours > 24 {
		errs = append(errs, errors.New("web.session_max_hours must be between 1 and 24"))
	}
	return errs
}

func validJob(job string) bool {
	for _, j := range Jobs {
		if j == job {
			return true
		}
	}
	return false
}

// DSTWarnings lists the jobs whose schedule can fire between 01:00 and 02:59 local time: on the
// days the clocks change, that time is skipped or repeated.
func (c Config) DSTWarnings() []string {
	var out []string
	for _, job := range Jobs {
		spec := c.Schedule[job]
		f := strings.Fields(spec)
		if len(f) != 5 {
			continue
		}
		if hoursInclude(f[1], 1) || hoursInclude(f[1], 2) {
			out = append(out, fmt.Sprintf("schedule.%s %q runs between 01:00 and 02:59 %s: on the days the clocks change that time is skipped or repeated; choose another hour", job, spec, c.Timezone))
		}
	}
	return out
}

// hoursInclude reports whether a cron hour field fires in hour h.
func hoursInclude(field string, h int) bool {
	sched, err := cron.ParseStandard("0 " + field + " * * *")
	if err != nil {
		return false
	}
	from := time.Date(2026, 1, 1, h, 0, 0, 0, time.UTC).Add(-time.Second)
	next := sched.Next(from)
	return next.Hour() == h && next.Day() == 1
}

// Redacted returns a copy safe to print: the database password hidden.
func (c Config) Redacted(redact func(string) string) Config {
	c.Database = redact(c.Database)
	return c
}
