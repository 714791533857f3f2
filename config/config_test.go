package config

import (
	"strings"
	"testing"
)

func TestParseOverDefaults(t *testing.T) {
	cfg, err := Parse([]byte(`
data_dir: /var/lib/pme
schedule:
  flag: "0 7 * * 1-5"
limits: {max_file_mb: 50}
aliases:
  UPN: ["Pupil UPN"]
letters:
  council: Example Council
  reply_school_days: 15
  chase_after_school_days: 3
casework:
  vcec_after_school_days: 15
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.DataDir != "/var/lib/pme" || cfg.Limits.MaxFileMB != 50 || cfg.Limits.MaxRowsPerSheet != 1_000_000 {
		t.Errorf("limits/data_dir = %+v %q, want file 50 MB over the default rows", cfg.Limits, cfg.DataDir)
	}
	if cfg.Schedule["flag"] != "0 7 * * 1-5" || cfg.Schedule["ingest"] != "*/15 7-19 * * 1-5" {
		t.Errorf("schedule = %v, want flag replaced and ingest kept", cfg.Schedule)
	}
	if cfg.Letters.Council != "Example Council" || cfg.Letters.ReplySchoolDays != 15 || cfg.Letters.Service != "Fair Access Team" {
		t.Errorf("letters = %+v", cfg.Letters)
	}
	if cfg.Letters.ChaseAfterSchoolDays != 3 || cfg.Casework.VCECAfterSchoolDays != 15 {
		t.Errorf("chase = %d, vcec = %d; want 3 and 15", cfg.Letters.ChaseAfterSchoolDays, cfg.Casework.VCECAfterSchoolDays)
	}
	if got := cfg.Aliases["UPN"]; len(got) != 1 || got[0] != "Pupil UPN" {
		t.Errorf("aliases = %v", cfg.Aliases)
	}
}

func TestParseRejectsUnknownKeysNamingThem(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"databse: sqlite:/x\n", "databse"},
		{"letters:\n  councel: X\n", "councel"},
		{"limits: {max_file: 3}\n", "max_file"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error = %v, want one naming %q", tc.yaml, err, tc.want)
		}
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"bad cron", func(c *Config) { c.Schedule["flag"] = "every day" }, "schedule.flag"},
		{"unknown job", func(c *Config) { c.Schedule["backup"] = "0 1 * * *" }, "schedule.backup"},
		{"timezone", func(c *Config) { c.Timezone = "Mars/Olympus" }, "timezone"},
		{"reply days", func(c *Config) { c.Letters.ReplySchoolDays = 0 }, "letters.reply_school_days"},
		{"chase days", func(c *Config) { c.Letters.ChaseAfterSchoolDays = 0 }, "letters.chase_after_school_days"},
		{"vcec days", func(c *Config) { c.Casework.VCECAfterSchoolDays = -1 }, "casework.vcec_after_school_days"},
		{"limits", func(c *Config) { c.Limits.MaxFileMB = 0 }, "limits.max_file_mb"},
		{"database", func(c *Config) { c.Database = "mysql://x" }, "database"},
		{"web addr", func(c *Config) { c.Web.Addr = "8080" }, "web.addr"},
		{"web base url", func(c *Config) { c.Web.BaseURL = "pme.example.gov.uk" }, "web.base_url"},
		{"web tls", func(c *Config) { c.Web.TLSCert = "/etc/pme/tls.crt" }, "web.tls_cert"},
		{"web idle", func(c *Config) { c.Web.SessionIdleMinutes = 0 }, "web.session_idle_minutes"},
		{"web max", func(c *Config) { c.Web.SessionMaxHours = 25 }, "web.session_max_hours"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func TestDSTWarnings(t *testing.T) {
	c := Default()
	if w := c.DSTWarnings(); len(w) != 0 {
		t.Fatalf("default schedule warnings = %v, want none", w)
	}
	c.Schedule["flag"] = "30 1 * * *"
	c.Schedule["report"] = "0 */2 * * *" // fires at 02:00 too
	w := c.DSTWarnings()
	if len(w) != 2 || !strings.Contains(w[0], "schedule.flag") || !strings.Contains(w[1], "schedule.report") {
		t.Fatalf("warnings = %v, want flag and report", w)
	}
}
