package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"pme"
)

// letterRow is a ledger row: the episode and the snapshot are JSON text, kept as written so that
// a reprint reads back exactly what was recorded.
type letterRow struct {
	ID           string    `db:"id"`
	EpisodeKey   string    `db:"episode_key"`
	UPN          string    `db:"upn"`
	LAESTAB      string    `db:"laestab"`
	Kind         string    `db:"kind"`
	Date         pme.Date  `db:"letter_date"`
	Trigger      string    `db:"trigger_reason"`
	TemplateHash string    `db:"template_hash"`
	FontHash     string    `db:"font_hash"`
	Episode      string    `db:"episode"`
	Snapshot     string    `db:"snapshot"`
	SHA256       string    `db:"sha256"`
	File         string    `db:"file"`
	Created      timestamp `db:"created"`
	Template     string    `db:"body"` // only when joined to letter_template
}

const letterColumns = `l.id, l.episode_key, l.upn, l.laestab, l.kind, l.letter_date, l.trigger_reason,
	l.template_hash, l.font_hash, l.episode, l.snapshot, l.sha256, l.file, l.created`

func (r letterRow) letter() (pme.Letter, error) {
	l := pme.Letter{ID: r.ID, EpisodeKey: r.EpisodeKey, UPN: r.UPN, LAESTAB: r.LAESTAB, Date: r.Date,
		Trigger: r.Trigger, TemplateHash: r.TemplateHash, Template: r.Template, FontHash: r.FontHash,
		SHA256: r.SHA256, File: r.File, Created: time.Time(r.Created)}
	if err := json.Unmarshal([]byte(r.Episode), &l.Episode); err != nil {
		return l, fmt.Errorf("read letter %s episode: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(r.Snapshot), &l.Data); err != nil {
		return l, fmt.Errorf("read letter %s snapshot: %w", r.ID, err)
	}
	return l, nil
}

// RecordLetter adds a letter to the ledger: its episode, trigger, template (the source kept once
// per version), font, snapshot, PDF hash, file and when it was made (now, when Created is zero).
// A second letter for the same episode, or a second letter with the same id, is refused.
func (s *Store) RecordLetter(ctx context.Context, l pme.Letter) error {
	return s.RecordLetters(ctx, []pme.Letter{l})
}

// RecordLetters records letters as RecordLetter does, all in one transaction: each distinct
// template once and the letters in one multi-row insert, instead of two statements a letter (a
// round trip each on PostgreSQL, and the server's work besides).
func (s *Store) RecordLetters(ctx context.Context, letters []pme.Letter) error {
	if len(letters) == 0 {
		return nil
	}
	rows := make([]letterRow, len(letters))
	for i, l := range letters {
		r, err := newLetterRow(l)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		seen := make(map[string]bool)
		for _, row := range rows {
			if seen[row.TemplateHash] {
				continue
			}
			seen[row.TemplateHash] = true
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO letter_template (hash, body) VALUES (?, ?)
				ON CONFLICT (hash) DO NOTHING`), row.TemplateHash, row.Template); err != nil {
				return fmt.Errorf("record letter %s: %w", row.ID, err)
			}
		}
		for start := 0; start < len(rows); start += letterInsertRows {
			batch := rows[start:min(start+letterInsertRows, len(rows))]
			if _, err := tx.NamedExecContext(ctx, `INSERT INTO letter (id, episode_key, upn, laestab, kind, letter_date,
				trigger_reason, template_hash, font_hash, episode, snapshot, sha256, file, created)
				VALUES (:id, :episode_key, :upn, :laestab, :kind, :letter_date, :trigger_reason, :template_hash,
				:font_hash, :episode, :snapshot, :sha256, :file, :created)`, batch); err != nil {
				return fmt.Errorf("record letters %s to %s: %w", batch[0].ID, batch[len(batch)-1].ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record letters: %w", err)
	}
	return nil
}

// letterInsertRows is how many letters one INSERT adds: 14 parameters each, well under
// SQLite's and PostgreSQL's limits on a statement's parameters.
const letterInsertRows = 100

func newLetterRow(l pme.Letter) (letterRow, error) {
	if l.ID == "" || l.EpisodeKey == "" || l.TemplateHash == "" || l.Template == "" || l.SHA256 == "" {
		return letterRow{}, errors.New("record letter: id, episode key, template, template hash and SHA-256 are all needed")
	}
	episode, err := json.Marshal(l.Episode)
	if err != nil {
		return letterRow{}, fmt.Errorf("record letter %s: %w", l.ID, err)
	}
	snapshot, err := json.Marshal(l.Data)
	if err != nil {
		return letterRow{}, fmt.Errorf("record letter %s: %w", l.ID, err)
	}
	if l.Created.IsZero() {
		l.Created = time.Now()
	}
	return letterRow{ID: l.ID, EpisodeKey: l.EpisodeKey, UPN: l.UPN, LAESTAB: l.LAESTAB, Kind: string(l.Episode.Kind),
		Date: l.Date, Trigger: l.Trigger, TemplateHash: l.TemplateHash, FontHash: l.FontHash,
		Episode: string(episode), Snapshot: string(snapshot), SHA256: l.SHA256, File: l.File,
		Created: timestamp(l.Created), Template: l.Template}, nil
}

// LetterEpisodes returns the episode key of every letter in the ledger, with its letter id: the
// episodes that already have their letter.
func (s *Store) LetterEpisodes(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Key string `db:"episode_key"`
		ID  string `db:"id"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT episode_key, id FROM letter`); err != nil {
		return nil, fmt.Errorf("load letter episodes: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.ID
	}
	return out, nil
}

// Letter returns the recorded letter with its snapshot and template source, for a reprint;
// ErrNotFound when no letter has that id.
func (s *Store) Letter(ctx context.Context, id string) (*pme.Letter, error) {
	var r letterRow
	q := s.db.Rebind(`SELECT ` + letterColumns + `, t.body FROM letter l
		JOIN letter_template t ON t.hash = l.template_hash WHERE l.id = ?`)
	if err := s.db.GetContext(ctx, &r, q, id); err != nil {
		return nil, fmt.Errorf("load letter %s: %w", id, notFound(err))
	}
	l, err := r.letter()
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// Letters returns the letters dated on or after from (every letter for the zero date), oldest
// first, then by school and id, with their episodes and snapshots; Template is left empty (Letter
// loads it for a reprint).
func (s *Store) Letters(ctx context.Context, from pme.Date) ([]pme.Letter, error) {
	var rows []letterRow
	var err error
	if from.IsZero() {
		err = s.db.SelectContext(ctx, &rows, `SELECT `+letterColumns+` FROM letter l
			ORDER BY l.letter_date, l.laestab, l.id`)
	} else {
		err = s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+letterColumns+` FROM letter l
			WHERE l.letter_date >= ? ORDER BY l.letter_date, l.laestab, l.id`), from)
	}
	if err != nil {
		return nil, fmt.Errorf("load letters: %w", err)
	}
	out := make([]pme.Letter, 0, len(rows))
	for _, r := range rows {
		l, err := r.letter()
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}
