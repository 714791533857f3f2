package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"pme"
)

var letterOut = flag.String("letter-out", "", "also write the test letters' PDFs to this folder, to look at")

// The -update flag may be registered by the package's other golden tests too (package-level vars
// and earlier files' init run first); register it only when no one has.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

// letterUpdate reports whether -update was given.
func letterUpdate() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

var letterToday = pme.MustDate("2026-11-27")

func letterConfig() LetterConfig {
	return LetterConfig{
		Council: "Nottinghamshire County Council", Service: "Fair Access Team",
		Address:   []string{"County Hall", "West Bridgford", "Nottingham", "NG2 7QP"},
		Signatory: LetterSignatory{Name: "A. Practitioner", Role: "Pupils Missing Education Practitioner"},
	}
}

// Synthetic schools, pupils and plans: no real child or school.
func letterSchool(laestab, name string) *pme.School {
	return &pme.School{URN: "1" + laestab[2:], LAESTAB: laestab, Name: name, Status: "Open",
		Street: "1 Synthetic Lane", Town: "Mansfield", County: "Nottinghamshire", Postcode: "NG18 1AA",
		HeadTitle: "Ms", HeadFirstName: "Alison", HeadLastName: "Head"}
}

func letterPlan(upn, typ string) pme.Plan {
	return pme.Plan{ChildID: "C" + upn[1:6], UPN: upn, PlanType: typ, StartDate: pme.MustDate("2026-01-05"),
		SocialWorker: "Sam Worker", Team: "Children's Services North"}
}

func zoe() LetterCandidate {
	return LetterCandidate{
		Pupil: pme.Pupil{UPN: "A801200005001", Surname: "Łukasz-O'Brien", Forename: "Zoë",
			DOB: pme.MustDate("2013-03-14"), NCYear: "8"},
		Plan:    letterPlan("A801200005001", pme.PlanCP),
		LAESTAB: "8912345", School: letterSchool("8912345", "Oakfield Academy"),
		Contact: &pme.Contact{LAESTAB: "8912345", Chair: "Mr Brian Chair"},
		Timetable: &pme.Timetable{StartDate: pme.MustDate("2026-11-02"), PlannedEndDate: pme.MustDate("2026-12-18"),
			HoursPerWeek: 12.5, Reason: "SEMH", ParentalAgreement: "Y", ReviewDate: pme.MustDate("2026-12-04")},
	}
}

func siobhan() LetterCandidate {
	s := letterSchool("8912346", "St Ailís's Catholic Primary School")
	s.HeadTitle, s.HeadFirstName, s.HeadLastName, s.HeadJobTitle = "Dr", "Ciarán", "Ó Súilleabháin", "Executive Headteacher"
	return LetterCandidate{
		Pupil: pme.Pupil{UPN: "A801200005002", Surname: "Ní Bhriain", Forename: "Siobhán",
			DOB: pme.MustDate("2016-07-01"), NCYear: "5"},
		Plan:    letterPlan("A801200005002", pme.PlanCIN),
		LAESTAB: "8912346", School: s,
		Contact: &pme.Contact{LAESTAB: "8912346", Chair: "Mrs Jane Governor",
			CorrespondenceAddress: "St Ailís's Catholic Primary School\nChurch Street\nNewark\nNG24 1AA"},
		Placement: &pme.Placement{ProviderName: "The Acorn Centre Ltd", ProviderRegistered: "N",
			StartDate: pme.MustDate("2026-10-05"), HoursAtProvider: 10, HoursAtSchool: 5, Reason: "SEMH"},
		Provider: &pme.Provider{Name: "Acorn Centre", Registered: "N", ApprovedUntil: pme.MustDate("2027-08-31")},
	}
}

func ailis() LetterCandidate {
	return LetterCandidate{
		Pupil: pme.Pupil{UPN: "A801200005003", Surname: "Byrne", Forename: "Ailís",
			DOB: pme.MustDate("2012-02-29"), NCYear: "9"},
		Plan:    letterPlan("A801200005003", pme.PlanCP),
		LAESTAB: "8912347", School: letterSchool("8912347", "Riverside School"),
		Timetable: &pme.Timetable{StartDate: pme.MustDate("2026-09-07"), HoursPerWeek: 15, Reason: "MED"},
	}
}

func letterRun(cands ...LetterCandidate) LetterRun {
	return LetterRun{Today: letterToday, ReplyBy: pme.MustDate("2026-12-11"), Config: letterConfig(), Candidates: cands}
}

