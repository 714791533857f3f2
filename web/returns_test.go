package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"pme"
	"pme/store/storetest"
)

// TestReturnsPage: the compliance grid for every role that sees compliance (admin: 404), filtered
// by status from the home page's count; a school's page lists the files it sent with their
// feedback for officers and practitioners only, and the view is audited.
func TestReturnsPage(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		// A return with a mistake from the first school in the grid, so that it has feedback.
		off := st.signIn("officer")
		_, grid := st.get(off, "/returns")
		m := regexp.MustCompile(`/returns/(\d{7})`).FindStringSubmatch(grid)
		if m == nil {
			t.Fatalf("the grid links to no school:\n%s", mainOf(grid))
		}
		school := m[1]
		csv := "UPN,Surname,Forename,DOB,Year,Start Date,Planned End Date,Hours Per Week,Reason,Parental Agreement,Review Date\n" +
			"A891110220823,Brown,Sam,31/13/2011,11,02/11/2026,18/12/2026,12,Medical,Y,11/12/2026\n"
		if code, body := st.upload(off, school+" reduced timetable.csv", []byte(csv)); code != 200 {
			t.Fatalf("upload: %d\n%s", code, mainOf(body))
		}
		for _, role := range []string{"viewer", "officer", "practitioner"} {
			c := st.signIn(role)
			res, body := st.get(c, "/returns")
			if res.StatusCode != 200 {
				t.Fatalf("%s /returns: %d", role, res.StatusCode)
			}
			checkHeaders(t, role+" /returns", res)
			for _, want := range []string{`<th scope="colgroup"`, `<th scope="row"><a href="/returns/` + school, "schools are missing a return", `<label for="status">`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s /returns lacks %q:\n%s", role, want, mainOf(body))
				}
			}
			res, body = st.get(c, "/returns/"+school)
			if res.StatusCode != 200 {
				t.Fatalf("%s school page: %d\n%s", role, res.StatusCode, mainOf(body))
			}
			checkHeaders(t, role+" school returns", res)
			hasFiles := strings.Contains(body, "Files received") && strings.Contains(body, "reduced timetable.csv") && strings.Contains(body, "/feedback")
			if hasFiles != (role != "viewer") {
				t.Errorf("%s sees the files and feedback: %v\n%s", role, hasFiles, mainOf(body))
			}
			if !strings.Contains(body, "Reduced timetables") || !strings.Contains(body, `<label for="period">`) {
				t.Errorf("%s school page lacks its returns:\n%s", role, mainOf(body))
			}
			if role == "officer" {
				link := regexp.MustCompile(`/returns/[0-9a-f]{64}/feedback`).FindString(body)
				if res, wb := st.get(c, link); res.StatusCode != 200 || !strings.HasPrefix(wb, "PK") {
					t.Errorf("feedback download %s: %d", link, res.StatusCode)
				}
			}
		}
		if res, _ := st.get(st.signIn("admin"), "/returns/"+school); res.StatusCode != 404 {
			t.Errorf("admin school page: %d, want 404", res.StatusCode)
		}
		// The home page's count links to the filtered grid.
		_, home := st.get(st.signIn("viewer"), "/")
		if !strings.Contains(home, `href="/returns?status=missing"`) || !strings.Contains(home, "schools missing a return") {
			t.Errorf("home lacks the schools missing a return:\n%s", mainOf(home))
		}
		for status, want := range map[string]string{"late": "the schools with a return late this period", "returned": "No school has a return returned this period"} {
			res, body := st.get(off, "/returns?status="+status)
			if res.StatusCode != 200 || !strings.Contains(body, want) {
				t.Errorf("grid of the schools %s: %d\n%s", status, res.StatusCode, mainOf(body))
			}
		}
		entries, err := st.env.AuditLog(t.Context(), pme.AuditFilter{Person: "officer@example.gov.uk"})
		if err != nil {
			t.Fatal(err)
		}
		var viewed, downloaded bool
		for _, e := range entries {
			viewed = viewed || e.Action == "returns.view" && e.Detail == "school="+school
			downloaded = downloaded || e.Action == "feedback.download"
		}
		if !viewed || !downloaded {
			t.Errorf("audit: school view %v, feedback download %v", viewed, downloaded)
		}
	})
}

// TestReturnsWithoutCompliance: without returns.la_codes the page says how to set it.
func TestReturnsWithoutCompliance(t *testing.T) {
	st := newSite(t, storetest.Backends(t)["sqlite"], nil)
	st.env.Config.Returns.LACodes = nil
	res, body := st.get(st.signIn("viewer"), "/returns")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "la_codes") {
		t.Fatalf("no compliance: %d\n%s", res.StatusCode, mainOf(body))
	}
	if _, home := st.get(st.signIn("viewer"), "/"); strings.Contains(home, "schools missing a return") {
		t.Error("home counts missing returns without compliance configured")
	}
}
