package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"pme"
	"pme/pipeline"
	"pme/store"
)

// caseData is the Case page.
type caseData struct {
	View    pipeline.CaseView
	Basics  pipeline.CaseBasics
	Version string            // the case as the page showed it (see pipeline.CaseVersion)
	Draft   map[string]string // what was typed, shown again after a refused form
}

// notices are the confirmations after a form, by the key the redirect carries (never free text
// in a URL).
var notices = map[string]string{
	"note": "Note added.", "action": "Action added.", "done": "Action marked done.", "cancelled": "Action cancelled.",
	"handling": "Handling recorded.", "assign": "Case assigned.", "reply": "Reply recorded.",
	"decision": "Decision recorded.", "already": "That form was sent already: its action was done once, not twice.",
	"user-add": "User added: they can sign in now.", "user-disable": "User disabled and signed out everywhere.",
	"user-enable": "User enabled.", "user-reset": "New password set; the user is signed out everywhere.",
	"user-role": "Role changed; the user is signed out everywhere.",
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.showCase(w, r, e, r.PathValue("id"), http.StatusOK, nil, nil)
}

// showCase renders the Case page, with errors and the person's draft after a refused form.
func (s *Server) showCase(w http.ResponseWriter, r *http.Request, e *pipeline.Env, id string, status int, errs []string, draft map[string]string) {
	ctx := r.Context()
	u := userOf(r)
	basics, err := e.CaseBasics(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	cv, err := e.ShowCase(ctx, u.Email, id) // audits the view
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	version, err := e.CaseVersion(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	asAt, err := e.AsAt(ctx)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !u.SeesNotes() { // personal free text is for practitioners only
		cv.Notes = nil
		for i := range cv.Actions {
			cv.Actions[i].Text = ""
		}
		cv.Handling.Reason = ""
		for i := range cv.Letters {
			for j := range cv.Letters[i].Replies {
				cv.Letters[i].Replies[j].Note = ""
			}
		}
	}
	if draft == nil {
		draft = map[string]string{}
	}
	s.render(w, r, status, "case", &view{Title: "Case " + id, Nav: "cases", AsAt: asAt, Errors: errs,
		Notice: notices[r.URL.Query().Get("done")],
		Data:   caseData{View: cv, Basics: basics, Version: version, Draft: draft}})
}

// caseWrite runs one casework form on a case: it spends the form's one-time token (a second send
// does nothing and says so), refuses a form made before the case changed (and says so, keeping
// what was typed), and otherwise calls do with the signed-in person, then redirects (303) to the
// case with a confirmation.
func (s *Server) caseWrite(w http.ResponseWriter, r *http.Request, e *pipeline.Env, done string, do func(by string) error) {
	id := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	draft := map[string]string{}
	for k := range r.PostForm {
		if k != "form" && k != "version" {
			draft[k] = r.PostForm.Get(k)
		}
	}
	back := "/cases/" + url.PathEscape(id)
	if ret := r.PostForm.Get("return"); ret == "meeting" {
		back = "/meeting?" + url.Values{"meeting": {r.PostForm.Get("meeting")}, "date": {r.PostForm.Get("date")}}.Encode()
	}
	u := userOf(r)
	ctx := r.Context()
	cur, err := e.CaseVersion(ctx, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := e.UseForm(ctx, r.PostForm.Get("form"), u.ID); errors.Is(err, pipeline.ErrFormUsed) {
		http.Redirect(w, r, withDone(back, "already"), http.StatusSeeOther)
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	if r.PostForm.Get("version") != cur {
		s.showCase(w, r, e, id, http.StatusConflict, []string{"This case changed since you opened the page (someone recorded something, or the rules ran again). Nothing was recorded: read the case again below and send the form again if it still applies."}, draft)
		return
	}
	err = do(u.Email)
	var ue pipeline.UsageError
	switch {
	case errors.As(err, &ue):
		s.showCase(w, r, e, id, http.StatusBadRequest, []string{ue.Msg}, draft)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, withDone(back, done), http.StatusSeeOther)
}

func withDone(path, done string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "done=" + done
}

// formDate reads a date field: YYYY-MM-DD (a date input) or dd/mm/yyyy (typed); zero when blank.
func formDate(r *http.Request, key string) (pme.Date, error) {
	v := strings.TrimSpace(r.PostForm.Get(key))
	if v == "" {
		return pme.Date{}, nil
	}
	if d, err := pme.ParseISO(v); err == nil {
		return d, nil
	}
	if p := strings.Split(v, "/"); len(p) == 3 && len(p[2]) == 4 {
		if d, err := pme.ParseISO(p[2] + "-" + pad2(p[1]) + "-" + pad2(p[0])); err == nil {
			return d, nil
		}
	}
	return pme.Date{}, pipeline.UsageError{Msg: "The date " + v + " is not a date: use the date picker, or type it as dd/mm/yyyy."}
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.caseWrite(w, r, e, "note", func(by string) error {
		_, err := e.AddNote(r.Context(), by, r.PathValue("id"), r.PostForm.Get("text"))
		return err
	})
}

func (s *Server) addAction(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.caseWrite(w, r, e, "action", func(by string) error {
		due, err := formDate(r, "due")
		if err != nil {
			return err
		}
		_, err = e.AddAction(r.Context(), by, r.PathValue("id"), r.PostForm.Get("text"), r.PostForm.Get("owner"), due)
		return err
	})
}

func (s *Server) actionStatus(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	status := r.FormValue("status")
	s.caseWrite(w, r, e, status, func(by string) error {
		_, err := e.SetActionStatus(r.Context(), by, r.PathValue("id"), r.PathValue("action"), status)
		return err
	})
}

func (s *Server) handling(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.caseWrite(w, r, e, "handling", func(by string) error {
		review, err := formDate(r, "review")
		if err != nil {
			return err
		}
		_, err = e.SetHandling(r.Context(), by, r.PathValue("id"), r.PostForm.Get("state"), review, r.PostForm.Get("reason"))
		return err
	})
}

func (s *Server) assign(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.caseWrite(w, r, e, "assign", func(by string) error {
		_, err := e.Assign(r.Context(), by, r.PathValue("id"), r.PostForm.Get("person"))
		return err
	})
}

// decide records one meeting decision (the Meeting page's per-item form, or the case's own).
func (s *Server) decide(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.caseWrite(w, r, e, "decision", func(by string) error {
		due, err := formDate(r, "due")
		if err != nil {
			return err
		}
		_, err = e.Decide(r.Context(), by, r.PathValue("id"), r.PostForm.Get("decision"), r.PostForm.Get("text"), r.PostForm.Get("owner"), due)
		return err
	})
}

// reply records a school's reply to a letter, from the Case page.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.caseWrite(w, r, e, "reply", func(by string) error {
		received, err := formDate(r, "received")
		if err != nil {
			return err
		}
		res, err := e.RecordReply(r.Context(), by, r.PostForm.Get("letter"), received, r.PostForm.Get("assurance"), r.PostForm.Get("note"))
		if err == nil && res.CaseID != r.PathValue("id") {
			s.log.Warn("reply recorded from another case's page", "letter", res.LetterID)
		}
		return err
	})
}

type meetingData struct {
	Agenda    pme.Agenda
	Sections  []meetingSection
	Versions  map[string]string
	Decisions []string
	Titles    map[string]string
}

type meetingSection struct {
	ID, Title string
	Items     []pme.AgendaItem
}

// meeting shows the COOS or VCEC agenda for a date with a decision form per case item. A GET
// builds it without recording anything; the workbook download records it (as pme agenda does).
func (s *Server) meeting(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	q := r.URL.Query()
	date := e.Today
	if v := q.Get("date"); v != "" {
		d, err := pme.ParseISO(v)
		if err != nil {
			s.render(w, r, http.StatusBadRequest, "meeting", &view{Title: "Meeting", Nav: "meeting", Errors: []string{"The meeting date is not a date: choose one."}, Data: meetingData{}})
			return
		}
		date = d
	}
	a, err := e.PreviewAgenda(r.Context(), q.Get("meeting"), date)
	var ue pipeline.UsageError
	if errors.As(err, &ue) {
		s.render(w, r, http.StatusBadRequest, "meeting", &view{Title: "Meeting", Nav: "meeting", Errors: []string{ue.Msg}, Data: meetingData{Agenda: pme.Agenda{Meeting: q.Get("meeting"), Date: date}}})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := meetingData{Agenda: a, Versions: map[string]string{}, Decisions: pme.Decisions, Titles: pme.SectionTitles}
	for _, sec := range a.Sections {
		ms := meetingSection{ID: sec, Title: pme.SectionTitles[sec]}
		for _, it := range a.Items {
			if it.Section != sec {
				continue
			}
			ms.Items = append(ms.Items, it)
			if it.CaseID != "" && d.Versions[it.CaseID] == "" {
				v, err := e.CaseVersion(r.Context(), it.CaseID)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					s.serverError(w, r, err)
					return
				}
				d.Versions[it.CaseID] = v
			}
		}
		d.Sections = append(d.Sections, ms)
	}
	asAt, err := e.AsAt(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "meeting", &view{Title: "Meeting", Nav: "meeting", AsAt: asAt,
		Notice: notices[q.Get("done")], Data: d})
}

// meetingWorkbook writes and records the agenda (pme agenda) and sends its workbook.
func (s *Server) meetingWorkbook(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	date, err := formDate(r, "date")
	if err != nil {
		s.notFound(w, r)
		return
	}
	a, err := e.Agenda(r.Context(), userOf(r).Email, r.PostForm.Get("meeting"), date)
	var ue pipeline.UsageError
	if errors.As(err, &ue) {
		s.render(w, r, http.StatusBadRequest, "meeting", &view{Title: "Meeting", Nav: "meeting", Errors: []string{ue.Msg}, Data: meetingData{}})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.download(w, r, e.Path(a.File), a.Meeting+"-"+a.Date.String()+".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
}

// child finds a child by UPN (a POST, so the UPN never sits in a URL or a log) and shows their
// whole history (pme child), audited as a view.
func (s *Server) child(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	upn := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("upn")))
	v := &view{Title: "Find a child", Nav: "cases"}
	v.AsAt, _ = e.AsAt(r.Context())
	if upn == "" {
		v.Errors = []string{"Enter the child's UPN."}
		s.render(w, r, http.StatusBadRequest, "child", v)
		return
	}
	h, err := e.ChildHistory(r.Context(), userOf(r).Email, upn)
	var ue pipeline.UsageError
	if errors.As(err, &ue) || errors.Is(err, store.ErrNotFound) {
		v.Errors = []string{"No child with that UPN is known to pme. Check it: 13 characters, a letter then 12 digits or letters."}
		s.render(w, r, http.StatusNotFound, "child", v)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Title, v.Data = "Child history", h
	s.render(w, r, http.StatusOK, "child", v)
}

func (s *Server) childForm(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	v := &view{Title: "Find a child", Nav: "cases"}
	v.AsAt, _ = e.AsAt(r.Context())
	s.render(w, r, http.StatusOK, "child", v)
}