// render prints a planned letter with the built-in template and font.
func render(t *testing.T, l pme.Letter) []byte {
	t.Helper()
	tmpl, err := LoadLetterTemplate("")
	if err != nil {
		t.Fatalf("LoadLetterTemplate: %v", err)
	}
	pdf, err := RenderLetter(tmpl, l.Data, nil)
	if err != nil {
		t.Fatalf("RenderLetter: %v", err)
	}
	return pdf
}

// pdfText extracts a PDF's text with poppler's pdftotext, as a reader copying from the letter gets it.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed: CI must install poppler-utils (see .ci/run)")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	f := filepath.Join(t.TempDir(), "letter.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func saveLetter(t *testing.T, name string, pdf []byte) {
	t.Helper()
	if *letterOut == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(*letterOut, name+".pdf"), pdf, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLetterGolden(t *testing.T) {
	plan := PlanLetters(letterRun(zoe(), siobhan()))
	if len(plan.Due) != 2 {
		t.Fatalf("due = %d letters, want 2 (not produced: %+v)", len(plan.Due), plan.NotProduced)
	}
	for i, name := range []string{"reduced-timetable", "ap-placement"} {
		t.Run(name, func(t *testing.T) {
			pdf := render(t, plan.Due[i])
			saveLetter(t, name, pdf)
			got := pdfText(t, pdf)
			golden := filepath.Join("testdata", "letters", name+".txt")
			if letterUpdate() {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run go test ./reports -run TestLetterGolden -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("letter text differs from %s (rerun with -update if intended)\ngot:\n%s", golden, got)
			}
		})
	}
}

func TestLetterNamesWithAccentsPrint(t *testing.T) {
	plan := PlanLetters(letterRun(zoe(), siobhan()))
	var text string
	for _, l := range plan.Due {
		text += pdfText(t, render(t, l))
	}
	for _, want := range []string{"Zoë Łukasz-O'Brien", "Siobhán Ní Bhriain", "Dr Ciarán Ó Súilleabháin", "St Ailís's Catholic Primary School"} {
		if !strings.Contains(text, want) {
			t.Errorf("letter text lacks %q: a name was not printed as written", want)
		}
	}
}

// Children in England carry Vietnamese, Polish, Turkish, Greek and Cyrillic names: each prints in
// the built-in font and is found again, as written, in the PDF's text (issue 14).
func TestLetterNamesInManyScriptsPrint(t *testing.T) {
	for _, tc := range []struct{ language, forename, surname string }{
		{"Vietnamese", "Nguyễn Thị", "Phương"},
		{"Polish", "Zbigniew", "Źdźbło-Wróż"},
		{"Turkish", "Şükrü İlkay", "Gümüşoğlu"},
		{"Greek", "Γιώργος", "Παπαδόπουλος"},
		{"Cyrillic", "Ярослав", "Шевченко"},
	} {
		t.Run(tc.language, func(t *testing.T) {
			c := zoe()
			c.Pupil.Forename, c.Pupil.Surname = tc.forename, tc.surname
			plan := PlanLetters(letterRun(c))
			if len(plan.Due) != 1 {
				t.Fatalf("due = %d letters, want 1", len(plan.Due))
			}
			text := pdfText(t, render(t, plan.Due[0]))
			if want := tc.forename + " " + tc.surname; !strings.Contains(text, want) {
				t.Errorf("letter text lacks %q:\n%s", want, text)
			}
		})
	}
}

func TestLetterMissingGlyphRefused(t *testing.T) {
	for _, tc := range []struct {
		name, forename string
		char           rune
		font           string // the font the error names, if any
	}{
		{"Chinese", "李", '李', "Droid Sans Fallback"},
		{"Arabic, which fpdf cannot lay out", "محمد", 'م', "left to right"},
		{"Ethiopic", "ሰላም", 'ሰ', "Noto Sans Ethiopic"},
		{"beyond the BMP", "Zoë\U0001D49C", '\U0001D49C', ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := zoe()
			c.Pupil.Forename = tc.forename
			plan := PlanLetters(letterRun(c))
			tmpl, _ := LoadLetterTemplate("")
			_, err := RenderLetter(tmpl, plan.Due[0].Data, nil)
			var mg *MissingGlyphError
			if !errors.As(err, &mg) {
				t.Fatalf("RenderLetter error = %v, want a MissingGlyphError", err)
			}
			if mg.Char != tc.char || mg.Field != "Pupil.Name" {
				t.Errorf("missing glyph = %q in %s, want %q in Pupil.Name", mg.Char, mg.Field, tc.char)
			}
			if !strings.Contains(err.Error(), "pme letters again") || !strings.Contains(err.Error(), tc.font) {
				t.Errorf("error %q does not say what to do (%s)", err, tc.font)
			}
			if n := NotProducedFor(plan.Due[0], err); n.Reason != err.Error() || n.UPN != c.Pupil.UPN || n.Pupil != plan.Due[0].Data.Pupil.Name {
				t.Errorf("NotProducedFor = %+v", n)
			}
		})
	}
}

func TestLetterTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		reason    string
	}{
		{"unclosed action", "Dear {{.Salutation}}\n\n# Re: {{.Pupil.Name}\n", 3, `"{{" is not closed`},
		{"misspelt field", "Dear {{.Salutation}}\n\nAbout {{.Pupil.Nmae}}.\n", 3, ".Pupil.Nmae is not a letter field"},
		{"unknown function", "Dear {{.Salutation}}\n{{shout .Pupil.Name}}\n", 2, `function "shout" not defined`},
		{"field only in the AP branch", "Dear {{.Salutation}}\n{{if .Provision.Placement}}\n{{.Provision.Provder}}\n{{end}}\n", 3, ".Provision.Provder is not a letter field"},
		{"bold not closed", "Dear {{.Salutation}}\n\nPlease reply by **{{.ReplyBy}}.\n", 3, `"**"`},
		{"unclosed if", "Dear {{.Salutation}}\n{{if .CC}}cc: {{.CC}}\n", 3, "has no {{end}}"},
		{"empty", "{{/* nothing */}}\n", 0, "produces no text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLetterTemplate("my.tmpl", tc.src)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("ParseLetterTemplate error = %v, want a TemplateError", err)
			}
			if te.Line != tc.line || !strings.Contains(te.Reason, tc.reason) {
				t.Errorf("error = line %d %q, want line %d containing %q", te.Line, te.Reason, tc.line, tc.reason)
			}
			if tc.line > 0 && !strings.Contains(err.Error(), "my.tmpl, line ") {
				t.Errorf("message %q does not name the file and line", err)
			}
		})
	}
}

func TestLoadLetterTemplateFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "letter.tmpl")
	if err := os.WriteFile(good, []byte("Dear {{.Salutation}}\n\n**Reply by {{.ReplyBy}}**\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl, err := LoadLetterTemplate(good)
	if err != nil {
		t.Fatalf("LoadLetterTemplate: %v", err)
	}
	def, _ := LoadLetterTemplate("")
	if tmpl.Hash() == def.Hash() || len(tmpl.Hash()) != 64 {
		t.Errorf("hash = %q, want the SHA-256 of this template, not the built-in's", tmpl.Hash())
	}
	if _, err := LoadLetterTemplate(filepath.Join(dir, "missing.tmpl")); err == nil {
		t.Error("LoadLetterTemplate(missing file) = nil error")
	}
}

func TestLetterReproducible(t *testing.T) {
	plan := PlanLetters(letterRun(zoe()))
	l := plan.Due[0]
	tmpl, _ := LoadLetterTemplate("")
	first, err := MakeLetter(tmpl, nil, &l)
	if err != nil {
		t.Fatal(err)
	}
	again := render(t, plan.Due[0])
	if !bytes.Equal(first, again) {
		t.Fatal("two printings of the same letter differ")
	}
	// Through the ledger: the snapshot as JSON, read back, prints the same bytes.
	raw, err := json.Marshal(l.Data)
	if err != nil {
		t.Fatal(err)
	}
	var stored pme.LetterData
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	l.Data = stored
	reprint, err := ReprintLetter(l, nil)
	if err != nil {
		t.Fatalf("ReprintLetter: %v", err)
	}
	if !bytes.Equal(first, reprint) {
		t.Fatal("the reprint from the stored snapshot differs from the letter sent")
	}
	if !bytes.Contains(first, []byte("/CreationDate (D:20261127")) {
		t.Error("the PDF's creation date is not the letter's date")
	}

	tampered := l
	tampered.SHA256 = strings.Repeat("0", 64)
	if _, err := ReprintLetter(tampered, nil); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("ReprintLetter(wrong hash) error = %v, want the bytes reported as different", err)
	}
	// A letter printed with the Go fonts, the built-in font before DejaVu Sans, reprints with them.
	old := plan.Due[0]
	goPDF, err := MakeLetter(tmpl, goFonts(), &old)
	if err != nil {
		t.Fatal(err)
	}
	if reprint, err := ReprintLetter(old, nil); err != nil || !bytes.Equal(reprint, goPDF) {
		t.Errorf("ReprintLetter(printed in the Go fonts) = %v, same bytes %v", err, bytes.Equal(reprint, goPDF))
	}
	otherFont := l
	otherFont.FontHash = "another font"
	if _, err := ReprintLetter(otherFont, nil); err == nil || !strings.Contains(err.Error(), "letters.font") {
		t.Errorf("ReprintLetter(other font) error = %v, want it to name letters.font", err)
	}
}

