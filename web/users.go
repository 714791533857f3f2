package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"pme"
	"pme/pipeline"
)

// The administrator's pages (web.md: users only: add, disable, reset, change role). They call the
// same operations as pme user add|disable|enable|reset, and each change is in the audit log.

// usersData is the Users page: every user, and the add form as it was sent after a refusal.
type usersData struct {
	Users []pme.User
	Roles []string
	Me    int64
	Add   userForm
}

// userForm is the add-a-user form, or a user's change form; passwords are never shown again.
type userForm struct {
	Email, Name, Role   string
	Password, Password2 string
}

// Validate says, in the page's words, what the form lacks; the operations check the rest (the
// e-mail address, the password's length, a user who already exists).
func (f userForm) Validate(adding bool) []string {
	var errs []string
	if adding && strings.TrimSpace(f.Email) == "" {
		errs = append(errs, "Enter the user's e-mail address.")
	}
	if adding && strings.TrimSpace(f.Name) == "" {
		errs = append(errs, "Enter the user's name.")
	}
	if (adding || f.Role != "") && !pme.ValidRole(f.Role) {
		errs = append(errs, "Choose a role: "+strings.Join(pme.Roles, ", ")+".")
	}
	if (adding || f.Password != "") && f.Password != f.Password2 {
		errs = append(errs, "The two passwords are not the same: type the new password twice.")
	}
	if adding && f.Password == "" {
		errs = append(errs, fmt.Sprintf("Enter a password of at least %d characters.", pme.MinPasswordLength))
	}
	return errs
}

func (s *Server) users(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	s.showUsers(w, r, e, http.StatusOK, nil, userForm{})
}

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, e *pipeline.Env, status int, errs []string, add userForm) {
	users, err := e.Users(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	add.Password, add.Password2 = "", ""
	s.render(w, r, status, "users", &view{Title: "Users", Nav: "users", Errors: errs, Notice: notices[r.URL.Query().Get("done")],
		Data: usersData{Users: users, Roles: pme.Roles, Me: userOf(r).ID, Add: add}})
}

// userWrite spends the form's one-time token (a second send does nothing and says so), then runs
// do and audits it; a refused form comes back with its errors.
func (s *Server) userWrite(w http.ResponseWriter, r *http.Request, e *pipeline.Env, done string, add userForm, do func() (pme.User, string, error)) {
	u := userOf(r)
	if err := e.UseForm(r.Context(), r.PostForm.Get("form"), u.ID); errors.Is(err, pipeline.ErrFormUsed) {
		http.Redirect(w, r, "/users?done=already", http.StatusSeeOther)
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	changed, detail, err := do()
	var ue pipeline.UsageError
	switch {
	case errors.As(err, &ue):
		s.showUsers(w, r, e, http.StatusBadRequest, []string{ue.Msg}, add)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	if err := e.AuditView(r.Context(), u.Email, "user."+done, pme.AuditEntry{Detail: fmt.Sprintf("user=%d %s", changed.ID, detail)}); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log.Info("user changed", "by", u.ID, "user", changed.ID, "did", done)
	http.Redirect(w, r, "/users?done=user-"+done, http.StatusSeeOther)
}

// userAdd adds a user (pme user add).
func (s *Server) userAdd(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	f := userForm{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Role: r.PostForm.Get("role"),
		Password: r.PostForm.Get("password"), Password2: r.PostForm.Get("password2")}
	if errs := f.Validate(true); len(errs) > 0 {
		s.showUsers(w, r, e, http.StatusBadRequest, errs, f)
		return
	}
	s.userWrite(w, r, e, "add", f, func() (pme.User, string, error) {
		u, err := e.AddUser(r.Context(), f.Email, f.Name, f.Role, f.Password)
		return u, "role=" + f.Role, err
	})
}

// userChange disables or enables a user, sets a new password or changes the role (pme user
// disable|enable|reset). An administrator cannot disable or demote themselves here, so that the
// service is never left without one by a slip.
func (s *Server) userChange(w http.ResponseWriter, r *http.Request, e *pipeline.Env) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad request", http.StatusBadRequest)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	users, err := e.Users(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	var target *pme.User
	for i := range users {
		if users[i].ID == id {
			target = &users[i]
		}
	}
	if target == nil {
		s.notFound(w, r)
		return
	}
	change := r.PostForm.Get("change")
	f := userForm{Role: r.PostForm.Get("role"), Password: r.PostForm.Get("password"), Password2: r.PostForm.Get("password2")}
	var errs []string
	switch change {
	case "disable", "enable":
	case "reset":
		if f.Password == "" {
			errs = append(errs, fmt.Sprintf("Enter the new password (at least %d characters) twice.", pme.MinPasswordLength))
		}
		errs = append(errs, f.Validate(false)...)
	case "role":
		errs = append(errs, f.Validate(false)...)
		if f.Role == "" {
			errs = append(errs, "Choose a role: "+strings.Join(pme.Roles, ", ")+".")
		}
	default:
		errs = append(errs, "Choose what to change.")
	}
	if target.ID == userOf(r).ID && (change == "disable" || change == "role" && f.Role != pme.RoleAdmin) {
		errs = append(errs, "You cannot disable yourself or take away your own administrator role: ask another administrator, or use pme user on the server.")
	}
	if len(errs) > 0 {
		s.showUsers(w, r, e, http.StatusBadRequest, errs, userForm{})
		return
	}
	s.userWrite(w, r, e, change, userForm{}, func() (pme.User, string, error) {
		switch change {
		case "disable", "enable":
			disabled := change == "disable"
			u, err := e.ChangeUser(r.Context(), target.Email, &disabled, "", "")
			return u, "", err
		case "reset":
			u, err := e.ChangeUser(r.Context(), target.Email, nil, f.Password, "")
			return u, "", err
		}
		u, err := e.ChangeUser(r.Context(), target.Email, nil, "", f.Role)
		return u, "role=" + f.Role, err
	})
}
