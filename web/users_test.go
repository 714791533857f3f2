package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"pme"
)

// TestUsersPage: an administrator adds, disables, enables, resets and changes the role of users
// from the browser, through pme user's operations; forms refused with their reasons; a double
// post does one thing; nobody else may see the page; every change is audited.
func TestUsersPage(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		admin := st.signIn("admin")
		res, page := st.get(admin, "/users")
		if res.StatusCode != 200 {
			t.Fatalf("admin /users: %d", res.StatusCode)
		}
		checkHeaders(t, "/users", res)
		for _, label := range []string{`<label for="email">`, `<label for="name">`, `<label for="role">`, `<label for="password">`, `<label for="password2">`} {
			if !strings.Contains(page, label) {
				t.Errorf("/users lacks %s", label)
			}
		}
		for _, role := range []string{"viewer", "officer", "practitioner"} {
			c := st.signIn(role)
			if res, _ := st.get(c, "/users"); res.StatusCode != 404 {
				t.Errorf("%s GET /users: %d, want 404", role, res.StatusCode)
			}
			if code, _ := st.postBody(c, "/users", url.Values{"email": {"x@example.gov.uk"}}); code != 404 {
				t.Errorf("%s POST /users: %d, want 404", role, code)
			}
		}
		add := withFields(formFields(t, page, "/users"), "email", "New.Person@example.gov.uk", "name", "New Person", "role", "viewer",
			"password", testPassword, "password2", "not the same password")
		code, body := st.postBody(admin, "/users", add)
		if code != http.StatusBadRequest || !strings.Contains(errorsOf(body), "not the same") || !strings.Contains(body, `value="New Person"`) ||
			strings.Contains(body, testPassword) {
			t.Errorf("mismatched passwords: %d\n%s", code, errorsOf(body))
		}
		_, page = st.get(admin, "/users")
		add = withFields(formFields(t, page, "/users"), "email", "new.person@example.gov.uk", "name", "New Person", "role", "viewer",
			"password", "short", "password2", "short")
		if code, body := st.postBody(admin, "/users", add); code != http.StatusBadRequest || !strings.Contains(errorsOf(body), "at least 12") {
			t.Errorf("short password: %d\n%s", code, errorsOf(body))
		}
		_, page = st.get(admin, "/users")
		add = withFields(formFields(t, page, "/users"), "email", "new.person@example.gov.uk", "name", "New Person", "role", "viewer",
			"password", testPassword, "password2", testPassword)
		for i, want := range []string{"done=user-add", "done=already"} {
			if res := st.post(admin, "/users", add); res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), want) {
				t.Errorf("add sent %d: %d %q, want %s", i+1, res.StatusCode, res.Header.Get("Location"), want)
			}
		}
		newbie := st.signIn("new.person")
		if res, _ := st.get(newbie, "/cases"); res.StatusCode != 200 {
			t.Fatalf("the new user's cases: %d", res.StatusCode)
		}
		_, page = st.get(admin, "/users")
		add = withFields(formFields(t, page, "/users"), "email", "viewer@example.gov.uk", "name", "Again", "role", "viewer",
			"password", testPassword, "password2", testPassword)
		if code, body := st.postBody(admin, "/users", add); code != http.StatusBadRequest || !strings.Contains(errorsOf(body), "already exists") {
			t.Errorf("existing user: %d\n%s", code, errorsOf(body))
		}

		// Disable the new user: signed out at once. Enable, reset the password, change the role.
		users, _ := st.env.Users(t.Context())
		var id, me string
		for _, u := range users {
			switch u.Email {
			case "new.person@example.gov.uk":
				id = itoa(u.ID)
			case "admin@example.gov.uk":
				me = itoa(u.ID)
			}
		}
		change := func(fields ...string) (int, string) {
			t.Helper()
			_, page := st.get(admin, "/users")
			f := formFields(t, page, "/users/"+id)
			return st.postBody(admin, "/users/"+id, withFields(f, fields...))
		}
		if code, _ := change("change", "disable"); code != http.StatusSeeOther {
			t.Fatalf("disable: %d", code)
		}
		if res, _ := st.get(newbie, "/cases"); res.StatusCode != http.StatusSeeOther {
			t.Errorf("a disabled user's session: %d, want 303 to sign in", res.StatusCode)
		}
		if code, _ := change("change", "enable"); code != http.StatusSeeOther {
			t.Fatalf("enable: %d", code)
		}
		if code, body := change("change", "reset", "password", "another long password", "password2", "another long pasword"); code != http.StatusBadRequest ||
			!strings.Contains(errorsOf(body), "not the same") {
			t.Errorf("reset with a typo: %d\n%s", code, errorsOf(body))
		}
		if code, _ := change("change", "reset", "password", "another long password", "password2", "another long password"); code != http.StatusSeeOther {
			t.Fatalf("reset: %d", code)
		}
		c := st.client()
		if res := st.post(c, "/sign-in", url.Values{"email": {"new.person@example.gov.uk"}, "password": {"another long password"}}); res.StatusCode != http.StatusSeeOther {
			t.Errorf("sign in with the new password: %d", res.StatusCode)
		}
		if code, _ := change("change", "role", "role", "officer"); code != http.StatusSeeOther {
			t.Fatalf("change role: %d", code)
		}
		if u, _ := st.env.Users(t.Context()); !hasUser(u, "new.person@example.gov.uk", pme.RoleOfficer) {
			t.Errorf("role not changed: %+v", u)
		}
		// An administrator cannot disable themselves here; an unknown user is 404.
		_, page = st.get(admin, "/users")
		f := formFields(t, page, "/users/"+me)
		f.Set("change", "disable")
		if code, body := st.postBody(admin, "/users/"+me, f); code != http.StatusBadRequest || !strings.Contains(errorsOf(body), "cannot disable yourself") {
			t.Errorf("disable myself: %d\n%s", code, errorsOf(body))
		}
		if code, _ := st.postBody(admin, "/users/99999", url.Values{"change": {"disable"}}); code != 404 {
			t.Errorf("unknown user: %d, want 404", code)
		}
		entries, err := st.env.AuditLog(t.Context(), pme.AuditFilter{Person: "admin@example.gov.uk"})
		if err != nil {
			t.Fatal(err)
		}
		var did []string
		for _, e := range entries {
			did = append(did, e.Action)
		}
		for _, want := range []string{"user.add", "user.disable", "user.enable", "user.reset", "user.role"} {
			if !strings.Contains(strings.Join(did, " "), want) {
				t.Errorf("audit lacks %s: %v", want, did)
			}
		}
		if regexp.MustCompile(`another long password`).MatchString(strings.Join(did, " ")) {
			t.Error("a password in the audit")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func hasUser(users []pme.User, email, role string) bool {
	for _, u := range users {
		if u.Email == email && u.Role == role {
			return true
		}
	}
	return false
}
