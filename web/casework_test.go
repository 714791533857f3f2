package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pme"
	"pme/store/storetest"
)

// form reads the hidden fields of the form posting to action on a page, as a browser would send
// them.
func formFields(t *testing.T, page, action string) url.Values {
	t.Helper()
	i := strings.Index(page, `action="`+action+`"`)
	if i < 0 {
		t.Fatalf("no form posting to %s on the page", action)
	}
	end := strings.Index(page[i:], "</form>")
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(page[i:i+end], -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// TestCaseworkForms: a note and an action recorded from the case page; an empty note refused
// with a message; the same form sent twice does one action; a form made before the case changed
// is refused and says so; a viewer sees neither the note nor the action's text.
func TestCaseworkForms(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.signIn("practitioner")
		casePath := "/cases/" + st.caseID
		_, page := st.get(c, casePath)
		note := formFields(t, page, casePath+"/note")
		note.Set("text", "Spoke to the SENCO: a synthetic note")
		if code, _ := st.postBody(c, casePath+"/note", note); code != http.StatusSeeOther {
			t.Fatalf("add note: %d", code)
		}
		// The same form again (a double click): nothing more is recorded.
		code, _ := st.postBody(c, casePath+"/note", note)
		if code != http.StatusSeeOther {
			t.Fatalf("second send: %d", code)
		}
		_, page = st.get(c, casePath+"?done=already")
		if n := strings.Count(page, "Spoke to the SENCO"); n != 1 {
			t.Fatalf("the note shows %d times after a double send, want 1", n)
		}
		if !strings.Contains(page, "sent already") {
			t.Error("the double send is not explained")
		}

		// A form from before that change is stale: refused, and the typed text kept.
		stale := formFields(t, page, casePath+"/note")
		stale.Set("version", "0000")
		stale.Set("text", "a stale synthetic note")
		code, body := st.postBody(c, casePath+"/note", stale)
		if code != http.StatusConflict || !strings.Contains(body, "changed since you opened the page") {
			t.Fatalf("stale form: %d", code)
		}

		// Validation: an empty note, and an action without an owner. Each refusal shows the page
		// again with fresh forms, as the browser then has it.
		empty := formFields(t, body, casePath+"/note")
		code, body = st.postBody(c, casePath+"/note", empty)
		if code != http.StatusBadRequest || !strings.Contains(body, "the note is empty") {
			t.Errorf("empty note: %d %s", code, errorsOf(body))
		}
		act := formFields(t, body, casePath+"/action")
		act.Set("text", "Ask the school for the timetable review")
		act.Set("due", "2026-12-04")
		code, body = st.postBody(c, casePath+"/action", act)
		if code != http.StatusBadRequest || !strings.Contains(body, "owner") {
			t.Errorf("action without owner: %d %s", code, errorsOf(body))
		}
		act = formFields(t, body, casePath+"/action")
		act.Set("text", "Ask the school for the timetable review")
		act.Set("owner", "Fair Access Team")
		act.Set("due", "04/12/2026")
		if code, body := st.postBody(c, casePath+"/action", act); code != http.StatusSeeOther {
			t.Fatalf("add action: %d %s", code, errorsOf(body))
		}
		_, page = st.get(c, casePath)
		hand := formFields(t, page, casePath+"/handling")
		hand.Set("review", "2026-12-11")
		if code, body := st.postBody(c, casePath+"/handling", hand); code != http.StatusSeeOther {
			t.Fatalf("in hand: %d %s", code, errorsOf(body))
		}
		// The list filters by handling.
		_, list := st.get(c, "/cases?handling=in-hand")
		if !strings.Contains(list, st.caseID) || !strings.Contains(list, "1 case.") {
			t.Errorf("in-hand filter:\n%s", mainOf(list))
		}
		if _, list := st.get(c, "/cases?handling=unreviewed"); strings.Contains(list, st.caseID) {
			t.Error("an in-hand case is listed as unreviewed")
		}
		_, page = st.get(c, casePath)
		if !strings.Contains(page, "in-hand") || !strings.Contains(page, "Ask the school for the timetable review") {
			t.Errorf("case page after the forms lacks the handling or the action:\n%s", mainOf(page))
		}

		// A viewer and an officer see the case but no note and no action text.
		for _, role := range []string{"viewer", "officer"} {
			res, vpage := st.get(st.signIn(role), casePath)
			if res.StatusCode != 200 || strings.Contains(vpage, "Spoke to the SENCO") || strings.Contains(vpage, "timetable review") {
				t.Errorf("%s sees a note or an action's text (%d)", role, res.StatusCode)
			}
			if code, _ := st.postBody(st.signIn(role), casePath+"/note", note); code != 404 {
				t.Errorf("%s POST note: %d, want 404", role, code)
			}
		}

		// The views and writes are audited under the signed-in person.
		entries, err := st.env.AuditLog(context.Background(), pme.AuditFilter{CaseID: st.caseID})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			seen[e.Person+" "+e.Action] = true
		}
		for _, want := range []string{"practitioner@example.gov.uk case.note", "practitioner@example.gov.uk case.view", "viewer@example.gov.uk case.view"} {
			if !seen[want] {
				t.Errorf("audit lacks %q: %v", want, seen)
			}
		}
	})
}

