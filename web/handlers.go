package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"pme"
	"pme/pipeline"
	"pme/store"
)

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "sign-in", &view{Title: "Sign in", Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
}

type signInData struct{ Email, Next string }

// safeNext keeps a redirect after sign-in on this site: a path, never another host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	email, password := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	e := s.requestEnv()
	// Any session this browser had ends: a new token at every sign-in.
	if c, err := r.Cookie(s.cookie); err == nil {
		e.SignOut(r.Context(), c.Value)
	}
	var msg string
	if email == "" || password == "" {
		msg = "Enter your e-mail address and password."
	} else {
		token, _, err := e.SignIn(r.Context(), email, password, clientAddress(r))
		switch {
		case err == nil:
			s.setCookie(w, token)
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		case errors.Is(err, pipeline.ErrSignIn), errors.Is(err, pipeline.ErrLocked):
			msg = err.Error()
		case errors.Is(err, pipeline.ErrThrottled):
			w.Header().Set("Retry-After", "1")
			s.render(w, r, http.StatusTooManyRequests, "sign-in", &view{Title: "Sign in", Errors: []string{err.Error()}, Data: signInData{Email: email, Next: next}})
			return
		default:
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusUnauthorized, "sign-in", &view{Title: "Sign in", Errors: []string{msg}, Data: signInData{Email: email, Next: next}})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookie); err == nil {
		if err := s.requestEnv().SignOut(r.Context(), c.Value); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.clearCookie(w)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	u := userOf(r)
	if !u.SeesCases() {
		s.render(w, r, http.StatusOK, "home", &view{Title: "Home", Nav: "home"})
		return
	}
	o, err := e.Overview(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", &view{Title: "Home", Nav: "home", AsAt: o.AsAt, Data: o})
}

type casesData struct {
	List   pipeline.CaseList
	Filter pipeline.CaseFilter
	Query  url.Values
	Rules  []string
}

func (s *Server) cases(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	f := pipeline.CaseFilter{Status: q.Get("status"), Severity: q.Get("severity"), Rule: q.Get("rule"),
		School: q.Get("school"), Plan: q.Get("plan"), Sort: q.Get("sort"), Page: page,
		Handling: q.Get("handling"), Owner: q.Get("owner"), Overdue: q.Get("overdue") == "yes"}
	list, err := e.FilterCases(r.Context(), f)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderAsAt(w, r, e, "cases", &view{Title: "Cases", Nav: "cases",
		Data: casesData{List: list, Filter: f, Query: q, Rules: ruleIDs}})
}

func (s *Server) letterPDF(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	l, p, err := e.LetterPDF(r.Context(), r.PathValue("id"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := e.AuditView(r.Context(), userOf(r).Email, "letter.download", pme.AuditEntry{LetterID: l.ID}); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.download(w, r, p, l.ID+".pdf", "application/pdf")
}

// download sends a file as an attachment under a name made here, never one from the request.
func (s *Server) download(w http.ResponseWriter, r *http.Request, path, name, ctype string) {
	f, err := os.Open(path)
	if err != nil {
		s.serverError(w, r, store.ErrNotFound)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", pipeline.SafeFileName(name)))
	io.Copy(w, f)
}

func (s *Server) runs(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	runs, err := e.Store.Runs(r.Context(), 100)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.renderAsAt(w, r, e, "runs", &view{Title: "Runs", Nav: "runs", Data: runs})
}

type uploadData struct {
	Summary *pipeline.IngestSummary
	MaxMB   int
}

func (s *Server) uploadForm(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.renderAsAt(w, r, e, "upload", &view{Title: "Upload returns", Nav: "upload", Data: uploadData{MaxMB: e.Config.Limits.MaxFileMB}})
}

// maxUploadFiles bounds one upload's number of files.
const maxUploadFiles = 20

func (s *Server) upload(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	v := &view{Title: "Upload returns", Nav: "upload", Data: uploadData{MaxMB: e.Config.Limits.MaxFileMB}}
	fail := func(status int, msg string) {
		v.Errors = []string{msg}
		s.render(w, r, status, "upload", v)
	}
	// The whole body is bounded: every file at the inbox's limit, and a little for the form.
	r.Body = http.MaxBytesReader(w, r.Body, int64(e.Config.Limits.MaxFileMB)<<20+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		fail(http.StatusBadRequest, "Choose one or more files to upload.")
		return
	}
	var uploads []pipeline.Upload
	var tmpFiles []string
	defer func() {
		for _, p := range tmpFiles {
			os.Remove(p)
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than %d MB: send the files one at a time, or split the return.", e.Config.Limits.MaxFileMB))
			return
		}
		if err != nil {
			fail(http.StatusBadRequest, "The upload was cut short: try again.")
			return
		}
		if part.FormName() != "files" || part.FileName() == "" {
			part.Close()
			continue
		}
		if len(uploads) == maxUploadFiles {
			fail(http.StatusBadRequest, fmt.Sprintf("Upload at most %d files at a time.", maxUploadFiles))
			return
		}
		// Spool to a private temporary file outside anything served, so the whole upload has
		// arrived before anything is ingested.
		p, err := spool(part)
		part.Close()
		if p != "" {
			tmpFiles = append(tmpFiles, p)
		}
		if errors.As(err, &mbe) {
			fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The upload is larger than %d MB: send the files one at a time, or split the return.", e.Config.Limits.MaxFileMB))
			return
		}
		if err != nil {
			fail(http.StatusBadRequest, "The upload was cut short: try again.")
			return
		}
		uploads = append(uploads, pipeline.Upload{Name: part.FileName(), Path: p})
	}
	if len(uploads) == 0 {
		fail(http.StatusBadRequest, "Choose one or more files to upload.")
		return
	}
	sum, err := e.UploadReturns(r.Context(), uploads)
	var ue pipeline.UsageError
	switch {
	case errors.As(err, &ue):
		fail(http.StatusBadRequest, ue.Msg)
		return
	case errors.Is(err, pipeline.ErrIngestBusy):
		fail(http.StatusServiceUnavailable, "Another ingest is running: your files wait in the inbox and will be taken by it. The Returns page shows them when done.")
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	s.log.Info("returns uploaded", "user_id", userOf(r).ID, "files", len(sum.Files))
	v.AsAt, _ = e.AsAt(r.Context())
	v.Data = uploadData{Summary: &sum, MaxMB: e.Config.Limits.MaxFileMB}
	s.render(w, r, http.StatusOK, "upload", v)
}

// spool copies a part to a private temporary file and returns its path.
func spool(part *multipart.Part) (string, error) {
	f, err := os.CreateTemp("", "pme-upload-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, part)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

func (s *Server) feedback(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	p, name, err := e.FeedbackFile(r.Context(), r.PathValue("sha"))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := e.AuditView(r.Context(), userOf(r).Email, "feedback.download", pme.AuditEntry{Detail: "file=" + r.PathValue("sha")[:12]}); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.download(w, r, p, name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	u := userOf(r)
	if u.DoesCasework() {
		q := r.URL.Query()
		f := pme.AuditFilter{Person: u.Email}
		if c := q.Get("case"); c != "" {
			f = pme.AuditFilter{CaseID: c}
		}
		var entries []pme.AuditEntry
		var owned []string
		var err error
		if q.Get("mine") == "cases" && f.CaseID == "" {
			entries, owned, err = e.OwnedCasesAudit(r.Context(), u)
		} else {
			entries, err = e.AuditLog(r.Context(), f)
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		asAt, _ := e.AsAt(r.Context())
		s.render(w, r, http.StatusOK, "audit", &view{Title: "Audit", Nav: "audit", AsAt: asAt,
			Data: auditData{Entries: entries, Case: f.CaseID, Mine: q.Get("mine") == "cases" && f.CaseID == "", Owned: owned}})
		return
	}
	if !u.ManagesUsers() {
		s.notFound(w, r)
		return
	}
	list, err := e.SignIns(r.Context(), 200)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	users, err := e.Users(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", &view{Title: "Audit", Nav: "audit", Data: auditData{SignIns: list, Users: users}})
}

type auditData struct {
	SignIns []pme.SignInAttempt
	Users   []pme.User
	Entries []pme.AuditEntry // a practitioner's audit
	Case    string
	Mine    bool     // the audit of the cases the practitioner holds
	Owned   []string // those cases
}

// ruleIDs are the rules the case list can be filtered by (rules.md).
var ruleIDs = []string{
	pme.RuleRTNoEndDate, pme.RuleRTOverLimit, pme.RuleRTPastEndDate, pme.RuleRTLowHours,
	pme.RuleRTNoParentalAgreement, pme.RuleRTReviewOverdue, pme.RuleRTBehaviour,
	pme.RuleAPUnapprovedProvider, pme.RuleAPUnregisteredFT, pme.RuleAPNotFullTime,
	pme.RuleSuspOver45Days, pme.RuleSuspApproaching, pme.RuleSuspRepeated, pme.RuleSuspNoSixthDay,
	pme.RulePermExclusion, pme.RulePMEOver20Days, pme.RuleMultipleReturns, pme.RuleMatchAmbiguous,
}

// renderAsAt renders a page with the run date its data is as at (web.md: every page states it).
func (s *Server) renderAsAt(w http.ResponseWriter, r *http.Request, e *pipeline.Env, name string, v *view) {
	asAt, err := e.AsAt(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.AsAt = asAt
	s.render(w, r, http.StatusOK, name, v)
}