func TestLetterPageNumbersOnlyOverOnePage(t *testing.T) {
	short := PlanLetters(letterRun(zoe())).Due[0]
	if text := pdfText(t, render(t, short)); strings.Contains(text, "Page 1") {
		t.Errorf("a one-page letter has a page number:\n%s", text)
	}
	long := "Dear {{.Salutation}}\n\n" + strings.Repeat("A paragraph about {{.Pupil.Forename}} that goes on and on, long enough to wrap over two lines of the letter and fill the page quickly with text.\n\n", 30) + "Yours sincerely\n\n{{.Signatory}}\n"
	tmpl, err := ParseLetterTemplate("long.tmpl", long)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := RenderLetter(tmpl, short.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	saveLetter(t, "long", pdf)
	text := pdfText(t, pdf)
	for _, want := range []string{"Page 1 of 2", "Page 2 of 2", "OFFICIAL-SENSITIVE"} {
		if !strings.Contains(text, want) {
			t.Errorf("two-page letter lacks %q", want)
		}
	}
}

func TestLetterDataIsNotMarkup(t *testing.T) {
	c := siobhan()
	c.Placement.ProviderName = "**Acorn** * Centre"
	l := PlanLetters(letterRun(c)).Due[0]
	if text := pdfText(t, render(t, l)); !strings.Contains(text, "**Acorn** * Centre") {
		t.Errorf("the provider's name was not printed as returned:\n%s", text)
	}
}

func TestLetterEpisodeKey(t *testing.T) {
	base := zoe()
	key := func(c LetterCandidate) string {
		ep, ok := candidateEpisode(c)
		if !ok {
			t.Fatal("no episode")
		}
		return ep.Key()
	}
	same := func(f func(c *LetterCandidate)) LetterCandidate {
		c := zoe()
		tt := *c.Timetable
		c.Timetable = &tt
		f(&c)
		return c
	}
	ap := siobhan()
	apWith := func(f func(p *pme.Placement)) LetterCandidate {
		c := siobhan()
		p := *c.Placement
		f(&p)
		c.Placement = &p
		return c
	}
	for _, tc := range []struct {
		name    string
		a, b    LetterCandidate
		changed bool
	}{
		{"rerun", base, zoe(), false},
		{"review date moved", base, same(func(c *LetterCandidate) { c.Timetable.ReviewDate = pme.MustDate("2026-12-11") }), false},
		{"parental agreement recorded", base, same(func(c *LetterCandidate) { c.Timetable.ParentalAgreement = "N" }), false},
		{"hours", base, same(func(c *LetterCandidate) { c.Timetable.HoursPerWeek = 15 }), true},
		{"planned end", base, same(func(c *LetterCandidate) { c.Timetable.PlannedEndDate = pme.MustDate("2027-01-29") }), true},
		{"planned end removed", base, same(func(c *LetterCandidate) { c.Timetable.PlannedEndDate = pme.Date{} }), true},
		{"start", base, same(func(c *LetterCandidate) { c.Timetable.StartDate = pme.MustDate("2026-11-09") }), true},
		{"school", base, same(func(c *LetterCandidate) { c.LAESTAB = "8912346" }), true},
		{"provider spelt differently", ap, apWith(func(p *pme.Placement) { p.ProviderName = "Acorn Centre" }), false},
		{"provider", ap, apWith(func(p *pme.Placement) { p.ProviderName = "Oak Tree Learning" }), true},
		{"hours at provider", ap, apWith(func(p *pme.Placement) { p.HoursAtProvider = 12 }), true},
		{"hours at school", ap, apWith(func(p *pme.Placement) { p.HoursAtSchool = 8 }), true},
		{"end date", ap, apWith(func(p *pme.Placement) { p.EndDate = pme.MustDate("2027-02-12") }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := key(tc.a) != key(tc.b); got != tc.changed {
				t.Errorf("key changed = %v, want %v", got, tc.changed)
			}
		})
	}
	if id := pme.LetterID(key(base)); len(id) != 15 || !strings.HasPrefix(id, "PME-") || id != pme.LetterID(key(zoe())) {
		t.Errorf("LetterID = %q, want a stable PME-XXXXX-XXXXX", id)
	}
}

func TestPlanLettersOnePerEpisode(t *testing.T) {
	tmpl, _ := LoadLetterTemplate("")
	run := letterRun(zoe(), siobhan())
	first := PlanLetters(run)
	if len(first.Due) != 2 || len(first.NotProduced) != 0 {
		t.Fatalf("first run: due %d, not produced %v; want 2 and none", len(first.Due), first.NotProduced)
	}
	for i := range first.Due {
		if _, err := MakeLetter(tmpl, nil, &first.Due[i]); err != nil {
			t.Fatal(err)
		}
		if got := first.Due[i].Trigger; !strings.HasPrefix(got, "new ") {
			t.Errorf("first letter trigger = %q, want new …", got)
		}
	}
	run.Issued = first.Due
	run.Today = letterToday.AddDays(3)
	rerun := PlanLetters(run)
	if len(rerun.Due) != 0 || rerun.AlreadySent != 2 {
		t.Errorf("rerun: due %d, already sent %d; want 0 and 2", len(rerun.Due), rerun.AlreadySent)
	}
	// The same provision twice in the input (two snapshots agreeing) is still one letter.
	run.Issued = nil
	if dup := PlanLetters(letterRun(zoe(), zoe())); len(dup.Due) != 1 {
		t.Errorf("duplicate candidates: due %d, want 1", len(dup.Due))
	}

	changed := zoe()
	tt := *changed.Timetable
	tt.HoursPerWeek = 15
	changed.Timetable = &tt
	run = letterRun(changed, siobhan())
	run.Issued = first.Due
	next := PlanLetters(run)
	if len(next.Due) != 1 {
		t.Fatalf("after hours changed: due %d, want 1", len(next.Due))
	}
	want := "reduced timetable changed since " + first.Due[0].ID + ": hours 12.5 → 15"
	if got := next.Due[0].Trigger; got != want {
		t.Errorf("trigger = %q, want %q", got, want)
	}
	if next.Due[0].ID == first.Due[0].ID {
		t.Error("the new episode's letter has the old letter's id")
	}
}

func TestPlanLettersMissingContacts(t *testing.T) {
	noHead := zoe()
	s := *noHead.School
	s.HeadLastName, s.Street, s.Town, s.Postcode = "", "", "", ""
	noHead.School = &s
	noHead.Contact = nil
	noSchool := siobhan()
	noSchool.School = nil
	for _, tc := range []struct {
		name string
		c    LetterCandidate
		want string
	}{
		{"no chair", ailis(), "no chair of governors in the contacts list for 8912347 — load contacts (pme load contacts FILE) and run pme letters again"},
		{"no head, chair or address", noHead, "no headteacher's name in the schools list for 8912345; no chair of governors in the contacts list for 8912345; no address for 8912345 (no correspondence address in the contacts list, and no street and postcode in the schools list) — load schools (pme load schools FILE) and contacts (pme load contacts FILE) and run pme letters again"},
		{"school not loaded", noSchool, "school 8912346 is not in the schools list — load schools (pme load schools FILE) and run pme letters again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := PlanLetters(letterRun(tc.c))
			if len(plan.Due) != 0 || len(plan.NotProduced) != 1 {
				t.Fatalf("due %d, not produced %d; want 0 and 1", len(plan.Due), len(plan.NotProduced))
			}
			if got := plan.NotProduced[0].Reason; got != tc.want {
				t.Errorf("reason = %q\nwant %q", got, tc.want)
			}
		})
	}

	// Once the contact is loaded, the next run makes the letter.
	later := ailis()
	later.Contact = &pme.Contact{LAESTAB: "8912347", Chair: "Cllr Pat Governor"}
	plan := PlanLetters(letterRun(later))
	if len(plan.Due) != 1 || len(plan.NotProduced) != 0 {
		t.Fatalf("after loading contacts: due %d, not produced %v", len(plan.Due), plan.NotProduced)
	}
	if got := plan.Due[0].Data.Salutation; got != "Ms Head and Cllr Governor" {
		t.Errorf("salutation = %q", got)
	}
}

