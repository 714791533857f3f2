package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pme"
	"pme/reports"
	"pme/reports/drafttest"
)

// complianceEnv loads five schools of LA 891 and their contacts: 8910001 returns on time,
// 8910002 sends nothing, 8910003 sends only a PDF, 8910004 has no e-mail and 8910005 an e-mail
// that is not an address. 8910002's name holds a line break, as a hostile file name might.
func complianceEnv(t *testing.T, e *Env) {
	t.Helper()
	ctx := context.Background()
	e.Config.Returns.LACodes = []string{"891"}
	school := func(la, name string) pme.School {
		return pme.School{URN: "10" + la[3:] + "0", LAESTAB: la, Name: name, Status: "Open", TypeGroup: "Academies"}
	}
	schools := []pme.School{school("8910001", "Alpha Academy"), school("8910002", "Beta Academy\r\nBcc: spy@evil.example"),
		school("8910003", "Gamma Academy"), school("8910004", "Delta Academy"), school("8910005", "Epsilon Academy"),
		{URN: "100099", LAESTAB: "9990001", Name: "Elsewhere", Status: "Open", TypeGroup: "Academies"},
		{URN: "100098", LAESTAB: "8910098", Name: "Closed Long Ago", Status: "Closed", TypeGroup: "Academies",
			OpenDate: pme.MustDate("2010-09-01"), CloseDate: pme.MustDate("2024-08-31")}}
	if err := e.Store.ReplaceSchools(ctx, schools); err != nil {
		t.Fatal(err)
	}
	contacts := []pme.Contact{{LAESTAB: "8910001", HeadEmail: "head@alpha.example.org"}, {LAESTAB: "8910002", HeadEmail: "head@beta.example.org"},
		{LAESTAB: "8910003", HeadEmail: "head@gamma.example.org"}, {LAESTAB: "8910005", HeadEmail: "the head"}}
	if err := e.Store.ReplaceContacts(ctx, contacts); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	rt := "UPN,Surname,Forename,Date of Birth,Start Date,Planned End Date,Hours Per Week,Reason,Parental Agreement,Review Date\n"
	files := []string{
		writeFile(t, filepath.Join(src, "8910001_rt.csv"), rt+"B801200005001,Smith,Ann,01/02/2014,02/11/2026,18/12/2026,15,MED,Y,04/12/2026\n"),
		writeFile(t, filepath.Join(src, "8910001_ap.csv"), "UPN,Surname,Forename,Date of Birth,Provider Name,Start Date,Hours At Provider\n"),
		writeFile(t, filepath.Join(src, "8910001_su.csv"), "UPN,Surname,Forename,Date of Birth,Category,Start Date,Sessions,Reason\n"),
		writeFile(t, filepath.Join(src, "8910003_returns.pdf"), "%PDF-1.4\nprinted\n"),
	}
	today := e.Today
	e.Today = pme.MustDate("2026-11-04") // November is due on the 6th
	if _, err := e.Ingest(ctx, files); err != nil {
		t.Fatal(err)
	}
	e.Today = today
}

