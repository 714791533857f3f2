package compliance

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"time"

	"pme"
)

// Input is everything the statuses are decided from.
type Input struct {
	Schools  []pme.ExpectedSchool
	Periods  []pme.Period // contiguous, oldest first
	Types    []pme.ReturnType
	Receipts []pme.Receipt      // accepted sheets; those outside the periods are ignored
	Rejected []pme.RejectedFile // files refused as a whole, with the schools their name and rows give
	Today    pme.Date
	// Since is the first day pme received any return: a period that ended before it counts nothing
	// (pme was not yet taking returns, so silence then says nothing about the school).
	Since pme.Date
}

// Cell is one school's status for one period and return type: Status "" when nothing is
// expected (the school was not open on the due date, the period has no school day, or it ended
// before pme received returns). Received and Rows are the sheet that decided it, if any.
type Cell struct {
	Status   pme.ReturnStatus `json:"status"`
	Received pme.Date         `json:"received,omitempty"`
	Rows     int              `json:"rows"`
}

// Grid is the status of every expected school, period and return type.
type Grid struct {
	Periods []pme.Period
	Types   []pme.ReturnType
	Schools []pme.ExpectedSchool
	Today   pme.Date
	Since   pme.Date
	cells   []cell // [school][period][type]
	index   map[string]int
	dues    []int32 // each period's due date, as a day number (0: nothing expected)
}

// cell is a Cell without pointers, so that the garbage collector never scans a national grid:
// 12 bytes instead of 48.
type cell struct {
	status   uint8 // an index of statuses, 0 = nothing expected
	received int32 // day number (see day), 0 = none
	rows     int32
}

// statuses maps cell.status to the status; the order is worst first from 1 (see Worst).
var statuses = []pme.ReturnStatus{"", pme.StatusMissing, pme.StatusRejectedOnly, pme.StatusLate,
	pme.StatusNotDue, pme.StatusNil, pme.StatusReturned}

const (
	stNone uint8 = iota
	stMissing
	stRejectedOnly
	stLate
	stNotDue
	stNil
	stReturned
)

// day numbers days from 1970-01-01, plus one so that 0 is "no date".
func day(d pme.Date) int32 {
	if d.IsZero() {
		return 0
	}
	return int32(d.Time().Unix()/86400) + 1
}

func dateOf(n int32) pme.Date {
	if n == 0 {
		return pme.Date{}
	}
	return pme.DateOf(time.Unix(int64(n-1)*86400, 0).UTC())
}

// Cell returns the cell of school s (an index of Schools), period p and type t.
func (g *Grid) Cell(s, p, t int) Cell {
	c := g.cells[(s*len(g.Periods)+p)*len(g.Types)+t]
	return Cell{Status: statuses[c.status], Received: dateOf(c.received), Rows: int(c.rows)}
}

func (g *Grid) status(s, p, t int) uint8 { return g.cells[(s*len(g.Periods)+p)*len(g.Types)+t].status }

func (g *Grid) cell(s, p, t int) *cell { return &g.cells[(s*len(g.Periods)+p)*len(g.Types)+t] }

// School returns the index of the school with this LAESTAB, or -1.
func (g *Grid) School(laestab string) int {
	if i, ok := g.index[laestab]; ok {
		return i
	}
	return -1
}

// Compute decides every status.
func Compute(in Input) *Grid {
	g := &Grid{Periods: in.Periods, Types: in.Types, Schools: in.Schools, Today: in.Today, Since: in.Since,
		index: make(map[string]int, len(in.Schools)), dues: make([]int32, len(in.Periods))}
	for i, s := range in.Schools {
		g.index[s.LAESTAB] = i
	}
	for i, p := range in.Periods {
		g.dues[i] = day(p.Due)
	}
	g.cells = make([]cell, len(in.Schools)*len(in.Periods)*len(in.Types))
	if len(in.Periods) == 0 || len(in.Types) == 0 {
		return g
	}
	for _, r := range in.Receipts {
		s, p := g.School(r.LAESTAB), g.period(r.Received)
		t := g.typeIndex(r.Type)
		if s < 0 || p < 0 || t < 0 {
			continue
		}
		c, rd := g.cell(s, p, t), day(r.Received)
		if r.Rows > 0 && r.Accepted == 0 {
			// Every row rejected: the school tried, but none of its data is in.
			rejected(c, rd)
			continue
		}
		status := stReturned
		if r.Rows == 0 {
			status = stNil
		}
		if rd <= g.dues[p] {
			// On time: the latest on-time sheet is the one that stands.
			if !good(c.status) || rd >= c.received {
				*c = cell{status: status, received: rd, rows: int32(r.Accepted)}
			}
		} else if !good(c.status) && (c.status != stLate || rd < c.received) {
			*c = cell{status: stLate, received: rd, rows: int32(r.Accepted)}
		}
	}
	for _, f := range in.Rejected {
		p := g.period(f.Received)
		if p < 0 {
			continue
		}
		// The school the file's name gives, and every school its readable rows name: each tried.
		for i := -1; i < len(f.Schools); i++ {
			la := f.LAESTAB
			if i >= 0 {
				la = f.Schools[i]
				if la == f.LAESTAB {
					continue
				}
			}
			s := g.School(la)
			if s < 0 {
				continue
			}
			for t := range g.Types {
				rejected(g.cell(s, p, t), day(f.Received))
			}
		}
	}
	today := day(in.Today)
	for s, sch := range g.Schools {
		for p, per := range g.Periods {
			counted := ExpectedIn(sch, per) && !per.End.Before(in.Since)
			for t := range g.Types {
				c := g.cell(s, p, t)
				switch {
				case !counted:
					*c = cell{}
				case c.status != stNone:
				case today > g.dues[p]:
					c.status = stMissing
				default:
					c.status = stNotDue
				}
			}
		}
	}
	return g
}

