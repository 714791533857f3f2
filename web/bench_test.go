package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pme"
	"pme/config"
	"pme/pipeline"
	"pme/store/storetest"
)

// benchSite is a server over a database holding n open cases (synthetic, written as a flag run
// would), with one practitioner signed-in user.
func benchSite(t testing.TB, dbURL string, n int) (*httptest.Server, []string) {
	t.Helper()
	cheapHashes(t)
	ctx := context.Background()
	e := &pipeline.Env{Store: storetest.Open(t, dbURL), Config: config.Default(), DataDir: t.TempDir(),
		Today: today, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sev := []string{pme.SeverityCritical, pme.SeverityHigh, pme.SeverityMedium, pme.SeverityLow}
	st := []string{pme.CaseNew, pme.CaseOpen, pme.CaseChanged}
	cases := make([]pme.Case, n)
	ids := make([]string, n)
	for i := range cases {
		ids[i] = fmt.Sprintf("C-%08X", i*2654435761%(1<<32))
		rule := ruleIDs[i%len(ruleIDs)]
		cases[i] = pme.Case{ID: ids[i], PupilID: int64(i + 1), UPN: fmt.Sprintf("A8911%07dZ", i), Status: st[i%3],
			Severity: sev[i%4], LAESTAB: fmt.Sprintf("891%04d", i%300), Fingerprint: "f", FirstFlagged: today, LastChanged: today,
			Rules:    []string{rule},
			Findings: []pme.Finding{{Rule: rule, Severity: sev[i%4], Explanation: "on a reduced timetable for 45 school days since 29/09/2026, over the 30-day limit"}}}
	}
	if err := e.Store.SaveCases(ctx, cases, nil, today); err != nil {
		t.Fatal(err)
	}
	if _, err := e.AddUser(ctx, "practitioner@example.gov.uk", "P", pme.RolePractitioner, testPassword); err != nil {
		t.Fatal(err)
	}
	s, err := New(e, Options{Today: func() pme.Date { return today }})
	if err != nil {
		t.Fatal(err)
	}
	return httptest.NewServer(s.Handler()), ids
}

// TestWebBench is `make bench`'s web part (PME_WEB_BENCH=1): the case list over 10,000 open cases,
// and 20 signed-in clients for 30 s on the case list and case pages, against 127.0.0.1 only.
func TestWebBench(t *testing.T) {
	if os.Getenv("PME_WEB_BENCH") == "" {
		t.Skip("set PME_WEB_BENCH=1 (make bench)")
	}
	backends := storetest.Backends(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		dbURL, ok := backends[backend]
		if !ok {
			continue
		}
		srv, ids := benchSite(t, dbURL, 10_000)
		c := signedIn(t, srv.URL)
		// The case list, first page in the default order: the median of 20.
		var took []time.Duration
		for i := 0; i < 21; i++ {
			start := time.Now()
			res, err := c.Get(srv.URL + "/cases")
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("GET /cases: %v %v", err, res)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if i > 0 { // the first warms the caches
				took = append(took, time.Since(start))
			}
		}
		slices.Sort(took)
		fmt.Printf("web-bench %s case-list-10000 median_ms=%.1f max_ms=%.1f\n", backend, ms(took[len(took)/2]), ms(took[len(took)-1]))

		// 20 clients, 30 s, each signed in, alternating the case list (a page in 1..200) and a case.
		const clients = 20
		dur := 30 * time.Second
		if d, err := time.ParseDuration(os.Getenv("PME_WEB_BENCH_DURATION")); err == nil {
			dur = d
		}
		var mu sync.Mutex
		var all []time.Duration
		errs := 0
		var wg sync.WaitGroup
		stop := time.Now().Add(dur)
		for w := 0; w < clients; w++ {
			cl := signedIn(t, srv.URL)
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; time.Now().Before(stop); i++ {
					path := fmt.Sprintf("/cases?page=%d", (w*31+i)%200+1)
					if i%2 == 1 {
						path = "/cases/" + ids[(w*7919+i*104729)%len(ids)]
					}
					start := time.Now()
					res, err := cl.Get(srv.URL + path)
					d := time.Since(start)
					ok := err == nil && res.StatusCode == 200
					if err == nil {
						io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
					mu.Lock()
					all = append(all, d)
					if !ok {
						errs++
					}
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
		slices.Sort(all)
		p95 := all[len(all)*95/100]
		fmt.Printf("web-bench %s load clients=%d seconds=%.0f requests=%d rps=%.0f p50_ms=%.1f p95_ms=%.1f errors=%d\n",
			backend, clients, dur.Seconds(), len(all), float64(len(all))/dur.Seconds(), ms(all[len(all)/2]), ms(p95), errs)
		srv.Close()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func signedIn(t testing.TB, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodPost, base+"/sign-in", strings.NewReader(url.Values{"email": {"practitioner@example.gov.uk"}, "password": {testPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", err, res)
	}
	res.Body.Close()
	return c
}
