// Package web is `pme serve` (web.md): server-rendered pages over the same operations as the
// command line. Handlers are thin: they read the request, call pipeline (which calls store) and
// render a template; no business logic and no SQL here.
package web

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"pme"
	"pme/config"
	"pme/pipeline"
	"pme/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Server is the web application.
type Server struct {
	env    *pipeline.Env   // the Store, Config and clock; Today is set per request
	today  func() pme.Date // the run date of a request: --today, or today in the configured zone
	log    *slog.Logger    // never given a name, UPN, date of birth or free text
	tmpl   map[string]*template.Template
	secure bool   // cookies Secure and __Host- (HTTPS, directly or behind a proxy)
	cookie string // the session cookie's name
	mux    *http.ServeMux
}

// Options configure a Server beyond the configuration file.
type Options struct {
	Today func() pme.Date // nil: today in the configured time zone
}

// Limits on requests: forms are small; uploads are bounded by limits.max_file_mb.
const (
	maxFormBytes   = 64 << 10
	maxHeaderBytes = 16 << 10
)

// New builds the server over env (whose Store must be open).
func New(env *pipeline.Env, opt Options) (*Server, error) {
	s := &Server{env: env, today: opt.Today, log: env.Log, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.today == nil {
		loc, err := time.LoadLocation(env.Config.Timezone)
		if err != nil {
			return nil, fmt.Errorf("serve: timezone: %w", err)
		}
		s.today = func() pme.Date { return pme.DateOf(time.Now().In(loc)) }
	}
	s.secure = strings.HasPrefix(env.Config.Web.BaseURL, "https://") || env.Config.Web.TLSCert != ""
	s.cookie = "pme_session"
	if s.secure {
		s.cookie = "__Host-pme_session" // Secure, Path=/, no Domain: the browser enforces all three
	}
	var err error
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// Handler returns the whole application with its protections: bounded bodies, the security
// headers on every response, and cross-origin protection wrapping everything, so that a cross-site
// POST to any path is refused with 403 before a handler sees it.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", r.URL.Path)
		http.Error(w, "Forbidden: this form was sent from another site.", http.StatusForbidden)
	}))
	return s.headers(cop.Handler(s.mux))
}

// headers sets the security headers on every response (web.md).
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store") // every page may show a child's data
		}
		if r.Method != http.MethodPost || r.URL.Path != "/upload" {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// HTTPServer returns an http.Server for addr with the timeouts and limits set.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // an upload of a large return on a slow line
		WriteTimeout:      5 * time.Minute, // an upload is ingested before the answer
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// CheckListen refuses plain HTTP on an address other than loopback, unless base_url says a TLS
// proxy is in front: a session cookie must not cross a network in clear.
func CheckListen(w config.Web) error {
	if w.TLSCert != "" || strings.HasPrefix(w.BaseURL, "https://") {
		return nil
	}
	host, _, err := net.SplitHostPort(w.Addr)
	if err != nil {
		return fmt.Errorf("web.addr %q: %w", w.Addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("web.addr %s is not a loopback address: give web.tls_cert and web.tls_key, or run behind a TLS proxy and set web.base_url to its https:// address (plain HTTP only on 127.0.0.1, for trying it out)", w.Addr)
}

// Serve listens until ctx ends, then shuts down gracefully. Expired sessions are swept every few
// minutes.
func (s *Server) Serve(ctx context.Context) error {
	w := s.env.Config.Web
	if err := CheckListen(w); err != nil {
		return pipeline.UsageError{Msg: err.Error()}
	}
	srv := s.HTTPServer(w.Addr)
	ln, err := net.Listen("tcp", w.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen on %s: %w", w.Addr, err)
	}
	go s.sweep(ctx)
	errc := make(chan error, 1)
	go func() {
		if w.TLSCert != "" {
			errc <- srv.ServeTLS(ln, w.TLSCert, w.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	s.log.Info("serving", "addr", ln.Addr().String(), "tls", w.TLSCert != "")
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Shutdown(shut)
}

func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		if n, err := s.env.EndExpiredSessions(ctx); err != nil {
			s.log.Warn("sweep sessions", "err", err)
		} else if n > 0 {
			s.log.Info("expired sessions ended", "sessions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// requestEnv is the pipeline environment for one request: the run date of today.
func (s *Server) requestEnv() *pipeline.Env {
	e := *s.env
	e.Today = s.today()
	return &e
}

type ctxKey int

const userKey ctxKey = 0

// userOf returns the signed-in user of a request that went through s.page.
func userOf(r *http.Request) pme.User {
	u, _ := r.Context().Value(userKey).(pme.User)
	return u
}

// may says what a page needs of its user.
type may func(pme.User) bool

func anyone(pme.User) bool { return true }

// page wraps a handler that needs a signed-in user allowed by can. Without a session it redirects
// to sign in (303); a user whose role may not see the page gets 404, as for something that does
// not exist, so that nobody can probe for what is there.
func (s *Server) page(can may, h func(w http.ResponseWriter, r *http.Request, e *pipeline.Env)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e := s.requestEnv()
		c, _ := r.Cookie(s.cookie)
		var token string
		if c != nil {
			token = c.Value
		}
		u, err := e.SessionUser(r.Context(), token)
		if errors.Is(err, pipeline.ErrNoSession) {
			if c != nil {
				s.clearCookie(w)
			}
			to := "/sign-in"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				to += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
			return
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if !can(u) {
			s.notFound(w, r)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey, u)), e)
	}
}

func (s *Server) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: s.env.Config.Web.SessionMaxHours * 3600})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// clientAddress is the address sign-ins are throttled by: the connection's peer. Behind a proxy
// that is the proxy, which throttles everyone together; lock-out per account still applies.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// notFound answers 404 with the service's page.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", &view{Title: "Page not found",
		Message: "There is no such page, or it is not one your role can see. Check the address, or go back to the home page."})
}

// serverError answers 500 with a plain message and logs the error, which never holds personal
// data (store errors name operations and ids).
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.render(w, r, http.StatusInternalServerError, "error", &view{Title: "Sorry, there is a problem with the service",
		Message: "The service could not do that just now (it may have lost its database connection). Nothing was half-done: try again in a minute. If it keeps happening, tell the Information and Systems Team the time it happened."})
}

// staticFiles serves the stylesheet; cached, since it carries no personal data.
func staticFiles() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	fsrv := http.FileServerFS(sub)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	}))
}