// rejected marks a cell rejected-only unless something better already arrived.
func rejected(c *cell, received int32) {
	if c.status == stNone || (c.status == stRejectedOnly && received < c.received) {
		*c = cell{status: stRejectedOnly, received: received}
	}
}

// good: returned or nil on time.
func good(s uint8) bool { return s == stReturned || s == stNil }

// period returns the index of the period containing d, or -1.
func (g *Grid) period(d pme.Date) int {
	i := sort.Search(len(g.Periods), func(i int) bool { return !g.Periods[i].End.Before(d) })
	if i < len(g.Periods) && !g.Periods[i].Start.After(d) {
		return i
	}
	return -1
}

func (g *Grid) typeIndex(t pme.ReturnType) int {
	for i, x := range g.Types {
		if x == t {
			return i
		}
	}
	return -1
}

// MissingInARow returns how many periods in a row, ending with the last of the grid, the school
// was missing at least one return type. A period not yet due or with nothing expected (a holiday)
// is stepped over; one before the school opened or before pme received returns ends the count.
func (g *Grid) MissingInARow(s int) int {
	n := 0
	today := day(g.Today)
	for p := len(g.Periods) - 1; p >= 0; p-- {
		if g.dues[p] == 0 || today <= g.dues[p] {
			continue
		}
		missing, counted := false, false
		for t := range g.Types {
			st := g.status(s, p, t)
			counted = counted || st != stNone
			missing = missing || st == stMissing
		}
		if !counted || !missing {
			break
		}
		n++
	}
	return n
}

// MissingTypes returns the types the school is missing in period p.
func (g *Grid) MissingTypes(s, p int) []pme.ReturnType {
	var out []pme.ReturnType
	for t, typ := range g.Types {
		if g.status(s, p, t) == stMissing {
			out = append(out, typ)
		}
	}
	return out
}

// MissedSince returns how many periods that began after since the school was missing the type:
// for STALE_RETURN, the periods missed since a snapshot was returned.
func (g *Grid) MissedSince(s int, typ pme.ReturnType, since pme.Date) int {
	t := g.typeIndex(typ)
	if s < 0 || t < 0 {
		return 0
	}
	n := 0
	for p, per := range g.Periods {
		if per.Start.After(since) && g.status(s, p, t) == stMissing {
			n++
		}
	}
	return n
}

// Worst returns the school's worst status over the grid: missing first, then rejected-only, late,
// not-due, nil and returned; "" when nothing is expected at all.
func (g *Grid) Worst(s int) pme.ReturnStatus { return statuses[g.worst(s)] }

func (g *Grid) worst(s int) uint8 {
	per := len(g.Periods) * len(g.Types)
	w := stNone
	for _, c := range g.cells[s*per : (s+1)*per] {
		if c.status != stNone && (w == stNone || c.status < w) {
			w = c.status
		}
	}
	return w
}

// WorstFirst returns the school indexes sorted worst first over the periods from index from on: by
// worst status, then by the number of missing or rejected-only cells, then by LAESTAB.
func (g *Grid) WorstFirst(from int) []int {
	idx := make([]int, len(g.Schools))
	rank := make([]uint8, len(g.Schools))
	bad := make([]int, len(g.Schools))
	per := len(g.Periods) * len(g.Types)
	for s := range idx {
		idx[s] = s
		rank[s] = 255
		for _, c := range g.cells[s*per+from*len(g.Types) : (s+1)*per] {
			if c.status != stNone && c.status < rank[s] {
				rank[s] = c.status
			}
			if c.status == stMissing || c.status == stRejectedOnly {
				bad[s]++
			}
		}
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := idx[i], idx[j]
		if rank[a] != rank[b] {
			return rank[a] < rank[b]
		}
		return bad[a] > bad[b]
	})
	return idx
}

// Counts returns how many cells of period p have each status.
func (g *Grid) Counts(p int) map[pme.ReturnStatus]int {
	out := map[pme.ReturnStatus]int{}
	for s := range g.Schools {
		for t := range g.Types {
			if st := g.status(s, p, t); st != stNone {
				out[statuses[st]]++
			}
		}
	}
	return out
}

// Digest hashes everything MissedSince reads (the periods, schools and every cell's status and
// receipt), so that a flag rerun can tell whether STALE_RETURN's input changed.
func (g *Grid) Digest() [32]byte {
	h := sha256.New()
	var b [8]byte
	for _, p := range g.Periods {
		h.Write([]byte(p.Start.String() + p.End.String() + p.Due.String() + "\x00"))
	}
	for _, s := range g.Schools {
		h.Write([]byte(s.LAESTAB + "\x00"))
	}
	for _, c := range g.cells {
		b[0] = c.status
		binary.LittleEndian.PutUint32(b[1:5], uint32(c.received))
		h.Write(b[:5])
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
