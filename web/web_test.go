package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"pme"
	"pme/auth"
	"pme/config"
	"pme/fixtures"
	"pme/pipeline"
	"pme/store/storetest"
)

const testPassword = "a long enough password"

// clock is a settable clock for session timeouts.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// site is a running test server over a database with a synthetic LA ingested and flagged, and one
// user of each role (e-mail <role>@example.gov.uk).
type site struct {
	t          *testing.T
	srv        *httptest.Server
	env        *pipeline.Env
	clock      *clock
	caseID     string
	letter     string
	letterCase string // a case with a letter
}

var today = pme.MustDate("2026-11-27")

func cheapHashes(t testing.TB) {
	old := auth.Cost
	auth.Cost = auth.Params{Time: 1, Memory: 64, Threads: 1}
	t.Cleanup(func() { auth.Cost = old })
}

func newSite(t *testing.T, dbURL string, edit func(*config.Config)) *site {
	t.Helper()
	cheapHashes(t)
	ctx := context.Background()
	cfg := config.Default()
	cfg.Returns.LACodes = []string{"891"} // the fixtures' LA: the Returns page has a grid
	if edit != nil {
		edit(&cfg)
	}
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	e := &pipeline.Env{Store: storetest.Open(t, dbURL), Config: cfg, DataDir: t.TempDir(), Today: today, Now: c.now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fx, err := fixtures.Generate(t.TempDir(), fixtures.Options{Pupils: 40, Schools: 4, Seed: 3, Today: today, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	for kind, path := range fx.Reference {
		if _, err := e.Load(ctx, kind, path); err != nil {
			t.Fatalf("load %s: %v", kind, err)
		}
	}
	if _, err := e.Ingest(ctx, fx.Returns); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Flag(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Letters(ctx); err != nil {
		t.Fatal(err)
	}
	for _, role := range pme.Roles {
		if _, err := e.AddUser(ctx, role+"@example.gov.uk", "Test "+role, role, testPassword); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(e, Options{Today: func() pme.Date { return today }})
	if err != nil {
		t.Fatal(err)
	}
	st := &site{t: t, srv: httptest.NewServer(s.Handler()), env: e, clock: c}
	t.Cleanup(st.srv.Close)
	open, err := e.OpenCases(ctx)
	if err != nil || len(open.Cases) == 0 {
		t.Fatalf("no open cases to test with (%v)", err)
	}
	st.caseID = open.Cases[0].CaseID
	ls, err := e.LetterList(ctx)
	if err != nil || len(ls) == 0 {
		t.Fatalf("no letters to test with (%v)", err)
	}
	st.letter = ls[0].ID
	for _, c := range open.Cases {
		if c.LetterDue {
			if v, err := e.ShowCase(ctx, "test", c.CaseID); err == nil && len(v.Letters) > 0 {
				st.letterCase = c.CaseID
				break
			}
		}
	}
	if st.letterCase == "" {
		t.Fatal("no case with a letter to test with")
	}
	return st
}

// client is a browser: a cookie jar, no automatic redirects.
func (st *site) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signIn returns a client signed in as the role's user.
func (st *site) signIn(role string) *http.Client {
	st.t.Helper()
	c := st.client()
	res := st.post(c, "/sign-in", url.Values{"email": {role + "@example.gov.uk"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		st.t.Fatalf("sign in as %s: status %d", role, res.StatusCode)
	}
	return c
}

func (st *site) get(c *http.Client, path string) (*http.Response, string) {
	st.t.Helper()
	res, err := c.Get(st.srv.URL + path)
	if err != nil {
		st.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// send posts a body the way a browser on this site does (same-origin) and reads the answer: the one
// helper every form and upload in these tests goes through.
func (st *site) send(c *http.Client, path, contentType string, body io.Reader) (*http.Response, string) {
	st.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, st.srv.URL+path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := c.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// post sends a form and returns the response (its headers: Location, cookies).
func (st *site) post(c *http.Client, path string, form url.Values) *http.Response {
	st.t.Helper()
	res, _ := st.send(c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return res
}

// postBody sends a form and returns the status and the page.
func (st *site) postBody(c *http.Client, path string, form url.Values) (int, string) {
	st.t.Helper()
	res, body := st.send(c, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return res.StatusCode, body
}

func each(t *testing.T, fn func(t *testing.T, st *site)) {
	for backend, url := range storetest.Backends(t) {
		t.Run(backend, func(t *testing.T) { fn(t, newSite(t, url, nil)) })
	}
}

// TestPagesByRole asks for every page as every role: what a role may not see is 404, never 403,
// and every page carries the security headers.
func TestPagesByRole(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		pages := []struct {
			path string
			want map[string]int // role → status; missing roles get 200
		}{
			{"/", nil},
			{"/cases", map[string]int{"admin": 404}},
			{"/cases?status=new&severity=critical&sort=school", map[string]int{"admin": 404}},
			{"/cases?handling=unreviewed&overdue=yes&owner=x&page=9", map[string]int{"admin": 404}},
			{"/cases/" + st.caseID, map[string]int{"admin": 404}},
			{"/cases/C-NOSUCH", map[string]int{"viewer": 404, "officer": 404, "practitioner": 404, "admin": 404}},
			{"/letters", map[string]int{"admin": 404}},
			{"/letters/" + st.letter + "/pdf", map[string]int{"admin": 404}},
			{"/letters/PME-XXXXX-XXXXX/pdf", map[string]int{"viewer": 404, "officer": 404, "practitioner": 404, "admin": 404}},
			{"/runs", map[string]int{"admin": 404}},
			{"/returns", map[string]int{"admin": 404}},
			{"/returns?status=missing", map[string]int{"admin": 404}},
			{"/returns/9999999", map[string]int{"viewer": 404, "officer": 404, "practitioner": 404, "admin": 404}},
			{"/upload", map[string]int{"viewer": 404, "admin": 404}},
			{"/audit", map[string]int{"viewer": 404, "officer": 404}},
			{"/audit?case=" + st.caseID, map[string]int{"viewer": 404, "officer": 404}},
			{"/audit?mine=cases", map[string]int{"viewer": 404, "officer": 404}},
			{"/meeting", map[string]int{"viewer": 404, "officer": 404, "admin": 404}},
			{"/meeting?meeting=vcec&date=2026-12-01", map[string]int{"viewer": 404, "officer": 404, "admin": 404}},
			{"/child", map[string]int{"viewer": 404, "officer": 404, "admin": 404}},
			{"/users", map[string]int{"viewer": 404, "officer": 404, "practitioner": 404}},
			{"/no-such-page", map[string]int{"viewer": 404, "officer": 404, "practitioner": 404, "admin": 404}},
		}
		for _, role := range pme.Roles {
			c := st.signIn(role)
			for _, p := range pages {
				want := http.StatusOK
				if w, ok := p.want[role]; ok {
					want = w
				}
				res, body := st.get(c, p.path)
				if res.StatusCode != want {
					t.Errorf("%s GET %s: status %d, want %d", role, p.path, res.StatusCode, want)
				}
				checkHeaders(t, role+" "+p.path, res)
				if res.StatusCode == 200 && strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
					if role != "admin" && !strings.Contains(body, "Data as at the run of") && !strings.HasPrefix(p.path, "/audit") {
						t.Errorf("%s GET %s: the page does not say the run date its data is as at", role, p.path)
					}
				}
				if role == "admin" && strings.Contains(body, "UPN") {
					t.Errorf("admin GET %s shows a child's record", p.path)
				}
			}
		}
	})
}

func checkHeaders(t *testing.T, what string, res *http.Response) {
	t.Helper()
	h := res.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("%s: nosniff %q, referrer %q", what, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Cache-Control %q, want no-store", what, h.Get("Cache-Control"))
	}
}

// TestSignedOutGoesToSignIn: without a session every page but sign-in redirects there (303).
func TestSignedOutGoesToSignIn(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.client()
		for _, p := range []string{"/", "/cases", "/cases/" + st.caseID, "/letters/" + st.letter + "/pdf", "/upload", "/audit", "/no-such-page"} {
			res, _ := st.get(c, p)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/sign-in") {
				t.Errorf("signed out GET %s: %d to %q, want 303 to /sign-in", p, res.StatusCode, res.Header.Get("Location"))
			}
		}
		if res := st.post(c, "/upload", url.Values{}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("signed out POST /upload: %d, want 303", res.StatusCode)
		}
		res, body := st.get(c, "/sign-in")
		if res.StatusCode != 200 || !strings.Contains(body, `<label for="password">`) {
			t.Errorf("sign-in page: %d", res.StatusCode)
		}
	})
}

// TestCrossSitePostRefused: a POST from another site is refused with 403 on any path, before
// sign-in or anything else happens.
func TestCrossSitePostRefused(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.signIn("practitioner")
		for _, p := range []string{"/sign-in", "/sign-out", "/upload", "/cases/" + st.caseID + "/note", "/anything"} {
			for _, hdr := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
				req, _ := http.NewRequest(http.MethodPost, st.srv.URL+p, strings.NewReader("email=practitioner%40example.gov.uk&password=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				for k, v := range hdr {
					req.Header.Set(k, v)
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("cross-site POST %s (%v): %d, want 403", p, hdr, res.StatusCode)
				}
			}
		}
		// Still signed in: the refused sign-out did nothing.
		if res, _ := st.get(c, "/cases"); res.StatusCode != 200 {
			t.Errorf("after a refused cross-site sign-out: %d", res.StatusCode)
		}
	})
}

// TestSessionCookieAndTimeouts: the cookie's flags; a new token at sign-in; the idle timeout and
// signing out each send the browser back to sign in.
func TestSessionCookieAndTimeouts(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.client()
		res := st.post(c, "/sign-in", url.Values{"email": {"viewer@example.gov.uk"}, "password": {testPassword}})
		var ck *http.Cookie
		for _, k := range res.Cookies() {
			ck = k
		}
		if ck == nil || ck.Name != "pme_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || len(ck.Value) != 43 {
			t.Fatalf("session cookie %+v", ck)
		}
		res = st.post(c, "/sign-in", url.Values{"email": {"viewer@example.gov.uk"}, "password": {testPassword}})
		if k := res.Cookies(); len(k) == 0 || k[0].Value == ck.Value {
			t.Fatal("signing in again kept the same token")
		}
		// The old token was ended at the new sign-in.
		old := st.client()
		old.Jar.SetCookies(mustURL(st.srv.URL), []*http.Cookie{ck})
		if res, _ := st.get(old, "/cases"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("the token from before sign-in still works: %d", res.StatusCode)
		}

		st.clock.add(29 * time.Minute)
		if res, _ := st.get(c, "/cases"); res.StatusCode != 200 {
			t.Fatalf("after 29 idle minutes: %d", res.StatusCode)
		}
		st.clock.add(31 * time.Minute)
		if res, _ := st.get(c, "/cases"); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("after 31 idle minutes: %d, want 303 to sign in", res.StatusCode)
		}

		c = st.signIn("viewer")
		saved := c.Jar.Cookies(mustURL(st.srv.URL))
		if res := st.post(c, "/sign-out", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign out: %d", res.StatusCode)
		}
		replay := st.client()
		replay.Jar.SetCookies(mustURL(st.srv.URL), saved)
		if res, _ := st.get(replay, "/cases"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a signed-out token replayed: %d, want 303", res.StatusCode)
		}
	})
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

// TestSecureCookieBehindHTTPS: with an https base_url the cookie is Secure with the __Host- prefix.
func TestSecureCookieBehindHTTPS(t *testing.T) {
	st := newSite(t, storetest.Backends(t)["sqlite"], func(c *config.Config) { c.Web.BaseURL = "https://pme.example.gov.uk" })
	res := st.post(st.client(), "/sign-in", url.Values{"email": {"viewer@example.gov.uk"}, "password": {testPassword}})
	k := res.Cookies()
	if len(k) != 1 || k[0].Name != "__Host-pme_session" || !k[0].Secure || k[0].Path != "/" || k[0].Domain != "" {
		t.Fatalf("cookies %+v, want one Secure __Host-pme_session on /", k)
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no Strict-Transport-Security over HTTPS")
	}
}

// TestLockout: the sixth sign-in after five wrong passwords is refused even with the right one;
// unknown user and wrong password read the same.
func TestLockout(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		signIn := func(email, pw string) (int, string) {
			req, _ := http.NewRequest(http.MethodPost, st.srv.URL+"/sign-in", strings.NewReader(url.Values{"email": {email}, "password": {pw}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := st.client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		_, unknown := signIn("nobody@example.gov.uk", "wrong password!!")
		for i := 1; i <= 5; i++ {
			st.clock.add(2 * time.Second)
			code, body := signIn("officer@example.gov.uk", "wrong password!!")
			if code != http.StatusUnauthorized {
				t.Fatalf("wrong password %d: %d", i, code)
			}
			if i == 1 && errorsOf(body) != errorsOf(unknown) {
				t.Errorf("unknown user and wrong password read differently:\n%s\n%s", errorsOf(unknown), errorsOf(body))
			}
		}
		code, body := signIn("officer@example.gov.uk", testPassword)
		if code != http.StatusUnauthorized || !strings.Contains(body, "locked") {
			t.Fatalf("sixth attempt with the right password: %d, want refused as locked", code)
		}
		if strings.Contains(body, testPassword) {
			t.Error("the password was echoed")
		}
		st.clock.add(15*time.Minute + time.Second)
		if code, _ := signIn("officer@example.gov.uk", testPassword); code != http.StatusSeeOther {
			t.Fatalf("after 15 minutes: %d", code)
		}
	})
}

func errorsOf(page string) string {
	i := strings.Index(page, `<div class="error-summary"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], "</ul>")
	if j < 0 {
		return page[i:]
	}
	return page[i : i+j]
}

func mainOf(page string) string {
	i, j := strings.Index(page, "<main"), strings.Index(page, "</main>")
	if i < 0 || j < i {
		return page
	}
	return page[i:j]
}

// TestUploadShowsIssuesInSchoolTerms uploads a return with a mistake under a hostile name: the
// page shows the issue, the feedback downloads, the file lands in the archive under a safe name.
func TestUploadShowsIssuesInSchoolTerms(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.signIn("officer")
		csv := "UPN,Surname,Forename,DOB,Year,Start Date,Planned End Date,Hours Per Week,Reason,Parental Agreement,Review Date\n" +
			"A891110220822,Adeyemi,Oluwaseun,31/07/2011,11,02/11/2026,18/12/2026,12,Medical,Y,11/12/2026\n" +
			"A891110220823,Brown,Sam,31/13/2011,11,02/11/2026,18/12/2026,12,Medical,Y,11/12/2026\n"
		code, body := st.upload(c, `..\..\8911102 reduced timetable<script>.csv`, []byte(csv))
		if code != 200 {
			t.Fatalf("upload: %d\n%s", code, mainOf(body))
		}
		for _, want := range []string{"reduced timetable_script_.csv", "partial", "Issues for the school to fix", "31/13/2011", "/feedback"} {
			if !strings.Contains(body, want) {
				t.Errorf("upload page lacks %q:\n%s", want, mainOf(body))
			}
		}
		if strings.Contains(body, "<script>") {
			t.Error("the file name was not escaped")
		}
		i := strings.Index(body, "/returns/")
		link := body[i : i+strings.Index(body[i:], `"`)]
		res, wb := st.get(c, link)
		if res.StatusCode != 200 || !strings.HasPrefix(wb, "PK") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("feedback download %s: %d %q", link, res.StatusCode, res.Header.Get("Content-Disposition"))
		}
		if res, _ := st.get(st.signIn("viewer"), link); res.StatusCode != 404 {
			t.Errorf("viewer feedback download: %d, want 404", res.StatusCode)
		}
		entries, _ := os.ReadDir(st.env.Path(pipeline.InboxDir))
		if len(entries) != 0 {
			t.Errorf("inbox not emptied: %v", entries)
		}
		// Over the size limit: refused, nothing ingested.
		st.env.Config.Limits.MaxFileMB = 1
		big := bytes.Repeat([]byte("x"), 2<<20)
		if code, body := st.upload(c, "big.csv", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 1 MB") {
			t.Errorf("oversized upload: %d\n%s", code, mainOf(body))
		}
		if code, _ := st.upload(st.signIn("viewer"), "x.csv", []byte(csv)); code != 404 {
			t.Errorf("viewer upload: %d, want 404", code)
		}
	})
}

func (st *site) upload(c *http.Client, name string, content []byte) (int, string) {
	st.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("files", name)
	fw.Write(content)
	mw.Close()
	res, body := st.send(c, "/upload", mw.FormDataContentType(), &buf)
	return res.StatusCode, body
}

// TestClosedDatabaseGivesAClearPage: a lost database answers a plain error page, not a stack trace.
func TestClosedDatabaseGivesAClearPage(t *testing.T) {
	st := newSite(t, storetest.Backends(t)["sqlite"], nil)
	c := st.signIn("viewer")
	st.env.Store.Close()
	res, body := st.get(c, "/cases")
	if res.StatusCode != 500 || !strings.Contains(body, "try again in a minute") || strings.Contains(body, "sql") {
		t.Fatalf("closed database: %d\n%s", res.StatusCode, mainOf(body))
	}
}

func TestCheckListen(t *testing.T) {
	tests := []struct {
		w  config.Web
		ok bool
	}{
		{config.Web{Addr: "127.0.0.1:8080"}, true},
		{config.Web{Addr: "[::1]:8080"}, true},
		{config.Web{Addr: "localhost:8080"}, true},
		{config.Web{Addr: "0.0.0.0:8080"}, false},
		{config.Web{Addr: ":8080"}, false},
		{config.Web{Addr: "0.0.0.0:8080", BaseURL: "https://pme.example.gov.uk"}, true},
		{config.Web{Addr: "0.0.0.0:8443", TLSCert: "c", TLSKey: "k"}, true},
	}
	for _, tc := range tests {
		if err := CheckListen(tc.w); (err == nil) != tc.ok {
			t.Errorf("CheckListen(%+v) = %v, want ok %v", tc.w, err, tc.ok)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/cases?x=1": "/cases?x=1", "//evil.example": "/", "https://evil.example": "/", "/\\evil": "/", "": "/"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
