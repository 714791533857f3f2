package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"pme"
)

// Reference data (reference-data.md) is replaced whole by each load: the previous load of the kind
// is deleted and the new one inserted in one transaction, so a load that fails leaves the previous
// data in place. PostgreSQL loads with COPY (all of England's 50,000 schools in seconds); SQLite
// with one prepared INSERT inside the transaction.

// refTable describes how one kind of reference record is written.
type refTable struct {
	kind  string
	table string
	cols  []string
}

var (
	schoolTable = refTable{pme.KindSchools, "school", []string{"urn", "laestab", "name", "type", "phase", "status",
		"la_name", "street", "locality", "address3", "town", "county", "postcode", "head_title", "head_first_name",
		"head_last_name", "head_job_title", "type_group", "open_date", "close_date"}}
	contactTable = refTable{pme.KindContacts, "school_contact", []string{"position", "laestab", "urn", "head_email",
		"chair", "chair_email", "correspondence_address"}}
	planTable = refTable{pme.KindSocialCare, "social_care_plan", []string{"position", "child_id", "upn", "surname",
		"forename", "dob", "plan_type", "start_date", "end_date", "social_worker", "social_worker_email", "team"}}
	providerTable = refTable{pme.KindProviders, "approved_provider", []string{"position", "name", "urn", "ukprn",
		"registered", "approved_from", "approved_until"}}
	termTable    = refTable{pme.KindCalendar, "calendar_term", []string{"start_date", "end_date", "name"}}
	closureTable = refTable{pme.KindCalendar, "calendar_closure", []string{"day", "reason"}}
)

// ReplaceSchools replaces the school directory with a new GIAS load.
func (s *Store) ReplaceSchools(ctx context.Context, schools []pme.School) error {
	return s.replace(ctx, len(schools), func(tx *sqlx.Tx) error {
		return s.fill(ctx, tx, schoolTable, len(schools), func(i int) []any {
			c := schools[i]
			return []any{c.URN, c.LAESTAB, c.Name, c.Type, c.Phase, c.Status, c.LAName, c.Street, c.Locality,
				c.Address3, c.Town, c.County, c.Postcode, c.HeadTitle, c.HeadFirstName, c.HeadLastName, c.HeadJobTitle,
				c.TypeGroup, c.OpenDate, c.CloseDate}
		})
	}, schoolTable)
}

// ReplaceContacts replaces the council's school contact list.
func (s *Store) ReplaceContacts(ctx context.Context, contacts []pme.Contact) error {
	return s.replace(ctx, len(contacts), func(tx *sqlx.Tx) error {
		return s.fill(ctx, tx, contactTable, len(contacts), func(i int) []any {
			c := contacts[i]
			return []any{i + 1, c.LAESTAB, c.URN, c.HeadEmail, c.Chair, c.ChairEmail, c.CorrespondenceAddress}
		})
	}, contactTable)
}

// ReplacePlans replaces the social care plans with a new extract (a full snapshot each time).
func (s *Store) ReplacePlans(ctx context.Context, plans []pme.Plan) error {
	return s.replace(ctx, len(plans), func(tx *sqlx.Tx) error {
		return s.fill(ctx, tx, planTable, len(plans), func(i int) []any {
			p := plans[i]
			return []any{i + 1, p.ChildID, p.UPN, p.Surname, p.Forename, p.DOB, p.PlanType, p.StartDate, p.EndDate,
				p.SocialWorker, p.SocialWorkerEmail, p.Team}
		})
	}, planTable)
}

// ReplaceProviders replaces the approved provider list.
func (s *Store) ReplaceProviders(ctx context.Context, providers []pme.Provider) error {
	return s.replace(ctx, len(providers), func(tx *sqlx.Tx) error {
		return s.fill(ctx, tx, providerTable, len(providers), func(i int) []any {
			p := providers[i]
			return []any{i + 1, p.Name, p.URN, p.UKPRN, p.Registered, p.ApprovedFrom, p.ApprovedUntil}
		})
	}, providerTable)
}

// ReplaceCalendar replaces the school calendar. The caller validates it first (calendar.New).
func (s *Store) ReplaceCalendar(ctx context.Context, terms []pme.Term, closures []pme.Closure) error {
	return s.replace(ctx, len(terms)+len(closures), func(tx *sqlx.Tx) error {
		err := s.fill(ctx, tx, termTable, len(terms), func(i int) []any {
			return []any{terms[i].Start, terms[i].End, terms[i].Name}
		})
		if err != nil {
			return err
		}
		return s.fill(ctx, tx, closureTable, len(closures), func(i int) []any {
			return []any{closures[i].Date, closures[i].Reason}
		})
	}, termTable, closureTable)
}

// replace empties the tables, runs fill and records the load, in one transaction.
func (s *Store) replace(ctx context.Context, rows int, fill func(tx *sqlx.Tx) error, tables ...refTable) error {
	kind := tables[0].kind
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, t := range tables {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.table); err != nil {
				return err
			}
		}
		if err := fill(tx); err != nil {
			return err
		}
		const q = `INSERT INTO reference_load (kind, row_count, loaded_at) VALUES (?, ?, ?)
			ON CONFLICT (kind) DO UPDATE SET row_count = excluded.row_count, loaded_at = excluded.loaded_at`
		_, err := tx.ExecContext(ctx, tx.Rebind(q), kind, rows, timestamp(time.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("replace %s: %w", kind, err)
	}
	return nil
}

