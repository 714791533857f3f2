package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"pme"
)

// ErrExists is returned when adding something whose key is already taken.
var ErrExists = errors.New("already exists")

type userRow struct {
	ID           int64     `db:"id"`
	Email        string    `db:"email"`
	Name         string    `db:"name"`
	Role         string    `db:"role"`
	PasswordHash string    `db:"password_hash"`
	Disabled     bool      `db:"disabled"`
	Created      timestamp `db:"created"`
	Failures     int       `db:"failures"`
	LockedUntil  timestamp `db:"locked_until"`
}

func (r userRow) user() pme.User {
	return pme.User{ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, Disabled: r.Disabled,
		Created: time.Time(r.Created), Failures: r.Failures, LockedUntil: time.Time(r.LockedUntil)}
}

const userCols = `id, email, name, role, password_hash, disabled, created, failures, locked_until`

// AddUser stores a new user with the password hash given; ErrExists when the e-mail is taken.
func (s *Store) AddUser(ctx context.Context, u pme.User, passwordHash string) (pme.User, error) {
	u.Email = strings.ToLower(u.Email)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM app_user WHERE email = ?`), u.Email); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		return tx.GetContext(ctx, &u.ID, tx.Rebind(`INSERT INTO app_user (email, name, role, password_hash, disabled, created)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), u.Email, u.Name, u.Role, passwordHash, false, timestamp(u.Created))
	})
	if err != nil {
		return u, fmt.Errorf("add user: %w", err)
	}
	return u, nil
}

// UserByEmail returns the user and their password hash; ErrNotFound when there is none.
func (s *Store) UserByEmail(ctx context.Context, email string) (pme.User, string, error) {
	var r userRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+userCols+` FROM app_user WHERE email = ?`), strings.ToLower(email))
	if err != nil {
		return pme.User{}, "", fmt.Errorf("find user: %w", notFound(err))
	}
	return r.user(), r.PasswordHash, nil
}

// Users returns every user, by e-mail.
func (s *Store) Users(ctx context.Context) ([]pme.User, error) {
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+userCols+` FROM app_user ORDER BY email`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]pme.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, nil
}

// UserChange is a change to a user; nil fields are left as they are.
type UserChange struct {
	Disabled     *bool
	PasswordHash *string // also clears failures and any lock
	Role         *string
}

// ChangeUser applies the change to the user with that e-mail and ends all their sessions, so that
// a disabled user, a reset password or a new role takes effect at once; ErrNotFound when there is
// no such user.
func (s *Store) ChangeUser(ctx context.Context, email string, c UserChange) (pme.User, error) {
	var u pme.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var r userRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+userCols+` FROM app_user WHERE email = ?`), strings.ToLower(email)); err != nil {
			return notFound(err)
		}
		if c.Disabled != nil {
			r.Disabled = *c.Disabled
		}
		if c.PasswordHash != nil {
			r.PasswordHash, r.Failures, r.LockedUntil = *c.PasswordHash, 0, timestamp{}
		}
		if c.Role != nil {
			r.Role = *c.Role
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE app_user SET disabled = ?, password_hash = ?, role = ?,
			failures = ?, locked_until = ? WHERE id = ?`), r.Disabled, r.PasswordHash, r.Role, r.Failures, r.LockedUntil, r.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM web_session WHERE user_id = ?`), r.ID); err != nil {
			return err
		}
		u = r.user()
		return nil
	})
	if err != nil {
		return u, fmt.Errorf("change user %d: %w", u.ID, err)
	}
	return u, nil
}

// Lockout is the sign-in lock-out policy: after Failures failed sign-ins in a row an account is
// locked For that long.
type Lockout struct {
	Failures int
	For      time.Duration
}

// RecordSignIn appends the attempt and, for a known user, keeps their failure count: a success
// clears it, a failure adds one, and the policy's limit locks the account until a.At + policy.For
// (and starts the count again). It returns the user's lock time after the attempt.
func (s *Store) RecordSignIn(ctx context.Context, a pme.SignInAttempt, policy Lockout) (lockedUntil time.Time, err error) {
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var uid any
		if a.UserID != 0 {
			uid = a.UserID
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sign_in_attempt (at, email, user_id, address, ok, reason)
			VALUES (?, ?, ?, ?, ?, ?)`), timestamp(a.At), strings.ToLower(a.Email), uid, a.Address, a.OK, a.Reason); err != nil {
			return err
		}
		if a.UserID == 0 {
			return nil
		}
		var r userRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+userCols+` FROM app_user WHERE id = ?`), a.UserID); err != nil {
			return notFound(err)
		}
		switch {
		case a.OK:
			r.Failures = 0
		case a.Reason == pme.SignInWrongPassword:
			r.Failures++
			if r.Failures >= policy.Failures {
				r.Failures, r.LockedUntil = 0, timestamp(a.At.Add(policy.For))
			}
		default:
			lockedUntil = time.Time(r.LockedUntil)
			return nil // a refusal for another reason (locked, throttled) does not count
		}
		lockedUntil = time.Time(r.LockedUntil)
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE app_user SET failures = ?, locked_until = ? WHERE id = ?`),
			r.Failures, r.LockedUntil, r.ID)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("record sign-in: %w", err)
	}
	return lockedUntil, nil
}

