package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"pme"
)

// COPY text and array parameters, written byte by byte rather than through database/sql.

// encodeLines appends the lines of n rows to b.
func encodeLines(b []byte, n int, line func(b []byte, i int) ([]byte, error)) ([]byte, error) {
	var err error
	for i := 0; i < n; i++ {
		if b, err = line(b, i); err != nil {
			return b, err
		}
	}
	return b, nil
}

// valueLines adapts rows of values to copyIn: row gives the i-th row's values, nil to skip it.
func valueLines(row func(i int) []any) func(b []byte, i int) ([]byte, error) {
	return func(b []byte, i int) ([]byte, error) {
		vals := row(i)
		if vals == nil {
			return b, nil
		}
		var err error
		for j, v := range vals {
			if j > 0 {
				b = append(b, '\t')
			}
			if b, err = appendCopyValue(b, v); err != nil {
				return b, err
			}
		}
		return append(b, '\n'), nil
	}
}

// appendRecordLine appends a record's line of COPY text, its values in recordColumns order (those
// of recordArgs). A large file's rows are written this way, field by field: boxing each value in
// an interface cost a fifth of the store's own time.
func appendRecordLine(b []byte, ft *FileTx, p *pendingRecord, pupilID int64) []byte {
	r := &p.rec
	b = strconv.AppendInt(b, ft.fileID, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, ft.sheet.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(r.Row), 10)
	b = appendCopyField(b, r.LAESTAB)
	b = append(b, '\t')
	b = strconv.AppendInt(b, pupilID, 10)
	b = appendCopyDate(b, ft.received)
	switch r.Type {
	case pme.ReducedTimetable:
		t := &p.tt
		b = appendCopyDate(b, t.StartDate)
		b = appendCopyDate(b, t.PlannedEndDate)
		b = appendCopyDate(b, t.ActualEndDate)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, t.HoursPerWeek, 'g', -1, 64)
		b = appendCopyField(b, t.Reason)
		b = appendCopyField(b, t.ParentalAgreement)
		b = appendCopyDate(b, t.ReviewDate)
	case pme.AlternativeProvision:
		a := &p.pl
		b = appendCopyField(b, a.ProviderName)
		b = appendCopyField(b, a.ProviderURN)
		b = appendCopyField(b, a.ProviderUKPRN)
		b = appendCopyField(b, a.ProviderRegistered)
		b = appendCopyDate(b, a.StartDate)
		b = appendCopyDate(b, a.EndDate)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, a.HoursAtProvider, 'g', -1, 64)
		b = append(b, '\t')
		b = strconv.AppendFloat(b, a.HoursAtSchool, 'g', -1, 64)
		b = appendCopyField(b, a.Reason)
	default:
		s := &p.su
		b = appendCopyField(b, s.Category)
		b = appendCopyDate(b, s.StartDate)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(s.Sessions), 10)
		b = appendCopyField(b, s.Reason)
		b = appendCopyField(b, s.Reason2)
		b = appendCopyField(b, s.Reason3)
		b = appendCopyField(b, s.SixthDayProvision)
	}
	return append(b, '\n')
}

// appendPupilLine appends a new pupil's line of COPY text, its values in pupilColumns order (those
// of pupilArgs, then id and file_id).
func (w *pgWriter) appendPupilLine(b []byte, st *pupilState) []byte {
	p := &st.p
	b = appendCopyText(b, p.UPN)
	b = append(b, '\t')
	if st.temp {
		b = append(b, 't')
	} else {
		b = append(b, 'f')
	}
	b = appendCopyField(b, p.Surname)
	b = appendCopyField(b, p.Forename)
	b = appendCopyField(b, nameKey(p.Surname, p.Forename))
	b = appendCopyDate(b, p.DOB)
	b = appendCopyField(b, p.Gender)
	b = appendCopyField(b, p.NCYear)
	b = appendCopyField(b, p.SEN)
	b = append(b, '\t')
	b = strconv.AppendInt(b, st.id, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, w.ft.fileID, 10)
	return append(b, '\n')
}