// fill inserts n rows into t: COPY on PostgreSQL, a prepared INSERT on SQLite.
func (s *Store) fill(ctx context.Context, tx *sqlx.Tx, t refTable, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	var q string
	if s.backend == Postgres {
		q = pq.CopyIn(t.table, t.cols...)
	} else {
		q = fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t.table, strings.Join(t.cols, ", "),
			strings.TrimSuffix(strings.Repeat("?, ", len(t.cols)), ", "))
	}
	st, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", t.table, err)
	}
	defer st.Close()
	for i := 0; i < n; i++ {
		if _, err := st.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("insert into %s row %d: %w", t.table, i+1, err)
		}
	}
	if s.backend == Postgres {
		if _, err := st.ExecContext(ctx); err != nil { // flushes the COPY
			return fmt.Errorf("copy into %s: %w", t.table, err)
		}
	}
	return nil
}

// Schools returns the school directory. Closed schools come before open ones (then by URN), so
// that a caller building a LAESTAB index where the last row wins maps a LAESTAB shared by a closed
// school and its open successor to the open one.
func (s *Store) Schools(ctx context.Context) ([]pme.School, error) {
	var out []pme.School
	q := `SELECT ` + strings.Join(schoolTable.cols, ", ") + ` FROM school
		ORDER BY CASE WHEN status LIKE 'Open%' THEN 1 ELSE 0 END, urn`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("read schools: %w", err)
	}
	return out, nil
}

// Contacts returns the council's contact list, in file order.
func (s *Store) Contacts(ctx context.Context) ([]pme.Contact, error) {
	var out []pme.Contact
	q := `SELECT ` + strings.Join(contactTable.cols[1:], ", ") + ` FROM school_contact ORDER BY position`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("read contacts: %w", err)
	}
	return out, nil
}

// Plans returns the social care plans, in extract order.
func (s *Store) Plans(ctx context.Context) ([]pme.Plan, error) {
	var out []pme.Plan
	q := `SELECT ` + strings.Join(planTable.cols[1:], ", ") + ` FROM social_care_plan ORDER BY position`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("read social care plans: %w", err)
	}
	return out, nil
}

// Providers returns the approved providers, in list order.
func (s *Store) Providers(ctx context.Context) ([]pme.Provider, error) {
	var out []pme.Provider
	q := `SELECT ` + strings.Join(providerTable.cols[1:], ", ") + ` FROM approved_provider ORDER BY position`
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, fmt.Errorf("read providers: %w", err)
	}
	return out, nil
}

// Calendar returns the loaded school calendar; loaded is false when none has been loaded (the
// caller then uses the built-in one).
func (s *Store) Calendar(ctx context.Context) (terms []pme.Term, closures []pme.Closure, loaded bool, err error) {
	if loaded, err = s.ReferenceLoaded(ctx, pme.KindCalendar); err != nil || !loaded {
		return nil, nil, false, err
	}
	if err := s.db.SelectContext(ctx, &terms, `SELECT name, start_date, end_date FROM calendar_term ORDER BY start_date`); err != nil {
		return nil, nil, false, fmt.Errorf("read calendar terms: %w", err)
	}
	if err := s.db.SelectContext(ctx, &closures, `SELECT day, reason FROM calendar_closure ORDER BY day`); err != nil {
		return nil, nil, false, fmt.Errorf("read calendar closures: %w", err)
	}
	return terms, closures, true, nil
}

// ReferenceLoaded reports whether reference data of the kind (pme.KindSchools, …) has been loaded,
// even if the load held no rows.
func (s *Store) ReferenceLoaded(ctx context.Context, kind string) (bool, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM reference_load WHERE kind = ?`), kind); err != nil {
		return false, fmt.Errorf("check %s loaded: %w", kind, err)
	}
	return n > 0, nil
}

// ReferenceLoad is when a kind of reference data was last loaded, and how many rows it had.
type ReferenceLoad struct {
	Kind     string    `json:"kind"`
	Rows     int       `json:"rows"`
	LoadedAt time.Time `json:"loaded_at"`
}

// ReferenceLoads returns the last load of each kind loaded so far, by kind.
func (s *Store) ReferenceLoads(ctx context.Context) ([]ReferenceLoad, error) {
	var rows []struct {
		Kind     string    `db:"kind"`
		Rows     int       `db:"row_count"`
		LoadedAt timestamp `db:"loaded_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT kind, row_count, loaded_at FROM reference_load ORDER BY kind`); err != nil {
		return nil, fmt.Errorf("read reference loads: %w", err)
	}
	out := make([]ReferenceLoad, len(rows))
	for i, r := range rows {
		out[i] = ReferenceLoad{Kind: r.Kind, Rows: r.Rows, LoadedAt: time.Time(r.LoadedAt)}
	}
	return out, nil
}