func TestPlanLettersOnlyOpenCPOrCIN(t *testing.T) {
	lac := zoe()
	lac.Plan.PlanType = pme.PlanLAC
	ended := siobhan()
	ended.Plan.EndDate = letterToday
	if plan := PlanLetters(letterRun(lac, ended)); len(plan.Due)+len(plan.NotProduced) != 0 {
		t.Errorf("letters for a LAC plan or an ended plan: %+v", plan)
	}
}

func TestLetterReplyBy(t *testing.T) {
	closures := map[string]bool{"2026-12-01": true, "2026-12-02": true}
	cal := func(d pme.Date) bool {
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday && !closures[d.String()]
	}
	for _, tc := range []struct {
		name string
		from string
		n    int
		cal  func(pme.Date) bool
		want string
	}{
		{"ten weekdays from a Friday", "2026-11-27", 10, nil, "2026-12-11"},
		{"two closure days", "2026-11-27", 10, cal, "2026-12-15"},
		{"no school days known", "2026-11-27", 10, func(pme.Date) bool { return false }, "2026-12-11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ReplyBy(pme.MustDate(tc.from), tc.n, tc.cal); got.String() != tc.want {
				t.Errorf("ReplyBy = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestLetterConfigValidate(t *testing.T) {
	if err := letterConfig().Validate(); err != nil {
		t.Errorf("Validate(complete) = %v", err)
	}
	err := LetterConfig{ReplySchoolDays: 90}.Validate()
	for _, key := range []string{"letters.council", "letters.service", "letters.address", "letters.signatory.name", "letters.signatory.role", "letters.reply_school_days"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("Validate(empty) = %v, want it to name %s", err, key)
		}
	}
}

func TestLetterManifest(t *testing.T) {
	tmpl, _ := LoadLetterTemplate("")
	c := siobhan()
	c.Contact.Chair = "=HYPERLINK(\"http://x\")"
	plan := PlanLetters(letterRun(zoe(), c, ailis()))
	for i := range plan.Due {
		if _, err := MakeLetter(tmpl, nil, &plan.Due[i]); err != nil {
			t.Fatal(err)
		}
		plan.Due[i].File = LetterPath(plan.Due[i])
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "letters", "2026-11-27", "manifest.csv")
	if err := WriteManifest(path, ManifestRows(plan.Due, plan.NotProduced)); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("manifest mode = %v, want 0600", info.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	// The SHA-256 of each letter is fixed by the golden letters: mask it to keep this readable.
	text := string(got)
	for _, l := range plan.Due {
		text = strings.ReplaceAll(text, l.SHA256, "<sha256>")
	}
	golden := filepath.Join("testdata", "letters", "manifest.csv")
	if letterUpdate() {
		if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (rerun with -update): %v", err)
	}
	if text != string(want) {
		t.Errorf("manifest differs from %s:\n%s", golden, text)
	}
	if !strings.HasPrefix(text, "\uFEFF") || !strings.Contains(text, `'=HYPERLINK`) {
		t.Errorf("manifest lacks the BOM or the formula guard:\n%s", text)
	}
}

func TestLetterLoadFont(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	regular := write("Go-Regular.ttf", goregular.TTF)
	write("Go-Bold.ttf", gobold.TTF)
	f, err := LoadLetterFont(regular)
	if err != nil {
		t.Fatalf("LoadLetterFont: %v", err)
	}
	if f.Hash() != goFonts().Hash() {
		t.Error("the bold sibling Go-Bold.ttf was not used for bold text")
	}
	alone := write("Lonely.ttf", goregular.TTF)
	f, err = LoadLetterFont(alone)
	if err != nil {
		t.Fatalf("LoadLetterFont(no bold sibling): %v", err)
	}
	if f.Hash() == goFonts().Hash() {
		t.Error("a font with no bold sibling hashed as the Go fonts")
	}
	if _, err := LoadLetterFont(write("notes.ttf", []byte("not a font"))); err == nil {
		t.Error("LoadLetterFont(not a font) = nil error")
	}
}

// BenchmarkMakeLetter measures printing one letter (issue 7: 1,000 letters in under 10 s).
func BenchmarkMakeLetter(b *testing.B) {
	plan := PlanLetters(letterRun(zoe()))
	tmpl, _ := LoadLetterTemplate("")
	font := DefaultLetterFont()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l := plan.Due[0]
		if _, err := MakeLetter(tmpl, font, &l); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "letters/s")
}
