package reports

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"pme"
)

// The letters' configuration and the reply-by date. The rest of the letters: letter_plan.go (which
// letters are due), letter_data.go (what a letter says), letter_print.go (making and reprinting a
// PDF), letter_text.go (the template's text as blocks), letter_layout.go (the page), letter_font.go
// (fonts and missing glyphs), letter_manifest.go (manifest.csv), letter_template.go (the template).

// LetterConfig is the letters section of the configuration (cli.md): the letterhead, the
// signatory, the reply period and the files the letters are printed with.
type LetterConfig struct {
	Council         string
	Service         string
	Address         []string
	Signatory       LetterSignatory
	ReplySchoolDays int    // school days from the letter's date to the reply-by date; 10 when 0
	TemplatePath    string // "" for the built-in template
	FontPath        string // "" for the built-in DejaVu Sans
}

// LetterSignatory signs the letters.
type LetterSignatory struct {
	Name string
	Role string
}

// DefaultReplySchoolDays is the reply period when letters.reply_school_days is not set.
const DefaultReplySchoolDays = 10

// Validate reports what is missing from the letters configuration, naming the keys: a letter with
// no letterhead or no signatory must not go out.
func (c LetterConfig) Validate() error {
	var errs []error
	need := func(key, v string) {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is not set: letters print it", key))
		}
	}
	need("letters.council", c.Council)
	need("letters.service", c.Service)
	need("letters.signatory.name", c.Signatory.Name)
	need("letters.signatory.role", c.Signatory.Role)
	if len(c.Address) == 0 {
		errs = append(errs, errors.New("letters.address is not set: the letterhead prints it"))
	}
	if c.ReplySchoolDays < 0 || c.ReplySchoolDays > 60 {
		errs = append(errs, errors.New("letters.reply_school_days must be between 1 and 60"))
	}
	return errors.Join(errs...)
}

func (c LetterConfig) replyDays() int {
	if c.ReplySchoolDays == 0 {
		return DefaultReplySchoolDays
	}
	return c.ReplySchoolDays
}

// ReplyBy returns the date n school days after from (from itself not counted). isSchoolDay is the
// school calendar's test; nil counts Monday to Friday.
func ReplyBy(from pme.Date, n int, isSchoolDay func(pme.Date) bool) pme.Date {
	if isSchoolDay == nil {
		isSchoolDay = func(d pme.Date) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }
	}
	d := from
	// A calendar with no school days ahead (a year not loaded) must not loop for ever: stop after
	// a year and fall back to weekdays.
	for counted, steps := 0, 0; counted < n; steps++ {
		d = d.AddDays(1)
		if steps > 366 {
			return ReplyBy(from, n, nil)
		}
		if isSchoolDay(d) {
			counted++
		}
	}
	return d
}

// mapStrings replaces every string in the struct v points to (and in its string lists, copied, so
// the caller's are untouched) with fn(path, s), path naming the field ("Pupil.Forename",
// "School.Address[1]").
func mapStrings(v any, fn func(path, s string) string) {
	mapValue(reflect.ValueOf(v).Elem(), "", fn)
}

func mapValue(v reflect.Value, prefix string, fn func(path, s string) string) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		if !f.IsExported() {
			continue
		}
		name := prefix + f.Name
		switch fv.Kind() {
		case reflect.String:
			fv.SetString(fn(name, fv.String()))
		case reflect.Slice:
			if fv.Type().Elem().Kind() != reflect.String || fv.IsNil() {
				continue
			}
			cp := make([]string, fv.Len())
			for j := range cp {
				cp[j] = fn(fmt.Sprintf("%s[%d]", name, j), fv.Index(j).String())
			}
			fv.Set(reflect.ValueOf(cp))
		case reflect.Struct:
			mapValue(fv, name+".", fn)
		}
	}
}