func TestReturnsAndChase(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		complianceEnv(t, e)
		sum, err := e.Returns(ctx, "current", "")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Period != "2026-11" || sum.Due != pme.MustDate("2026-11-06") || len(sum.Schools) != 5 {
			t.Fatalf("returns = %+v, want 2026-11 due 2026-11-06 with 5 schools", sum)
		}
		got := map[string]string{}
		for _, s := range sum.Schools {
			got[s.LAESTAB] = string(s.Types["reduced-timetable"].Status) + "/" + string(s.Types["alternative-provision"].Status)
		}
		want := map[string]string{"8910001": "returned/nil", "8910002": "missing/missing", "8910003": "rejected-only/rejected-only",
			"8910004": "missing/missing", "8910005": "missing/missing"}
		for la, w := range want {
			if got[la] != w {
				t.Errorf("%s = %s, want %s", la, got[la], w)
			}
		}
		if one, err := e.Returns(ctx, "2026-11", "8910001"); err != nil || len(one.Schools) != 1 || one.Schools[0].Types["reduced-timetable"].Rows != 1 {
			t.Fatalf("returns --school 8910001 = %+v, %v", one, err)
		}
		if _, err := e.Returns(ctx, "2026-13", ""); !errors.As(err, new(UsageError)) {
			t.Fatalf("returns --period 2026-13: err = %v, want a usage error", err)
		}

		template := writeFile(t, filepath.Join(t.TempDir(), "returns-template.xlsx"), "PK template")
		e.Config.Returns.Template = template
		ch, err := e.Chase(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Drafts) != 2 || ch.Drafts[0].LAESTAB != "8910002" || ch.Drafts[1].LAESTAB != "8910003" || len(ch.NoEmail) != 2 {
			t.Fatalf("chase = %+v, want drafts for 8910002 and 8910003, two without an e-mail", ch)
		}
		if ch.NoEmail[0].LAESTAB != "8910004" || !strings.Contains(ch.NoEmail[1].Reason, "not one e-mail address") {
			t.Fatalf("no_email = %+v", ch.NoEmail)
		}
		d := drafttest.Read(t, e.Path(ch.Drafts[0].File))
		if d.Header.Get("X-Unsent") != "1" || d.Header.Get("Bcc") != "" || d.Subject != "Returns due for November 2026: Beta Academy Bcc: spy@evil.example (8910002)" {
			t.Fatalf("draft headers = %v, subject %q", d.Header, d.Subject)
		}
		if to, err := d.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "head@beta.example.org" {
			t.Fatalf("To = %v, %v", to, err)
		}
		if string(d.Files["returns-template.xlsx"]) != "PK template" || !strings.Contains(d.Body, "due by the end of 6 November 2026") {
			t.Fatalf("draft = %q, files %v", d.Body, d.Files)
		}
		if d := drafttest.Read(t, e.Path(ch.Drafts[1].File)); !strings.Contains(d.Body, "8910003_returns.pdf (received 4 November 2026): This file is a PDF") {
			t.Fatalf("rejected-only draft body = %q", d.Body)
		}
		again, err := e.Chase(ctx)
		if err != nil || len(again.Drafts) != 0 || again.AlreadyDrafted != 2 {
			t.Fatalf("second chase = %+v, %v; want nothing new, 2 already drafted", again, err)
		}

		// The PDF's feedback is drafted to the school too, with the workbook attached.
		fb := drafttest.Read(t, e.Path(OutDir, "feedback", "8910003_returns.pdf.feedback.eml"))
		if to, _ := fb.Header.AddressList("To"); len(to) != 1 || to[0].Address != "head@gamma.example.org" || fb.Header.Get("X-Unsent") != "1" {
			t.Fatalf("feedback draft headers = %v", fb.Header)
		}
		book, err := os.ReadFile(e.Path(OutDir, "feedback", "8910003_returns.pdf.feedback.xlsx"))
		if err != nil || string(fb.Files["8910003_returns.pdf.feedback.xlsx"]) != string(book) {
			t.Fatalf("feedback draft attachment differs from the workbook (%v)", err)
		}
	})
}

func TestComplianceNeedsLACodesAndSchools(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		if _, err := e.Returns(ctx, "", ""); !errors.Is(err, ErrComplianceNotConfigured) {
			t.Fatalf("Returns without la_codes: err = %v, want ErrComplianceNotConfigured", err)
		}
		if _, err := e.Chase(ctx); !errors.Is(err, ErrComplianceNotConfigured) {
			t.Fatalf("Chase without la_codes: err = %v", err)
		}
		e.Config.Returns.LACodes = []string{"891"}
		if _, err := e.Returns(ctx, "", ""); err == nil || !strings.Contains(err.Error(), "pme load schools") {
			t.Fatalf("Returns without GIAS: err = %v, want one saying to load schools", err)
		}
	})
}

