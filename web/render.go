package web

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"pme"
	"pme/pipeline"
	"pme/reports"
)

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string   // the section the page belongs to, for the navigation
	User    pme.User // the signed-in user; zero on the sign-in page
	AsAt    pme.Date // the run date the page's data is as at
	Today   pme.Date
	Message string   // the error page's message
	Notice  string   // a confirmation after a form ("Note added.")
	Errors  []string // a form's validation errors
	Data    any
}

var funcs = template.FuncMap{
	"date": func(d pme.Date) string {
		if d.IsZero() {
			return ""
		}
		return d.UK()
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Local().Format("02/01/2006 15:04")
	},
	"join": strings.Join,
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	// query returns the page's query with key set to value (and the page reset unless it is the
	// key), for sort links and paging that keep the filter.
	"query": func(q url.Values, key, value string) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		if key != "page" {
			v.Del("page")
		}
		if value == "" {
			v.Del(key)
		} else {
			v.Set(key, value)
		}
		if len(v) == 0 {
			return "?"
		}
		return "?" + v.Encode()
	},
	"add":  func(a, b int) int { return a + b },
	"list": func(s ...string) []string { return s },
	"args": func(a ...any) []any { return a }, // several values for a {{template}}
	// token is a fresh one-time token for a form (see pipeline.UseForm).
	"token": func() (string, error) { return pipeline.NewFormToken() },
	"upper": strings.ToUpper,
	// The Returns page: return types as a school office knows them, and the grid's short headings.
	"typeName":       func(t any) string { return pipeline.TypeName(pme.ReturnType(fmt.Sprint(t))) },
	"shortType":      func(t pme.ReturnType) string { return cmp.Or(shortTypes[t], string(t)) },
	"returnsCounts":  reports.ReturnsCountLine,
	"shortDate":      func(d pme.Date) string { return d.Time().Format("02/01") }, // the grid's dates: the period gives the year
	"historyPeriods": func() int { return pipeline.HistoryPeriods },
	// The child on the Case page: the NC year group and SEN provision in words (the census codes).
	"yearGroup": func(y string) string {
		switch {
		case y == "":
			return "Not known"
		case y == "R":
			return "Reception"
		case strings.HasPrefix(y, "N"):
			return "Nursery (" + y + ")"
		}
		return "Year " + y
	},
	"senName": func(c string) string {
		switch c {
		case "E":
			return "EHC plan (E)"
		case "K":
			return "SEN support (K)"
		case "N":
			return "No special educational need (N)"
		}
		return "Not known"
	},
}

// shortTypes head the Returns grid's columns, as on the workbook's Returns sheet.
var shortTypes = map[pme.ReturnType]string{pme.ReducedTimetable: "RT", pme.AlternativeProvision: "AP", pme.Suspensions: "Susp."}

func parseTemplates() (map[string]*template.Template, error) {
	pages, err := assets.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(p.Name(), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", path.Join("templates", p.Name()))
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes the page, buffered so that a template error becomes a clean 500.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.User.ID == 0 {
		v.User = userOf(r)
	}
	var buf bytes.Buffer
	if err := s.tmpl[name].Execute(&buf, v); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "Sorry, there is a problem with the service: the page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
