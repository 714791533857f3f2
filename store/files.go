package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"pme"
)

// FileMeta describes a received file before anything from it is stored.
type FileMeta struct {
	SHA256   string    // hex SHA-256 of the file's bytes: the file's identity across runs
	Name     string    // the file's name as dropped, without its folder
	Size     int64     // bytes
	Received time.Time // when this run took the file
	DestPath string    // where the file will be moved after commit, relative to the data folder
	RunDate  pme.Date  // the run date (--today) of the ingest: the period the file counts for
}

// StoredFile is a file as recorded: its outcome, where it was sent, and its row counts summed over
// its sheets.
type StoredFile struct {
	ID       int64
	SHA256   string
	Name     string
	Size     int64
	Status   string // pme.FileAccepted, pme.FilePartial or pme.FileRejected
	DestPath string
	Received time.Time
	Rows     int
	Accepted int
	Rejected int
}

type fileRow struct {
	ID       int64     `db:"id"`
	SHA256   string    `db:"sha256"`
	Name     string    `db:"name"`
	Size     int64     `db:"size"`
	Status   string    `db:"status"`
	DestPath string    `db:"dest_path"`
	Received timestamp `db:"received"`
	Rows     int       `db:"rows"`
	Accepted int       `db:"accepted"`
	Rejected int       `db:"rejected"`
}

// FindFile returns the file with this content hash, or ErrNotFound when the file is new.
func (s *Store) FindFile(ctx context.Context, sha256 string) (*StoredFile, error) {
	var r fileRow
	q := s.db.Rebind(`SELECT id, sha256, name, size, status, dest_path, received, rows, accepted, rejected
		FROM file WHERE sha256 = ?`)
	if err := s.db.GetContext(ctx, &r, q, sha256); err != nil {
		if err = notFound(err); err == ErrNotFound {
			return nil, err
		}
		return nil, fmt.Errorf("find file: %w", err)
	}
	return &StoredFile{ID: r.ID, SHA256: r.SHA256, Name: r.Name, Size: r.Size, Status: r.Status,
		DestPath: r.DestPath, Received: time.Time(r.Received), Rows: r.Rows, Accepted: r.Accepted, Rejected: r.Rejected}, nil
}

