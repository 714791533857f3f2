package ingest

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"pme"
)

// Column is one column a sheet may have: its canonical name, the other spellings accepted for it,
// and whether a sheet without it cannot be read.
type Column struct {
	Name     string
	Aliases  []string
	Required bool
}

// HeaderSearchRows is how far down a sheet the header row is looked for: title rows, notes and
// blank rows above the header are common in MIS exports and the council's template.
const HeaderSearchRows = 20

// ErrNoHeader is returned by FindHeader when no row within the first HeaderSearchRows rows has a
// single known column name.
var ErrNoHeader = errors.New("no recognisable header row")

// NormalizeHeader reduces a header cell to the form aliases are compared in: lower case, `_` and
// `-` as spaces, `*` (a required marker) dropped, a trailing hint in brackets such as
// "(dd/mm/yyyy)" or "(Y/N)" dropped, and surrounding and repeated spaces removed.
// "Date_of-Birth* (dd/mm/yyyy)" becomes "date of birth".
func NormalizeHeader(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndexByte(s, '('); i > 0 {
			if head := strings.TrimSpace(strings.ReplaceAll(s[:i], "*", "")); head != "" {
				s = s[:i]
			}
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '*':
			continue
		case r == '_' || r == '-' || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Matcher maps header cells to canonical column names for one set of columns.
type Matcher struct {
	cols   []Column
	byNorm map[string]string // normalised name or alias → canonical name
}

// NewMatcher builds a matcher for cols. extra holds further spellings by canonical name (the
// council's configured aliases); an extra spelling overrides a built-in one that collides with it,
// since configuration is the council's deliberate choice. Extra names of columns not in cols are
// ignored (ValidateAliases reports them).
func NewMatcher(cols []Column, extra map[string][]string) *Matcher {
	m := &Matcher{cols: cols, byNorm: make(map[string]string, len(cols)*4)}
	for _, c := range cols {
		m.byNorm[NormalizeHeader(c.Name)] = c.Name
	}
	for _, c := range cols {
		for _, a := range c.Aliases {
			if n := NormalizeHeader(a); m.byNorm[n] == "" {
				m.byNorm[n] = c.Name
			}
		}
	}
	for name, aliases := range extra {
		canon, ok := m.byNorm[NormalizeHeader(name)]
		if !ok || NormalizeHeader(canon) != NormalizeHeader(name) {
			continue
		}
		for _, a := range aliases {
			if n := NormalizeHeader(a); n != "" {
				m.byNorm[n] = canon
			}
		}
	}
	return m
}

// Match returns the canonical column name of a header cell as written.
func (m *Matcher) Match(header string) (string, bool) {
	name, ok := m.byNorm[NormalizeHeader(header)]
	return name, ok
}

// Columns returns the columns the matcher was built from.
func (m *Matcher) Columns() []Column { return m.cols }

// score counts the cells of a row that name a known column.
func (m *Matcher) score(row []Cell) int {
	n := 0
	for _, c := range row {
		if _, ok := m.Match(c.Value); ok {
			n++
		}
	}
	return n
}

// Header is a sheet's header row mapped onto a set of columns.
type Header struct {
	Row        int            // the header's row number as the school sees it in Excel
	Index      map[string]int // canonical name → cell index
	Written    []string       // every header cell as written (trimmed), by cell index
	Unknown    []int          // indexes of non-blank header cells that name no column
	Repeated   []int          // indexes of header cells naming a column already mapped (the first wins)
	Missing    []string       // required columns not found, in column order
	Recognised int            // how many header cells named a column

	// at holds Index again for the returns' columns, by returnColumnID, as cell index + 1 (0:
	// absent), when resolved is set (MapHeader sets it; reference data builds its Header without
	// it): finding a cell by a map lookup per cell was 13% of the CPU time of parsing a 1M-row
	// return, by at about 6%.
	at       [len(returnColumnNames)]int32
	resolved bool
}

// MapHeader maps a header row onto m's columns.
func (m *Matcher) MapHeader(rowNum int, row []Cell) *Header {
	h := &Header{Row: rowNum, Index: make(map[string]int, len(row)), Written: make([]string, len(row))}
	for i, c := range row {
		h.Written[i] = strings.TrimSpace(c.Value)
		if h.Written[i] == "" {
			continue
		}
		name, ok := m.Match(c.Value)
		switch {
		case !ok:
			h.Unknown = append(h.Unknown, i)
		case h.has(name):
			h.Repeated = append(h.Repeated, i)
		default:
			h.Index[name] = i
			h.Recognised++
		}
	}
	h.resolve()
	for _, c := range m.cols {
		if c.Required && !h.has(c.Name) {
			h.Missing = append(h.Missing, c.Name)
		}
	}
	return h
}

// resolve fills at from Index.
func (h *Header) resolve() {
	h.at = [len(returnColumnNames)]int32{}
	for name, i := range h.Index {
		if id := returnColumnID(name); id >= 0 {
			h.at[id] = int32(i) + 1
		}
	}
	h.resolved = true
}

// index returns the cell index of the named column, or -1.
func (h *Header) index(name string) int {
	if id := returnColumnID(name); id >= 0 && h.resolved {
		return int(h.at[id]) - 1
	}
	if i, ok := h.Index[name]; ok {
		return i
	}
	return -1
}

func (h *Header) has(name string) bool { return h.index(name) >= 0 }

// Has reports whether the sheet has the column.
func (h *Header) Has(name string) bool { return h.has(name) }

// Cell returns the row's cell in the named column; a zero Cell when the sheet lacks the column or
// the row is shorter.
func (h *Header) Cell(row []Cell, name string) Cell {
	if i := h.index(name); i >= 0 && i < len(row) {
		return row[i]
	}
	return Cell{}
}

// Text returns the row's trimmed text in the named column ("" when absent).
func (h *Header) Text(row []Cell, name string) string {
	return trimSpace(h.Cell(row, name).Value)
}

// ColumnName returns the named column's header as written in the file, or the canonical name when
// the sheet lacks the column: issues name columns the way the school sees them.
func (h *Header) ColumnName(name string) string {
	if i := h.index(name); i >= 0 && h.Written[i] != "" {
		return h.Written[i]
	}
	return name
}

// FindHeader reads up to the first HeaderSearchRows rows of it and takes the row with the most
// cells naming a column of cols (the first such row on a tie) as the header. It returns the mapped
// header and an iterator over the rows after it (rows read ahead are replayed). When no row names
// any column it returns ErrNoHeader. The returned iterator's Close closes it.
func FindHeader(it RowIter, cols []Column, extra map[string][]string) (*Header, RowIter, error) {
	m := NewMatcher(cols, extra)
	num, row, rest, err := findHeaderRow(it, m.score)
	if err != nil {
		return nil, nil, err
	}
	return m.MapHeader(num, row), rest, nil
}

// findHeaderRow buffers the first HeaderSearchRows rows, picks the best-scoring one, and returns
// it with an iterator replaying the buffered rows after it before continuing with it.
func findHeaderRow(it RowIter, score func([]Cell) int) (int, []Cell, RowIter, error) {
	var buf []bufferedRow
	best, bestScore := -1, 0
	for it.Next() {
		r := bufferedRow{num: it.Num(), cells: slices.Clone(it.Row())}
		buf = append(buf, r)
		if r.num > HeaderSearchRows {
			break
		}
		if s := score(r.cells); s > bestScore {
			best, bestScore = len(buf)-1, s
		}
	}
	if err := it.Err(); err != nil {
		return 0, nil, nil, err
	}
	if best < 0 {
		return 0, nil, nil, ErrNoHeader
	}
	return buf[best].num, buf[best].cells, &replayIter{RowIter: it, buf: buf[best+1:], pos: -1}, nil
}

type bufferedRow struct {
	num   int
	cells []Cell
}

// replayIter yields rows read ahead during the header search, then the rest of the sheet.
type replayIter struct {
	RowIter
	buf  []bufferedRow
	pos  int
	live bool
}

func (r *replayIter) Next() bool {
	if !r.live {
		r.pos++
		if r.pos < len(r.buf) {
			return true
		}
		r.live = true
		r.buf = nil
	}
	return r.RowIter.Next()
}

// RowsHint passes on the estimate of the iterator it wraps, if it makes one.
func (r *replayIter) RowsHint() int {
	if h, ok := r.RowIter.(rowsHinter); ok {
		return h.RowsHint()
	}
	return 0
}

func (r *replayIter) Row() []Cell {
	if !r.live {
		return r.buf[r.pos].cells
	}
	return r.RowIter.Row()
}

func (r *replayIter) Num() int {
	if !r.live {
		return r.buf[r.pos].num
	}
	return r.RowIter.Num()
}

// Canonical column names of the returns (returns.md). Issues and code use these constants.
const (
	ColLAESTAB     = "LAESTAB"
	ColURN         = "URN"
	ColUPN         = "UPN"
	ColSurname     = "Surname"
	ColForename    = "Forename"
	ColDOB         = "Date of Birth"
	ColGender      = "Gender"
	ColNCYear      = "NC Year"
	ColSEN         = "SEN Provision"
	ColStartDate   = "Start Date"
	ColPlannedEnd  = "Planned End Date"
	ColActualEnd   = "Actual End Date"
	ColHoursPW     = "Hours Per Week"
	ColReason      = "Reason"
	ColParental    = "Parental Agreement"
	ColReviewDate  = "Review Date"
	ColProvider    = "Provider Name"
	ColProviderURN = "Provider URN"
	ColRegistered  = "Provider Registered"
	ColEndDate     = "End Date"
	ColHoursAtProv = "Hours At Provider"
	ColHoursAtSch  = "Hours At School"
	ColCategory    = "Category"
	ColSessions    = "Sessions"
	ColDays        = "Days"
	ColReason2     = "Reason 2"
	ColReason3     = "Reason 3"
	ColSixthDay    = "Sixth Day Provision"
)

// returnColumnNames are the canonical names of the returns' columns, numbered by returnColumnID.
var returnColumnNames = [...]string{ColLAESTAB, ColURN, ColUPN, ColSurname, ColForename, ColDOB,
	ColGender, ColNCYear, ColSEN, ColStartDate, ColPlannedEnd, ColActualEnd, ColHoursPW, ColReason,
	ColParental, ColReviewDate, ColProvider, ColProviderURN, ColRegistered, ColEndDate, ColHoursAtProv,
	ColHoursAtSch, ColCategory, ColSessions, ColDays, ColReason2, ColReason3, ColSixthDay}

// returnColumnID returns the position of a canonical column name in returnColumnNames, or -1. A
// switch on constant strings compiles to a few comparisons, several times cheaper than hashing.
func returnColumnID(name string) int {
	switch name {
	case ColLAESTAB:
		return 0
	case ColURN:
		return 1
	case ColUPN:
		return 2
	case ColSurname:
		return 3
	case ColForename:
		return 4
	case ColDOB:
		return 5
	case ColGender:
		return 6
	case ColNCYear:
		return 7
	case ColSEN:
		return 8
	case ColStartDate:
		return 9
	case ColPlannedEnd:
		return 10
	case ColActualEnd:
		return 11
	case ColHoursPW:
		return 12
	case ColReason:
		return 13
	case ColParental:
		return 14
	case ColReviewDate:
		return 15
	case ColProvider:
		return 16
	case ColProviderURN:
		return 17
	case ColRegistered:
		return 18
	case ColEndDate:
		return 19
	case ColHoursAtProv:
		return 20
	case ColHoursAtSch:
		return 21
	case ColCategory:
		return 22
	case ColSessions:
		return 23
	case ColDays:
		return 24
	case ColReason2:
		return 25
	case ColReason3:
		return 26
	case ColSixthDay:
		return 27
	}
	return -1
}

// CommonColumns are the columns of all three returns.
var CommonColumns = []Column{
	{Name: ColLAESTAB, Aliases: []string{"DfE Number", "DfE No", "LA Estab", "LAEstab", "School Number"}},
	{Name: ColURN, Aliases: []string{"School URN"}},
	{Name: ColUPN, Aliases: []string{"Unique Pupil Number"}, Required: true},
	{Name: ColSurname, Aliases: []string{"Legal Surname", "Last Name", "Family Name"}, Required: true},
	{Name: ColForename, Aliases: []string{"Legal Forename", "First Name", "Given Name"}, Required: true},
	{Name: ColDOB, Aliases: []string{"DOB", "Birth Date"}, Required: true},
	{Name: ColGender, Aliases: []string{"Sex"}},
	{Name: ColNCYear, Aliases: []string{"Year Group", "Year", "National Curriculum Year"}},
	{Name: ColSEN, Aliases: []string{"SEN", "SEN Status"}},
}

// TimetableColumns are the reduced timetable return's own columns.
var TimetableColumns = []Column{
	{Name: ColStartDate, Aliases: []string{"Date Started", "RT Start Date"}, Required: true},
	{Name: ColPlannedEnd, Aliases: []string{"End Date", "Expected End Date", "Review End Date"}},
	{Name: ColActualEnd, Aliases: []string{"Date Ended"}},
	{Name: ColHoursPW, Aliases: []string{"Hours Offered", "Weekly Hours", "Timetabled Hours", "Hours"}, Required: true},
	{Name: ColReason, Aliases: []string{"Reason Code", "RT Reason"}},
	{Name: ColParental, Aliases: []string{"Parent Agreed", "Parental Consent", "Parent/Carer Agreement"}},
	{Name: ColReviewDate, Aliases: []string{"Next Review Date", "Review"}},
}

// PlacementColumns are the alternative provision return's own columns.
var PlacementColumns = []Column{
	{Name: ColProvider, Aliases: []string{"AP Provider", "Provider", "Provision Name"}, Required: true},
	{Name: ColProviderURN, Aliases: []string{"Provider UKPRN", "Provider ID"}},
	{Name: ColRegistered, Aliases: []string{"Registered", "Registered School"}},
	{Name: ColStartDate, Aliases: []string{"AP Start Date"}, Required: true},
	{Name: ColEndDate, Aliases: []string{"Planned End Date", "AP End Date"}},
	{Name: ColHoursAtProv, Aliases: []string{"AP Hours", "Hours Per Week At Provider", "Hours Per Week"}, Required: true},
	{Name: ColHoursAtSch, Aliases: []string{"School Hours"}},
	{Name: ColReason, Aliases: []string{"AP Reason"}},
}

// SuspensionColumns are the suspensions return's own columns. Sessions is not required as a
// column: permanent and lunchtime exclusions need none, and a Days column may stand in for it;
// a suspension row without sessions is a REQUIRED error on the row.
var SuspensionColumns = []Column{
	{Name: ColCategory, Aliases: []string{"Exclusion Type", "Type", "Exclusion Category"}, Required: true},
	{Name: ColStartDate, Aliases: []string{"Exclusion Start Date", "Date"}, Required: true},
	{Name: ColSessions, Aliases: []string{"Number of Sessions", "Sessions Missed", "No. of Sessions"}},
	{Name: ColDays, Aliases: []string{"Number of Days", "No. of Days", "Days Missed"}},
	{Name: ColReason, Aliases: []string{"Reason 1", "Exclusion Reason", "Reason Code"}, Required: true},
	{Name: ColReason2},
	{Name: ColReason3},
	{Name: ColSixthDay, Aliases: []string{"Day 6 Provision"}},
}

// ReturnColumns returns every column of a return type: the common ones, then its own.
func ReturnColumns(t pme.ReturnType) []Column {
	var own []Column
	switch t {
	case pme.ReducedTimetable:
		own = TimetableColumns
	case pme.AlternativeProvision:
		own = PlacementColumns
	case pme.Suspensions:
		own = SuspensionColumns
	case pme.AttendanceMarks, pme.AttendanceMarksWide, pme.AttendanceSummary:
		return attendanceColumns(t)
	}
	return append(slices.Clip(CommonColumns), own...)
}

// ValidateAliases checks configured aliases: each key must be the canonical name of a column of
// some return (compared as NormalizeHeader does), and no alias may be blank.
func ValidateAliases(aliases map[string][]string) error {
	known := map[string]bool{}
	for _, t := range append(slices.Clip(pme.ReturnTypes), pme.AttendanceTypes...) {
		for _, c := range ReturnColumns(t) {
			known[NormalizeHeader(c.Name)] = true
		}
	}
	names := make([]string, 0, len(aliases))
	for name := range aliases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !known[NormalizeHeader(name)] {
			return fmt.Errorf("aliases: %q is not a column of any return (use a canonical name such as %q)", name, ColDOB)
		}
		for _, a := range aliases[name] {
			if NormalizeHeader(a) == "" {
				return fmt.Errorf("aliases: %q has a blank alias", name)
			}
		}
	}
	return nil
}

// sheetHint returns the return type a sheet's name points to ("" when none): it breaks a tie
// between types whose required columns a sheet has.
func sheetHint(name string) pme.ReturnType {
	words := strings.Fields(NormalizeHeader(name))
	for _, w := range words {
		switch {
		case w == "rt" || strings.HasPrefix(w, "reduced") || strings.HasPrefix(w, "timetable"):
			return pme.ReducedTimetable
		case w == "ap" || strings.HasPrefix(w, "alternative"):
			return pme.AlternativeProvision
		case strings.HasPrefix(w, "suspension") || strings.HasPrefix(w, "exclusion"):
			return pme.Suspensions
		}
	}
	return ""
}

// returnSchema holds a return type's matcher, built once per Parse with the configured aliases.
type returnSchema struct {
	typ     pme.ReturnType
	matcher *Matcher
}

// classification is the outcome of classifying a header row.
type classification struct {
	schema  *returnSchema
	header  *Header
	missing *Header // when schema is nil: the closest type's mapping, for FILE_MISSING_COLUMNS
	closest pme.ReturnType
}

// classify maps the header row with every type's columns and picks the type whose required
// columns are all present. Several such types: the sheet name's type if it is one of them, else
// the type recognising the most header cells, else the first in spec order. None: the closest
// type (fewest missing, the same tie-breaks) is returned for the missing-columns message.
func classify(schemas []*returnSchema, sheet string, rowNum int, row []Cell) classification {
	hint := sheetHint(sheet)
	var full, near classification
	better := func(cur classification, t pme.ReturnType, h *Header, byMissing bool) bool {
		if cur.header == nil {
			return true
		}
		if byMissing && len(h.Missing) != len(cur.header.Missing) {
			return len(h.Missing) < len(cur.header.Missing)
		}
		if (t == hint) != (cur.closest == hint) {
			return t == hint
		}
		return h.Recognised > cur.header.Recognised
	}
	for _, s := range schemas {
		h := s.matcher.MapHeader(rowNum, row)
		if len(h.Missing) == 0 {
			if better(full, s.typ, h, false) {
				full = classification{schema: s, header: h, closest: s.typ}
			}
			continue
		}
		if full.header == nil && better(near, s.typ, h, true) {
			near = classification{header: h, closest: s.typ}
		}
	}
	if full.schema != nil {
		return full
	}
	return classification{missing: near.header, closest: near.closest}
}

// suggest returns the canonical column whose name or alias is nearest to an unknown header, or ""
// when none is close enough to be a likely misspelling.
func suggest(m *Matcher, header string) string {
	n := NormalizeHeader(header)
	if n == "" {
		return ""
	}
	best, bestD := "", 1<<30
	for alias, canon := range m.byNorm {
		d := editDistance(n, alias)
		if d < bestD || (d == bestD && canon < best) {
			best, bestD = canon, d
		}
	}
	limit := max(2, utf8.RuneCountInString(n)/3)
	if bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, by rune.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
