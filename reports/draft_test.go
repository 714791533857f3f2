package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pme/reports/drafttest"
)

func TestWriteDraft(t *testing.T) {
	dir := t.TempDir()
	att := filepath.Join(dir, "8912345_returns.feedback.xlsx")
	if err := os.WriteFile(att, []byte("PK\x03\x04 workbook bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out", "a.eml")
	d := Draft{To: "head@school.example.org", Subject: "Returns due: Zoë's School\r\nBcc: attacker@evil.example\nX-Evil: 1",
		Body: "Dear Headteacher,\n\nPlease send the returns.\n", Attachments: []string{att},
		Date: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	if err := WriteDraft(path, d); err != nil {
		t.Fatalf("WriteDraft: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	got := drafttest.Read(t, path)
	h, body, files := got.Header, got.Body, got.Files
	if h.Get("X-Unsent") != "1" {
		t.Fatalf("X-Unsent = %q, want 1", h.Get("X-Unsent"))
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "head@school.example.org" {
		t.Fatalf("To = %v, %v", to, err)
	}
	if h.Get("Bcc") != "" || h.Get("X-Evil") != "" {
		t.Fatalf("a line break in the subject added a header: Bcc %q, X-Evil %q", h.Get("Bcc"), h.Get("X-Evil"))
	}
	if got.Subject != "Returns due: Zoë's School Bcc: attacker@evil.example X-Evil: 1" {
		t.Fatalf("Subject = %q", got.Subject)
	}
	if !strings.Contains(body, "Please send the returns.") {
		t.Fatalf("body = %q", body)
	}
	if got := string(files["8912345_returns.feedback.xlsx"]); got != "PK\x03\x04 workbook bytes" {
		t.Fatalf("attachment = %q (files %v)", got, files)
	}
}

func TestWriteDraftRefusesABadRecipient(t *testing.T) {
	err := WriteDraft(filepath.Join(t.TempDir(), "a.eml"), Draft{To: "head@school.example.org\r\nBcc: x@evil.example, y@evil.example", Subject: "x"})
	if err == nil {
		t.Fatal("WriteDraft with two addresses smuggled in the recipient: want an error")
	}
}

func TestHeaderText(t *testing.T) {
	for in, want := range map[string]string{
		"St Mary's\r\nBcc: x":  "St Mary's Bcc: x",
		"A\u2028B\tC\x00D":     "A B C D",
		"  Zoë   Łukasz  ":     "Zoë Łukasz",
		"Nguyễn\u0085Bcc: y@z": "Nguyễn Bcc: y@z",
	} {
		if got := HeaderText(in); got != want {
			t.Errorf("HeaderText(%q) = %q, want %q", in, got, want)
		}
	}
}