// AddressFailures returns how many failed sign-ins came from address since the time given, and when
// the latest attempt (failed or not) from it was.
func (s *Store) AddressFailures(ctx context.Context, address string, since time.Time) (n int, last time.Time, err error) {
	var row struct {
		N    int       `db:"n"`
		Last timestamp `db:"last"`
	}
	q := s.db.Rebind(`SELECT COUNT(*) AS n, (SELECT MAX(at) FROM sign_in_attempt WHERE address = ?) AS last
		FROM sign_in_attempt WHERE address = ? AND at >= ? AND NOT ok`)
	if err := s.db.GetContext(ctx, &row, q, address, address, timestamp(since)); err != nil {
		return 0, time.Time{}, fmt.Errorf("count sign-in failures: %w", err)
	}
	return row.N, time.Time(row.Last), nil
}

// SignIns returns the newest sign-in attempts first, at most limit.
func (s *Store) SignIns(ctx context.Context, limit int) ([]pme.SignInAttempt, error) {
	var rows []struct {
		ID      int64     `db:"id"`
		At      timestamp `db:"at"`
		Email   string    `db:"email"`
		UserID  *int64    `db:"user_id"`
		Address string    `db:"address"`
		OK      bool      `db:"ok"`
		Reason  string    `db:"reason"`
	}
	q := s.db.Rebind(`SELECT id, at, email, user_id, address, ok, reason FROM sign_in_attempt ORDER BY at DESC, id DESC LIMIT ?`)
	if err := s.db.SelectContext(ctx, &rows, q, limit); err != nil {
		return nil, fmt.Errorf("list sign-ins: %w", err)
	}
	out := make([]pme.SignInAttempt, len(rows))
	for i, r := range rows {
		out[i] = pme.SignInAttempt{ID: r.ID, At: time.Time(r.At), Email: r.Email, Address: r.Address, OK: r.OK, Reason: r.Reason}
		if r.UserID != nil {
			out[i].UserID = *r.UserID
		}
	}
	return out, nil
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess pme.Session) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO web_session (token_hash, user_id, created, last_seen) VALUES (?, ?, ?, ?)`),
		sess.TokenHash, sess.UserID, timestamp(sess.Created), timestamp(sess.LastSeen))
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionUser returns the session with that token hash and its user; ErrNotFound when there is
// none (never created, signed out, or ended).
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (pme.Session, pme.User, error) {
	var r struct {
		userRow
		STokenHash string    `db:"token_hash"`
		SCreated   timestamp `db:"s_created"`
		SLastSeen  timestamp `db:"s_last_seen"`
	}
	q := s.db.Rebind(`SELECT u.id, u.email, u.name, u.role, u.password_hash, u.disabled, u.created, u.failures, u.locked_until,
		s.token_hash, s.created AS s_created, s.last_seen AS s_last_seen
		FROM web_session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = ?`)
	if err := s.db.GetContext(ctx, &r, q, tokenHash); err != nil {
		return pme.Session{}, pme.User{}, fmt.Errorf("find session: %w", notFound(err))
	}
	sess := pme.Session{TokenHash: r.STokenHash, UserID: r.ID, Created: time.Time(r.SCreated), LastSeen: time.Time(r.SLastSeen)}
	return sess, r.user(), nil
}

// TouchSession records that the session was used at the time given.
func (s *Store) TouchSession(ctx context.Context, tokenHash string, at time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE web_session SET last_seen = ? WHERE token_hash = ?`), timestamp(at), tokenHash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// EndSession deletes the session (signing out, or a session past its time); ending one that is
// already gone is not an error.
func (s *Store) EndSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM web_session WHERE token_hash = ?`), tokenHash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessionsBefore deletes the sessions created before created or last used before lastSeen,
// and returns how many it deleted.
func (s *Store) EndSessionsBefore(ctx context.Context, created, lastSeen time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM web_session WHERE created < ? OR last_seen < ?`),
		timestamp(created), timestamp(lastSeen))
	if err != nil {
		return 0, fmt.Errorf("end old sessions: %w", err)
	}
	return res.RowsAffected()
}
