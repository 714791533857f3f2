package web

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pme/store/storetest"
)

var screenshots = flag.Bool("screenshots", false, "write screenshots of the main pages to docs/")

// browserPath finds Debian's chromium (installed by .ci/run). Under CI a missing browser fails the
// test; elsewhere it skips with a message.
func browserPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH: CI must run the browser tests (apt-get install chromium; see .ci/run)")
	}
	t.Skip("no chromium on PATH: install it (apt-get install chromium) to run the browser tests")
	return ""
}

// browser starts a headless Chromium for the test and returns its context.
func browser(t *testing.T) context.Context {
	path := browserPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the CI container runs as root
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("blink-settings", "scriptEnabled=false"), // the service works with JavaScript off
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 4*time.Minute) // generous: CI machines are shared
	t.Cleanup(cancel3)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestBrowserJourney drives a real headless Chromium through the spec's journey, on each backend.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser")
	}
	browserPath(t)
	for backend, url := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) {
			st := newSite(t, url, nil)
			ctx := browser(t)
			base := st.srv.URL
			shot := func(name string) chromedp.Action[chromedp.Void] {
				return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					if !*screenshots || backend != "sqlite" {
						return nil
					}
					png, err := chromedp.FullScreenshot(100)(ctx, tg)
					if err != nil {
						return err
					}
					return os.WriteFile(filepath.Join("..", "docs", "web-"+name+".png"), png, 0o644)
				})
			}
			text := func(sel string) string {
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("read %s: %v", sel, err)
				}
				return s
			}
			run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(ctx, actions...); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}

			// Sign in.
			run("sign in",
				chromedp.Navigate(base+"/cases"),
				chromedp.WaitVisible(chromedp.CSS("#email")),
				shot("sign-in"),
				chromedp.SendKeys(chromedp.CSS("#email"), "practitioner@example.gov.uk"),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
				chromedp.Submit(chromedp.CSS("#password")),
				chromedp.WaitVisible(chromedp.CSS("form.filters")),
			)
			run("home", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".cards")), shot("home"))

			// Filter the case list: the filter lands in the URL.
			run("filter",
				chromedp.Navigate(base+"/cases"),
				chromedp.WaitVisible(chromedp.CSS("#severity")),
				chromedp.SetValue(chromedp.CSS("#status"), "new"),
				chromedp.Submit(chromedp.CSS("#status")),
				chromedp.WaitVisible(chromedp.CSS("p.count")),
				shot("cases"),
			)
			loc, err := chromedp.Run(ctx, chromedp.Location())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(loc, "status=new") {
				t.Fatalf("filtered list at %s: the filter is not in the URL", loc)
			}
			if c := text("p.count"); !strings.Contains(c, "case") {
				t.Fatalf("count %q", c)
			}

			// Open a case.
			run("open a case",
				chromedp.Click(chromedp.CSS("table tbody th a")),
				chromedp.WaitVisible(chromedp.CSS("h1")),
				shot("case"),
			)
			if h := text("h1"); !strings.HasPrefix(h, "Case C-") {
				t.Fatalf("case page heading %q", h)
			}
			if w := text("main"); !strings.Contains(w, "Why it is flagged") {
				t.Fatalf("case page lacks the rules:\n%s", w)
			}

			// On a case with a letter: add an action and a note, mark it in hand, record the reply.
			run("casework",
				chromedp.Navigate(base+"/cases/"+st.letterCase),
				chromedp.WaitVisible(chromedp.CSS("#note-text")),
				chromedp.SendKeys(chromedp.CSS("#action-text"), "Ask the school for the review of the timetable"),
				chromedp.SendKeys(chromedp.CSS("#action-owner"), "Fair Access Team"),
				chromedp.SetValue(chromedp.CSS("#action-due"), "2026-12-04"),
				chromedp.Submit(chromedp.CSS("#action-text")),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
			)
			run("note",
				chromedp.SendKeys(chromedp.CSS("#note-text"), "Synthetic note: spoke to the SENCO"),
				chromedp.Submit(chromedp.CSS("#note-text")),
				chromedp.WaitVisible(chromedp.CSS("table.notes")),
			)
			run("in hand",
				chromedp.SetValue(chromedp.CSS("#review"), "2026-12-11"),
				chromedp.Submit(chromedp.CSS("#review")),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
			)
			run("reply",
				chromedp.SetValue(chromedp.CSS("input[name=received]"), "2026-11-27"),
				chromedp.SetValue(chromedp.CSS("select[name=assurance]"), "adequate"),
				chromedp.Submit(chromedp.CSS("select[name=assurance]")),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
				shot("case-casework"),
			)
			if m := text("main"); !strings.Contains(m, "in-hand") || !strings.Contains(m, "Synthetic note: spoke to the SENCO") ||
				!strings.Contains(m, "Ask the school for the review") || !strings.Contains(m, "adequate") {
				t.Fatalf("the case page lacks what was recorded:\n%s", m)
			}
			run("meeting", chromedp.Navigate(base+"/meeting?meeting=coos&date=2026-11-30"), chromedp.WaitVisible(chromedp.CSS("form.decision")), shot("meeting"))

			// Upload a return with a mistake and read the issue on the page.
			grid, err := st.env.ReturnsPage(context.Background(), "")
			if err != nil || grid.Sheet == nil || len(grid.Sheet.Rows) == 0 {
				t.Fatalf("no school in the Returns grid (%v)", err)
			}
			school := grid.Sheet.Rows[0].LAESTAB
			csv := filepath.Join(t.TempDir(), school+" reduced timetable.csv")
			os.WriteFile(csv, []byte("UPN,Surname,Forename,DOB,Year,Start Date,Planned End Date,Hours Per Week,Reason,Parental Agreement,Review Date\n"+
				"A891110220823,Brown,Sam,31/13/2011,11,02/11/2026,18/12/2026,12,Medical,Y,11/12/2026\n"), 0o600)
			run("upload",
				chromedp.Navigate(base+"/upload"),
				chromedp.WaitVisible(chromedp.CSS("#files")),
				chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{csv}),
				chromedp.Submit(chromedp.CSS("#files")),
				chromedp.WaitVisible(chromedp.CSS("table.issues")),
				shot("upload"),
			)
			if s := text("table.issues"); !strings.Contains(s, "31/13/2011") {
				t.Fatalf("the issue is not on the page:\n%s", s)
			}

			// The Returns grid, then the school's page: the file just sent and its feedback.
			run("returns",
				chromedp.Navigate(base+"/returns"),
				chromedp.WaitVisible(chromedp.CSS("table.grid")),
				shot("returns"),
				chromedp.Navigate(base+"/returns/"+school),
				chromedp.WaitVisible(chromedp.CSS("h1")),
				shot("returns-school"),
			)
			if m := text("main"); !strings.Contains(m, "Files received") || !strings.Contains(m, "reduced timetable.csv") || !strings.Contains(m, "Download feedback") {
				t.Fatalf("the school's returns page lacks the file and its feedback:\n%s", m)
			}

			// Record a reply from the Letters page: a refused form says why, then the reply is recorded.
			run("letters", chromedp.Navigate(base+"/letters"), chromedp.WaitVisible(chromedp.CSS("form.reply-form")), shot("letters"))
			attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("form.reply-form"), "action"))
			if err != nil {
				t.Fatal(err)
			}
			id := attr.Value
			run("reply without an assurance",
				chromedp.SetValue(chromedp.CSS("form.reply-form input[name=received]"), "2026-11-27"),
				chromedp.Submit(chromedp.CSS("form.reply-form input[name=received]")),
				chromedp.WaitVisible(chromedp.CSS(".error-summary")),
			)
			if e := text(".error-summary"); !strings.Contains(e, "Choose the assurance") {
				t.Fatalf("refused reply: %q", e)
			}
			run("reply from the letters page",
				chromedp.SetValue(chromedp.CSS(`form[action="`+id+`"] select[name=assurance]`), "partial"),
				chromedp.Submit(chromedp.CSS(`form[action="`+id+`"] select[name=assurance]`)),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
			)
			if m := text("main"); !strings.Contains(m, "Reply recorded.") || !strings.Contains(m, "partial, 27/11/2026") {
				t.Fatalf("the letters page lacks the reply:\n%s", m)
			}

			// Sign out: the next page asks to sign in.
			run("sign out",
				chromedp.Click(chromedp.CSS("form.sign-out button")),
				chromedp.WaitVisible(chromedp.CSS("#email")),
				chromedp.Navigate(base+"/cases"),
				chromedp.WaitVisible(chromedp.CSS("#email")),
			)

			// An expired session is sent to sign in.
			run("viewer signs in",
				chromedp.SendKeys(chromedp.CSS("#email"), "viewer@example.gov.uk"),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
				chromedp.Submit(chromedp.CSS("#password")),
				chromedp.WaitVisible(chromedp.CSS("form.filters")),
			)
			run("viewer opens the case", chromedp.Navigate(base+"/cases/"+st.letterCase), chromedp.WaitVisible(chromedp.CSS("h1")))
			if m := text("main"); strings.Contains(m, "Synthetic note") || strings.Contains(m, "review of the timetable") {
				t.Fatal("a viewer sees the note or the action's text")
			}
			st.clock.add(31 * time.Minute)
			run("expired",
				chromedp.Navigate(base+"/cases"),
				chromedp.WaitVisible(chromedp.CSS("#email")),
			)

			// An administrator adds a user on the Users page.
			run("admin adds a user",
				chromedp.Navigate(base+"/users"), // to sign in, then back here
				chromedp.WaitVisible(chromedp.CSS("#password")),
				chromedp.SendKeys(chromedp.CSS("#email"), "admin@example.gov.uk"),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
				chromedp.Submit(chromedp.CSS("#password")),
				chromedp.WaitVisible(chromedp.CSS("#add")),
				chromedp.SendKeys(chromedp.CSS("#email"), "bea@example.gov.uk"),
				chromedp.SendKeys(chromedp.CSS("#name"), "Bea Officer"),
				chromedp.SetValue(chromedp.CSS("#role"), "officer"),
				chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
				chromedp.SendKeys(chromedp.CSS("#password2"), testPassword),
				chromedp.Submit(chromedp.CSS("#password2")),
				chromedp.WaitVisible(chromedp.CSS(".notice")),
				shot("users"),
			)
			if m := text("main"); !strings.Contains(m, "bea@example.gov.uk") {
				t.Fatalf("the new user is not listed:\n%s", m)
			}
		})
	}
}