// TestMeetingAndChild: the COOS agenda with a decision form per case; a decision recorded from it;
// the workbook downloads; the child search is a POST and shows the history.
func TestMeetingAndChild(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.signIn("practitioner")
		res, page := st.get(c, "/meeting?meeting=coos&date=2026-11-30")
		if res.StatusCode != 200 || !strings.Contains(page, "New cases") {
			t.Fatalf("meeting page: %d\n%s", res.StatusCode, mainOf(page))
		}
		action := regexp.MustCompile(`action="(/cases/C-[0-9A-F]+/decision)"`).FindStringSubmatch(page)
		if action == nil {
			t.Fatal("no decision form on the agenda")
		}
		f := formFields(t, page, action[1])
		f.Set("decision", "in-hand")
		f.Set("due", "2026-12-14")
		req, _ := http.NewRequest(http.MethodPost, st.srv.URL+action[1], strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/meeting?") {
			t.Fatalf("decision: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
		code, wb := st.postBody(c, "/meeting/workbook", url.Values{"meeting": {"coos"}, "date": {"2026-11-30"}})
		if code != 200 || !strings.HasPrefix(wb, "PK") {
			t.Fatalf("workbook: %d", code)
		}
		open, _ := st.env.OpenCases(context.Background())
		upn := open.Cases[0].UPN
		code, body := st.postBody(c, "/child", url.Values{"upn": {upn}})
		if code != 200 || !strings.Contains(body, upn) {
			t.Fatalf("child search: %d\n%s", code, mainOf(body))
		}
		if code, _ := st.postBody(c, "/child", url.Values{"upn": {"A000000000000"}}); code != 404 {
			t.Errorf("unknown child: %d, want 404", code)
		}
	})
}

// TestCasePageShowsTheChild: the child's date of birth, year group, SEN, plan and social worker
// (web.md) on the Case page, for every role that sees cases.
func TestCasePageShowsTheChild(t *testing.T) {
	st := newSite(t, storetest.Backends(t)["sqlite"], nil)
	v, err := st.env.ShowCase(context.Background(), "test", st.letterCase)
	if err != nil {
		t.Fatal(err)
	}
	if v.DOB.IsZero() || v.Plan == nil || v.Plan.SocialWorker == "" {
		t.Fatalf("case view = DOB %v, plan %+v; want the child's DOB and the open plan's social worker", v.DOB, v.Plan)
	}
	for _, role := range []string{"viewer", "officer", "practitioner"} {
		_, page := st.get(st.signIn(role), "/cases/"+st.letterCase)
		for _, want := range []string{"<dt>Date of birth</dt><dd>" + v.DOB.UK() + "</dd>", "<dt>Year group</dt>", "<dt>SEN</dt>",
			"<dt>Plan</dt><dd>" + v.Plan.Type + "</dd>", html.EscapeString(v.Plan.SocialWorker)} {
			if !strings.Contains(page, want) {
				t.Errorf("%s case page lacks %q", role, want)
			}
		}
		// The child's whole history (pme child) is a POST from the page, for practitioners.
		if history := strings.Contains(page, `<form method="post" action="/child"`); history != (role == "practitioner") {
			t.Errorf("%s case page offers the child's history: %v", role, history)
		}
	}
}

// TestAuditOfMyCases: a practitioner's audit of the cases assigned to them shows what anyone did
// to them (web.md); before any is assigned it says so.
func TestAuditOfMyCases(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		c := st.signIn("practitioner")
		if _, page := st.get(c, "/audit?mine=cases"); !strings.Contains(page, "No case is assigned to you") {
			t.Errorf("no case assigned: %s", mainOf(page))
		}
		if _, err := st.env.Assign(context.Background(), "someone", st.caseID, "Test practitioner"); err != nil {
			t.Fatal(err)
		}
		st.get(st.signIn("viewer"), "/cases/"+st.caseID) // audited as the viewer's view
		_, page := st.get(c, "/audit?mine=cases")
		if !strings.Contains(page, "viewer@example.gov.uk") || !strings.Contains(page, "case.view") || !strings.Contains(page, "1 case whose owner") {
			t.Errorf("the audit of my cases lacks the viewer's view:\n%s", mainOf(page))
		}
	})
}
