package calendar

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"pme"
)

// MaxFileBytes bounds a calendar file: a real one is a few kilobytes.
const MaxFileBytes = 1 << 20

// Parse reads a calendar file, YAML or CSV, and returns its terms and closure days. The format
// follows the name's extension (.yaml/.yml or .csv/.txt); with another extension, a first line
// starting "Type," means CSV and anything else YAML. Errors name the file and the line.
//
// YAML:
//
//	terms:
//	  - {name: Autumn 2026, start: 2026-09-01, end: 2026-12-18}
//	closures:
//	  - {date: 2026-09-01, reason: INSET}
//	  - {from: 2026-10-26, to: 2026-10-30, reason: Half-term}
//
// CSV, with a header row: Type (term or closure; INSET, holiday and half-term also mean a
// closure), Name (or Reason), Start, End. A closure's End may be blank for a single day.
//
// Dates are written 2026-09-01 or 01/09/2026. A closure range keeps only its weekdays. Parse checks
// the form of each entry; New checks how they fit together (overlaps, closures outside terms).
func Parse(r io.Reader, name string) ([]pme.Term, []pme.Closure, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read calendar %s: %w", name, err)
	}
	if len(b) > MaxFileBytes {
		return nil, nil, fmt.Errorf("calendar %s: larger than %d bytes, not a calendar file", name, MaxFileBytes)
	}
	b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	var terms []pme.Term
	var closures []pme.Closure
	if isCSV(b, name) {
		terms, closures, err = parseCSV(b)
	} else {
		terms, closures, err = parseYAML(b)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("calendar %s: %w", name, err)
	}
	if len(terms) == 0 {
		return nil, nil, fmt.Errorf("calendar %s: no terms", name)
	}
	return terms, closures, nil
}

func isCSV(b []byte, name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return true
	case ".yaml", ".yml":
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		return strings.HasPrefix(strings.ToLower(line), "type,")
	}
	return false
}

// yamlEntry is one term or closure as written; dates stay text so that both forms are read and
// errors can quote them.
type yamlEntry struct {
	Name   string `yaml:"name"`
	Start  string `yaml:"start"`
	End    string `yaml:"end"`
	Date   string `yaml:"date"`
	From   string `yaml:"from"`
	To     string `yaml:"to"`
	Reason string `yaml:"reason"`
}

func parseYAML(b []byte) ([]pme.Term, []pme.Closure, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, errors.New("want a mapping with terms: and closures:")
	}
	root := doc.Content[0]
	var terms []pme.Term
	var closures []pme.Closure
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if key.Value != "terms" && key.Value != "closures" {
			return nil, nil, fmt.Errorf("line %d: unknown key %q (want terms or closures)", key.Line, key.Value)
		}
		if val.Kind != yaml.SequenceNode {
			if val.Tag == "!!null" {
				continue
			}
			return nil, nil, fmt.Errorf("line %d: %s must be a list", val.Line, key.Value)
		}
		for _, item := range val.Content {
			var e yamlEntry
			if err := item.Decode(&e); err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", item.Line, err)
			}
			var err error
			if key.Value == "terms" {
				var t pme.Term
				t, err = e.term()
				terms = append(terms, t)
			} else {
				var cs []pme.Closure
				cs, err = e.closures()
				closures = append(closures, cs...)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", item.Line, err)
			}
		}
	}
	return terms, closures, nil
}

func (e yamlEntry) term() (pme.Term, error) {
	if strings.TrimSpace(e.Name) == "" {
		return pme.Term{}, errors.New("a term needs a name")
	}
	return buildTerm(e.Name, e.Start, e.End)
}

func (e yamlEntry) closures() ([]pme.Closure, error) {
	switch {
	case e.Date != "" && (e.From != "" || e.To != ""):
		return nil, errors.New("a closure has either date or from/to, not both")
	case e.Date != "":
		return closureRange(e.Reason, e.Date, e.Date)
	case e.From != "":
		to := e.To
		if to == "" {
			to = e.From
		}
		return closureRange(e.Reason, e.From, to)
	}
	return nil, errors.New("a closure needs a date, or from and to")
}