// RecordRejectedFile stores a file rejected as a whole (status rejected) with its FILE_* issue, so
// that a rerun recognises the file's hash and the feedback can be written again, and the LAESTABs
// its readable rows named (pme.FileError.Schools), for whom it counts as rejected-only
// (compliance.md). Nothing else from the file is stored.
func (s *Store) RecordRejectedFile(ctx context.Context, meta FileMeta, issue pme.Issue, schools []string) error {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		id, err := insertFile(ctx, tx, meta, pme.FileRejected)
		if err != nil {
			return err
		}
		if len(schools) > 0 {
			const q = `UPDATE file SET named_schools = ? WHERE id = ?`
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), strings.Join(schools, ","), id); err != nil {
				return err
			}
		}
		const q = `INSERT INTO issue (file_id, sheet, row_num, col, value, code, severity, message)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
		_, err = tx.ExecContext(ctx, tx.Rebind(q), id, issue.Sheet, issue.Row, issue.Column, issue.Value,
			issue.Code, issue.Severity, issue.Message)
		return err
	})
	if err != nil {
		return fmt.Errorf("record rejected file: %w", err)
	}
	return nil
}

// insertFile adds the file's row and returns its id.
func insertFile(ctx context.Context, tx *sqlx.Tx, meta FileMeta, status string) (int64, error) {
	var id int64
	const q = `INSERT INTO file (sha256, name, size, received, dest_path, status, run_date)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`
	err := tx.GetContext(ctx, &id, tx.Rebind(q), meta.SHA256, meta.Name, meta.Size,
		timestamp(meta.Received), meta.DestPath, status, meta.RunDate)
	if err != nil {
		return 0, fmt.Errorf("insert file: %w", err)
	}
	return id, nil
}

// FileIssues returns the issues stored with a file, in the order they were found (the store's own
// DETAILS_CHANGED warnings last), so that its feedback can be written again after a crash.
func (s *Store) FileIssues(ctx context.Context, fileID int64) ([]pme.Issue, error) {
	issues := []pme.Issue{}
	q := s.db.Rebind(`SELECT sheet, row_num, col, value, code, severity, message
		FROM issue WHERE file_id = ? ORDER BY id`)
	if err := s.db.SelectContext(ctx, &issues, q, fileID); err != nil {
		return nil, fmt.Errorf("load file issues: %w", err)
	}
	return issues, nil
}

type sheetRow struct {
	Sheet      string `db:"sheet"`
	ReturnType string `db:"return_type"`
	School     string `db:"school"`
	Schools    string `db:"schools"`
	HeaderRow  int    `db:"header_row"`
	Rows       int    `db:"rows"`
	Accepted   int    `db:"accepted"`
	Rejected   int    `db:"rejected"`
	Skipped    int    `db:"skipped"`
}

// FileSheets returns the sheets stored with a file, in file order, with their counts. The rejected
// pupils of a sheet are not kept: they matter only while the sheet is stored.
func (s *Store) FileSheets(ctx context.Context, fileID int64) ([]pme.SheetResult, error) {
	var rows []sheetRow
	q := s.db.Rebind(`SELECT sheet, return_type, school, schools, header_row, rows, accepted, rejected, skipped
		FROM (SELECT position, sheet, return_type, school, schools, header_row, rows, accepted, rejected, skipped
			FROM file_sheet WHERE file_id = ?
			UNION ALL SELECT position, sheet, shape, school, schools, header_row, rows, accepted, rejected, skipped
			FROM att_sheet WHERE file_id = ?) s ORDER BY position`)
	if err := s.db.SelectContext(ctx, &rows, q, fileID, fileID); err != nil {
		return nil, fmt.Errorf("load file sheets: %w", err)
	}
	out := make([]pme.SheetResult, len(rows))
	for i, r := range rows {
		out[i] = pme.SheetResult{Sheet: r.Sheet, ReturnType: pme.ReturnType(r.ReturnType), School: r.School,
			Schools: splitSchools(r.Schools), HeaderRow: r.HeaderRow, Rows: r.Rows, Accepted: r.Accepted,
			Rejected: r.Rejected, Skipped: r.Skipped}
	}
	return out, nil
}

// Schools are stored as one comma-separated column: LAESTABs are seven digits, and a sheet's list
// is only ever read back whole.
func joinSchools(ss []string) string { return strings.Join(ss, ",") }

func splitSchools(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// ReceivedFile is a stored file as the Returns page lists it: its outcome, the run date it counts
// for and how many issues its feedback holds.
type ReceivedFile struct {
	StoredFile
	RunDate pme.Date // the period it counts for (compliance.md)
	Issues  int
}

// FilesByID returns the files with those ids, newest first.
func (s *Store) FilesByID(ctx context.Context, ids []int64) ([]ReceivedFile, error) {
	out := []ReceivedFile{}
	if len(ids) == 0 {
		return out, nil
	}
	cond, arg := s.inList("f.id", ids)
	var rows []struct {
		fileRow
		RunDate pme.Date `db:"run_date"`
		Issues  int      `db:"issues"`
	}
	q := s.db.Rebind(`SELECT f.id, f.sha256, f.name, f.size, f.status, f.dest_path, f.received, f.rows, f.accepted,
		f.rejected, f.run_date, (SELECT COUNT(*) FROM issue i WHERE i.file_id = f.id) AS issues
		FROM file f WHERE ` + cond + ` ORDER BY f.received DESC, f.id DESC`)
	if err := s.db.SelectContext(ctx, &rows, q, arg); err != nil {
		return nil, fmt.Errorf("load files: %w", err)
	}
	for _, r := range rows {
		out = append(out, ReceivedFile{StoredFile: StoredFile{ID: r.ID, SHA256: r.SHA256, Name: r.Name, Size: r.Size,
			Status: r.Status, DestPath: r.DestPath, Received: time.Time(r.Received), Rows: r.Rows, Accepted: r.Accepted,
			Rejected: r.Rejected}, RunDate: fileDay(r.RunDate, r.Received), Issues: r.Issues})
	}
	return out, nil
}
