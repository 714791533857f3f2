package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"pme"
	"pme/pipeline"
)

// lettersData is the Letters page: the breakdown and, after a refused reply, what was typed.
type lettersData struct {
	Book  pipeline.LetterBook
	Draft replyDraft
}

// replyDraft is a reply form as it was sent, shown again with its errors.
type replyDraft struct{ Letter, Received, Assurance, Note string }

// Validate says, in the page's words, what a reply form lacks; the casework operation checks the
// rest (a date after today or before the letter was sent).
func (d replyDraft) Validate() []string {
	var errs []string
	if strings.TrimSpace(d.Received) == "" {
		errs = append(errs, "Enter the date the reply was received.")
	}
	switch d.Assurance {
	case pme.AssuranceAdequate, pme.AssurancePartial, pme.AssuranceInadequate:
	default:
		errs = append(errs, "Choose the assurance the reply gives: adequate, partial or inadequate.")
	}
	return errs
}

func (s *Server) letters(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.showLetters(w, r, e, http.StatusOK, nil, replyDraft{})
}

func (s *Server) showLetters(w http.ResponseWriter, r *http.Request, e *pipeline.Env, status int, errs []string, draft replyDraft) {
	b, err := e.LetterBook(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !userOf(r).SeesNotes() { // a reply's note is personal free text: practitioners only
		for i := range b.Made {
			for j := range b.Made[i].State.Replies {
				b.Made[i].State.Replies[j].Note = ""
			}
		}
	}
	asAt, err := e.AsAt(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, status, "letters", &view{Title: "Letters", Nav: "letters", AsAt: asAt, Errors: errs,
		Notice: notices[r.URL.Query().Get("done")], Data: lettersData{Book: b, Draft: draft}})
}

// letterReply records a school's reply to a letter from the Letters page (casework.md's letter
// reply, as pme letters reply): the form's one-time token makes a double click one reply, and a
// refused form comes back with what was typed and why.
func (s *Server) letterReply(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	id := r.PathValue("id")
	if _, err := e.Store.Letter(ctx, id); err != nil { // no such letter: 404
		s.serverError(w, r, err)
		return
	}
	u := userOf(r)
	if err := e.UseForm(ctx, r.PostForm.Get("form"), u.ID); errors.Is(err, pipeline.ErrFormUsed) {
		http.Redirect(w, r, "/letters?done=already", http.StatusSeeOther)
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	draft := replyDraft{Letter: id, Received: r.PostForm.Get("received"), Assurance: r.PostForm.Get("assurance"), Note: r.PostForm.Get("note")}
	if errs := draft.Validate(); len(errs) > 0 {
		s.showLetters(w, r, e, http.StatusBadRequest, errs, draft)
		return
	}
	received, err := formDate(r, "received")
	if err == nil {
		_, err = e.RecordReply(ctx, u.Email, id, received, draft.Assurance, draft.Note)
	}
	var ue pipeline.UsageError
	switch {
	case errors.As(err, &ue):
		s.showLetters(w, r, e, http.StatusBadRequest, []string{ue.Msg}, draft)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/letters?"+url.Values{"done": {"reply"}}.Encode()+"#letter-"+id, http.StatusSeeOther)
}
