package web

import (
	"net/http"

	"pme"
	"pme/pipeline"
)

func (s *Server) routes() {
	m := s.mux
	m.Handle("GET /static/", staticFiles())
	m.HandleFunc("GET /sign-in", s.signInForm)
	m.HandleFunc("POST /sign-in", s.signIn)
	m.HandleFunc("POST /sign-out", s.signOut)

	sees := pme.User.SeesCases
	m.HandleFunc("GET /{$}", s.page(anyone, s.home))
	m.HandleFunc("GET /cases", s.page(sees, s.cases))
	m.HandleFunc("GET /cases/{id}", s.page(sees, s.casePage))
	m.HandleFunc("GET /letters", s.page(sees, s.letters))
	m.HandleFunc("GET /letters/{id}/pdf", s.page(sees, s.letterPDF))
	m.HandleFunc("GET /runs", s.page(sees, s.runs))
	m.HandleFunc("GET /returns", s.page(sees, s.returnsPage))
	m.HandleFunc("GET /returns/{laestab}", s.page(sees, s.schoolReturns))
	m.HandleFunc("GET /upload", s.page(pme.User.Uploads, s.uploadForm))
	m.HandleFunc("POST /upload", s.page(pme.User.Uploads, s.upload))
	m.HandleFunc("GET /returns/{sha}/feedback", s.page(pme.User.Uploads, s.feedback))
	m.HandleFunc("GET /audit", s.page(anyone, s.audit))

	// Users (web.md): administrators only.
	um := pme.User.ManagesUsers
	m.HandleFunc("GET /users", s.page(um, s.users))
	m.HandleFunc("POST /users", s.page(um, s.userAdd))
	m.HandleFunc("POST /users/{id}", s.page(um, s.userChange))

	// Casework (casework.md): practitioners only.
	cw := pme.User.DoesCasework
	m.HandleFunc("POST /cases/{id}/note", s.page(cw, s.addNote))
	m.HandleFunc("POST /cases/{id}/action", s.page(cw, s.addAction))
	m.HandleFunc("POST /cases/{id}/actions/{action}", s.page(cw, s.actionStatus))
	m.HandleFunc("POST /cases/{id}/handling", s.page(cw, s.handling))
	m.HandleFunc("POST /cases/{id}/assign", s.page(cw, s.assign))
	m.HandleFunc("POST /cases/{id}/decision", s.page(cw, s.decide))
	m.HandleFunc("POST /cases/{id}/reply", s.page(cw, s.reply))
	m.HandleFunc("POST /letters/{id}/reply", s.page(cw, s.letterReply))
	m.HandleFunc("GET /meeting", s.page(cw, s.meeting))
	m.HandleFunc("POST /meeting/workbook", s.page(cw, s.meetingWorkbook))
	m.HandleFunc("GET /child", s.page(cw, s.childForm))
	m.HandleFunc("POST /child", s.page(cw, s.child))
	// Anything else: sign in first, then 404, so that a signed-out visitor learns nothing.
	m.HandleFunc("/", s.page(anyone, func(w http.ResponseWriter, r *http.Request, _ *pipeline.Env) { s.notFound(w, r) }))
}
