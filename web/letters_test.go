package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pme"
)

// TestLettersPage: the breakdown (due, made, not made, awaiting a reply, overdue) for every role
// that sees cases; the reply form for practitioners only, its validation errors keeping what was
// typed, a double post recording one reply, an unknown letter 404, and a reply's note hidden from
// viewers.
func TestLettersPage(t *testing.T) {
	each(t, func(t *testing.T, st *site) {
		for _, role := range []string{"viewer", "officer", "practitioner"} {
			res, body := st.get(st.signIn(role), "/letters")
			if res.StatusCode != 200 {
				t.Fatalf("%s /letters: %d", role, res.StatusCode)
			}
			checkHeaders(t, role+" /letters", res)
			for _, want := range []string{"due, to be made", "made</a>", "not made</a>", "awaiting a reply</a>", "overdue a reply</a>",
				`<h2 id="not-made">`, `<th scope="col">Reply by</th>`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s /letters lacks %q", role, want)
				}
			}
			if forms := strings.Contains(body, `class="reply-form"`); forms != (role == "practitioner") {
				t.Errorf("%s sees reply forms: %v", role, forms)
			}
		}
		c := st.signIn("practitioner")
		_, page := st.get(c, "/letters")
		m := regexp.MustCompile(`action="/letters/(PME-[A-Z0-9-]+)/reply"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no letter awaiting a reply:\n%s", mainOf(page))
		}
		id, path := m[1], "/letters/"+m[1]+"/reply"
		for _, role := range []string{"viewer", "officer", "admin"} {
			if code, _ := st.postBody(st.signIn(role), path, withFields(formFields(t, page, path), "received", "2026-11-27", "assurance", "partial")); code != 404 {
				t.Errorf("%s posts a reply: %d, want 404", role, code)
			}
		}
		if code, _ := st.postBody(c, "/letters/PME-XXXXX-XXXXX/reply", withFields(formFields(t, page, path), "received", "2026-11-27", "assurance", "partial")); code != 404 {
			t.Errorf("reply to an unknown letter: %d, want 404", code)
		}
		// Refused: nothing chosen; a date after today. What was typed comes back.
		code, body := st.postBody(c, path, withFields(formFields(t, page, path), "note", "Synthetic typed note"))
		if code != http.StatusBadRequest || !strings.Contains(errorsOf(body), "Enter the date the reply was received") ||
			!strings.Contains(errorsOf(body), "Choose the assurance") || !strings.Contains(body, `value="Synthetic typed note"`) {
			t.Errorf("empty reply: %d\n%s", code, errorsOf(body))
		}
		_, page = st.get(c, "/letters")
		code, body = st.postBody(c, path, withFields(formFields(t, page, path), "received", "2026-12-01", "assurance", "partial"))
		if code != http.StatusBadRequest || !strings.Contains(errorsOf(body), "after today") || !strings.Contains(body, `value="2026-12-01"`) {
			t.Errorf("reply from the future: %d\n%s", code, errorsOf(body))
		}
		// Recorded once, however often it is sent.
		_, page = st.get(c, "/letters")
		form := withFields(formFields(t, page, path), "received", "27/11/2026", "assurance", "partial", "note", "Synthetic reply note")
		for i, want := range []string{"done=reply", "done=already"} {
			res := st.post(c, path, form)
			if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), want) {
				t.Errorf("reply sent %d: %d to %q, want %s", i+1, res.StatusCode, res.Header.Get("Location"), want)
			}
		}
		replies, err := st.env.Store.LetterReplies(t.Context(), id)
		if err != nil || len(replies) != 1 || replies[0].Assurance != pme.AssurancePartial {
			t.Fatalf("replies = %+v, %v; want one partial", replies, err)
		}
		_, page = st.get(c, "/letters?done=reply")
		if !strings.Contains(page, "Reply recorded.") || !strings.Contains(page, "Synthetic reply note") || strings.Contains(page, `action="`+path+`"`) {
			t.Errorf("after the reply the page lacks the notice or the note, or still asks for the reply:\n%s", mainOf(page))
		}
		if _, vpage := st.get(st.signIn("viewer"), "/letters"); strings.Contains(vpage, "Synthetic reply note") || !strings.Contains(vpage, "partial, 27/11/2026") {
			t.Error("a viewer sees the reply's note, or not the reply")
		}
	})
}

// withFields returns the form with the key/value pairs set.
func withFields(form url.Values, kv ...string) url.Values {
	for i := 0; i+1 < len(kv); i += 2 {
		form.Set(kv[i], kv[i+1])
	}
	return form
}