// appendCopyField appends a tab and s as COPY text.
func appendCopyField(b []byte, s string) []byte {
	return appendCopyText(append(b, '\t'), s)
}

// appendCopyDate appends a tab and d as COPY text: \N when it is zero.
func appendCopyDate(b []byte, d pme.Date) []byte {
	b = append(b, '\t')
	if d.IsZero() {
		return append(b, `\N`...)
	}
	return appendDate(b, d)
}

// appendCopyValue appends v in COPY's text format: NULL as \N, and backslash, tab, newline and
// carriage return escaped in text.
func appendCopyValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, `\N`...), nil
	case string:
		return appendCopyText(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), nil
	case pme.Date:
		if x.IsZero() {
			return append(b, `\N`...), nil
		}
		return appendDate(b, x), nil
	case timestamp:
		if time.Time(x).IsZero() {
			return append(b, `\N`...), nil
		}
		return time.Time(x).UTC().AppendFormat(b, time.RFC3339Nano), nil
	}
	return b, fmt.Errorf("copy: no text form for %T", v)
}

// appendDate appends d as YYYY-MM-DD, by hand: time's layout machinery cost a tenth of the copy.
func appendDate(b []byte, d pme.Date) []byte {
	y, m, day := d.Time().Date()
	if y < 1000 || y > 9999 {
		return d.Time().AppendFormat(b, time.DateOnly)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+day/10), byte('0'+day%10))
}

func appendCopyText(b []byte, s string) []byte {
	if !needsCopyEscape(s) {
		return append(b, s...) // nearly always: a byte at a time took twice as long (BenchmarkAppendCopyText)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '\t':
			b = append(b, '\\', 't')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, c)
		}
	}
	return b
}

// needsCopyEscape reports whether s holds a byte COPY's text format escapes.
func needsCopyEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '\t' || c == '\n' || c == '\r' {
			return true
		}
	}
	return false
}

// arrayArgs encodes n rows (row(i) gives the i-th row's ncols values, nil to skip the row) as one
// array parameter per column, for INSERT … SELECT FROM unnest(…) (see unnestFrom): a batch in one
// statement of ncols parameters, with no staging table (creating and dropping one cost a small
// file more than its rows).
func (w *pgWriter) arrayArgs(ncols, n int, row func(i int) []any) ([]any, error) {
	cols := slices.Grow(w.cols[:0], ncols)[:ncols]
	for j := range cols {
		cols[j] = append(cols[j][:0], '{')
	}
	for i := 0; i < n; i++ {
		vals := row(i)
		if vals == nil {
			continue
		}
		for j, v := range vals {
			var err error
			if len(cols[j]) > 1 {
				cols[j] = append(cols[j], ',')
			}
			if cols[j], err = appendArrayValue(cols[j], v); err != nil {
				return nil, err
			}
		}
	}
	args := make([]any, ncols)
	for j := range cols {
		cols[j] = append(cols[j], '}')
		args[j] = string(cols[j])
	}
	w.cols = cols
	return args, nil
}

// appendArrayValue appends v as an element of an array literal: NULL, or its text double-quoted
// with backslash and double quote escaped.
func appendArrayValue(b []byte, v any) ([]byte, error) {
	if x, ok := v.(string); ok {
		b = append(b, '"')
		for i := 0; i < len(x); i++ {
			if c := x[i]; c == '"' || c == '\\' {
				b = append(b, '\\')
			}
			b = append(b, x[i])
		}
		return append(b, '"'), nil
	}
	// Numbers, booleans, dates and times have the same text as in COPY, with no character an
	// array literal would need quoted: only NULL is written differently.
	n := len(b)
	b, err := appendCopyValue(b, v)
	if string(b[n:]) == `\N` {
		b = append(b[:n], "NULL"...)
	}
	return b, err
}

// unnestFrom returns "unnest($first::type[], …) AS r(col, …)": the rows of arrayArgs' parameters,
// numbered from first.
func unnestFrom(cols []string, first int) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for j, c := range cols {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", first+j, pgColumnTypes[c])
	}
	b.WriteString(") AS r(" + strings.Join(cols, ", ") + ")")
	return b.String()
}