// TestRejectedFileCountsForTheSchoolsItsRowsName: a file refused as a whole with no LAESTAB in its
// name, whose readable rows name two schools, is rejected-only for those two (compliance.md), and
// their chase drafts say what was wrong with it.
func TestRejectedFileCountsForTheSchoolsItsRowsName(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		complianceEnv(t, e)
		// No Hours Per Week: refused as a whole for its columns.
		trust := writeFile(t, filepath.Join(t.TempDir(), "trust_returns.csv"),
			"LAESTAB,UPN,Surname,Forename,Date of Birth,Start Date\n"+
				"891/0004,B801200005001,Smith,Ann,01/02/2014,02/11/2026\n8910005,H801200001001,Jones,Bo,01/02/2014,02/11/2026\n")
		beta := writeFile(t, filepath.Join(t.TempDir(), "beta.csv"),
			"LAESTAB,UPN,Surname,Forename,Date of Birth,Start Date\n8910002,B801200005001,Smith,Ann,01/02/2014,02/11/2026\n")
		today := e.Today
		e.Today = pme.MustDate("2026-11-05")
		res, err := e.Ingest(ctx, []string{trust, beta})
		e.Today = today
		if err != nil || len(res.Files) != 2 || res.Files[0].Status != pme.FileRejected || res.Files[1].Status != pme.FileRejected {
			t.Fatalf("ingest = %+v, %v; want both files rejected", res, err)
		}
		// The feedback goes to the one school a refused file's rows name; a file naming two has
		// no one recipient.
		fb := drafttest.Read(t, e.Path(OutDir, "feedback", "beta.csv.feedback.eml"))
		if to, err := fb.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "head@beta.example.org" {
			t.Errorf("beta.csv feedback To = %v, %v; want head@beta.example.org", to, err)
		}
		if fb := drafttest.Read(t, e.Path(OutDir, "feedback", "trust_returns.csv.feedback.eml")); fb.Header.Get("To") != "" {
			t.Errorf("trust_returns.csv feedback To = %q, want none (its rows name two schools)", fb.Header.Get("To"))
		}
		sum, err := e.Returns(ctx, "current", "")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sum.Schools {
			want := pme.StatusMissing
			switch s.LAESTAB {
			case "8910001":
				want = pme.StatusReturned
			case "8910002", "8910003", "8910004", "8910005":
				want = pme.StatusRejectedOnly
			}
			if got := s.Types["reduced-timetable"].Status; got != want {
				t.Errorf("%s reduced-timetable = %s, want %s", s.LAESTAB, got, want)
			}
		}
		// The web's school page lists the file among the school's files, and the chase says
		// what was wrong with it.
		page, err := e.SchoolReturns(ctx, "current", "8910004")
		if err != nil || len(page.Files) != 1 || page.Files[0].Name != "trust_returns.csv" {
			t.Fatalf("SchoolReturns(8910004) files = %+v, %v; want trust_returns.csv", page.Files, err)
		}
		ch, err := e.Chase(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, d := range ch.Drafts {
			if d.LAESTAB != "8910002" {
				continue
			}
			found = true
			if body := drafttest.Read(t, e.Path(d.File)).Body; !strings.Contains(body, "beta.csv (received 5 November 2026)") {
				t.Errorf("8910002's chase does not name beta.csv:\n%s", body)
			}
		}
		if !found {
			t.Errorf("chase drafts = %+v, want one for 8910002 (rejected-only)", ch.Drafts)
		}
	})
}

// TestReportReturnsSheet: the flagged-case report's Returns rows are the expected schools worst
// first; a school expected in none of the periods shown (closed in 2024) has no row.
func TestReportReturnsSheet(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		complianceEnv(t, e)
		var r reports.FlaggedReport
		if err := e.reportCompliance(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if r.Returns == nil || len(r.Returns.Periods) != SheetPeriods {
			t.Fatalf("Returns = %+v, want %d periods", r.Returns, SheetPeriods)
		}
		var order []string
		for _, row := range r.Returns.Rows {
			order = append(order, row.LAESTAB)
			if len(row.Cells) != SheetPeriods*len(r.Returns.Types) {
				t.Errorf("%s has %d cells, want %d", row.LAESTAB, len(row.Cells), SheetPeriods*len(r.Returns.Types))
			}
		}
		want := "8910002,8910004,8910005,8910003,8910001"
		if got := strings.Join(order, ","); got != want {
			t.Errorf("Returns rows = %s, want %s (worst first, no row for the school closed in 2024)", got, want)
		}
	})
}

// TestSheetForTwoSchoolsOneAllRejected: in one sheet for two schools, the school whose every row
// was rejected is rejected-only, not a nil return.
func TestSheetForTwoSchoolsOneAllRejected(t *testing.T) {
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		complianceEnv(t, e)
		trust := writeFile(t, filepath.Join(t.TempDir(), "trust_rt.csv"),
			"LAESTAB,UPN,Surname,Forename,Date of Birth,Start Date,Planned End Date,Hours Per Week\n"+
				"8910004,B801200005001,Smith,Ann,01/02/2014,02/11/2026,18/12/2026,15\n"+
				"8910005,A801200005001,Jones,Bo,01/02/2014,02/11/2026,18/12/2026,15\n") // a wrong check letter
		today := e.Today
		e.Today = pme.MustDate("2026-11-05")
		res, err := e.Ingest(ctx, []string{trust})
		e.Today = today
		if err != nil || len(res.Files) != 1 || res.Files[0].Status != pme.FilePartial {
			t.Fatalf("ingest = %+v, %v; want the file partly accepted", res, err)
		}
		sum, err := e.Returns(ctx, "current", "")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]pme.ReturnStatus{}
		for _, s := range sum.Schools {
			got[s.LAESTAB] = s.Types["reduced-timetable"].Status
		}
		if got["8910004"] != pme.StatusReturned || got["8910005"] != pme.StatusRejectedOnly {
			t.Errorf("reduced-timetable: 8910004 %s, 8910005 %s; want returned and rejected-only", got["8910004"], got["8910005"])
		}
	})
}