func buildTerm(name, start, end string) (pme.Term, error) {
	s, err := parseDate("start", start)
	if err != nil {
		return pme.Term{}, err
	}
	e, err := parseDate("end", end)
	if err != nil {
		return pme.Term{}, err
	}
	t := pme.Term{Name: strings.TrimSpace(name), Start: s, End: e}
	return t, checkTerm(t)
}

// closureRange expands from..to into its weekdays.
func closureRange(reason, from, to string) ([]pme.Closure, error) {
	a, err := parseDate("closure date", from)
	if err != nil {
		return nil, err
	}
	b, err := parseDate("closure end", to)
	if err != nil {
		return nil, err
	}
	if b.Before(a) {
		return nil, fmt.Errorf("closure ends (%s) before it starts (%s)", b, a)
	}
	if a.DaysUntil(b) > 366 {
		return nil, fmt.Errorf("closure from %s to %s is longer than a year", a, b)
	}
	reason = strings.TrimSpace(reason)
	var out []pme.Closure
	for d := a; !d.After(b); d = d.AddDays(1) {
		if weekday(d) || a.Equal(b) {
			out = append(out, pme.Closure{Date: d, Reason: reason})
		}
	}
	return out, nil
}

// parseDate reads 2026-09-01 or 01/09/2026 (also 1/9/2026).
func parseDate(what, s string) (pme.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return pme.Date{}, fmt.Errorf("%s is missing", what)
	}
	for _, layout := range []string{time.DateOnly, "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return pme.DateOf(t), nil
		}
	}
	return pme.Date{}, fmt.Errorf("%s %q is not a date (write 2026-09-01 or 01/09/2026)", what, s)
}

// csvColumns are the CSV header names, with the spellings accepted for each.
var csvColumns = map[string]string{"type": "type", "name": "name", "reason": "name", "start": "start",
	"start date": "start", "date": "start", "from": "start", "end": "end", "end date": "end", "to": "end"}

func parseCSV(b []byte) ([]pme.Term, []pme.Closure, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range header {
		if c, ok := csvColumns[strings.ToLower(strings.TrimSpace(h))]; ok {
			if _, dup := idx[c]; !dup {
				idx[c] = i
			}
		}
	}
	for _, c := range []string{"type", "name", "start"} {
		if _, ok := idx[c]; !ok {
			return nil, nil, fmt.Errorf("line 1: no %s column (want Type, Name, Start, End)", c)
		}
	}
	var terms []pme.Term
	var closures []pme.Closure
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err // a csv.ParseError names its line
		}
		line, _ := cr.FieldPos(0)
		get := func(c string) string {
			if i, ok := idx[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		switch strings.ToLower(get("type")) {
		case "":
			if strings.TrimSpace(strings.Join(rec, "")) == "" {
				continue
			}
			return nil, nil, fmt.Errorf("line %d: Type is blank (want term or closure)", line)
		case "term":
			if get("name") == "" {
				return nil, nil, fmt.Errorf("line %d: a term needs a name", line)
			}
			t, err := buildTerm(get("name"), get("start"), get("end"))
			if err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", line, err)
			}
			terms = append(terms, t)
		case "closure", "inset", "holiday", "bank holiday", "half-term", "half term":
			end := get("end")
			if end == "" {
				end = get("start")
			}
			cs, err := closureRange(get("name"), get("start"), end)
			if err != nil {
				return nil, nil, fmt.Errorf("line %d: %w", line, err)
			}
			closures = append(closures, cs...)
		default:
			return nil, nil, fmt.Errorf("line %d: Type %q is not term or closure", line, get("type"))
		}
	}
	return terms, closures, nil
}
