package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"pme"
	"pme/auth"
	"pme/store"
)

// Sign-in policy (web.md): five failed sign-ins lock an account for 15 minutes; more than 20
// failures from one address within 15 minutes slow that address to one attempt a second.
var (
	signInLockout    = store.Lockout{Failures: 5, For: 15 * time.Minute}
	throttleWindow   = 15 * time.Minute
	throttleFailures = 20
	throttleInterval = time.Second
)

// Sign-in errors. ErrSignIn is the one message for an unknown user and a wrong password, so that
// the answer does not tell which addresses have accounts.
var (
	ErrSignIn    = errors.New("the e-mail address or password is not right")
	ErrLocked    = errors.New("this account is locked after too many failed sign-ins: try again in 15 minutes, or ask an administrator to reset it")
	ErrThrottled = errors.New("too many failed sign-ins from this computer: wait a second and try again")
	ErrNoSession = errors.New("no session, or it has ended: sign in")
)

// AddUser adds a user (pme user add). The password must be at least 12 characters.
func (e *Env) AddUser(ctx context.Context, email, name, role, password string) (pme.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n") {
		return pme.User{}, usageErrorf("%q is not an e-mail address: users sign in with their e-mail address", email)
	}
	if strings.TrimSpace(name) == "" {
		return pme.User{}, usageErrorf("give the user's name with --name")
	}
	if !pme.ValidRole(role) {
		return pme.User{}, usageErrorf("--role %q: want one of %s", role, strings.Join(pme.Roles, ", "))
	}
	hash, err := auth.HashPassword(password)
	if errors.Is(err, auth.ErrWeakPassword) {
		return pme.User{}, usageErrorf("%v", err)
	}
	if err != nil {
		return pme.User{}, err
	}
	u, err := e.Store.AddUser(ctx, pme.User{Email: email, Name: strings.TrimSpace(name), Role: role, Created: e.now()}, hash)
	if errors.Is(err, store.ErrExists) {
		return u, usageErrorf("a user %s already exists: use pme user reset to change their password or role", email)
	}
	return u, err
}

// ChangeUser disables or enables a user, resets their password, or changes their role (pme user
// disable|reset); any of them ends the user's sessions at once.
func (e *Env) ChangeUser(ctx context.Context, email string, disabled *bool, password, role string) (pme.User, error) {
	var c store.UserChange
	c.Disabled = disabled
	if password != "" {
		hash, err := auth.HashPassword(password)
		if errors.Is(err, auth.ErrWeakPassword) {
			return pme.User{}, usageErrorf("%v", err)
		}
		if err != nil {
			return pme.User{}, err
		}
		c.PasswordHash = &hash
	}
	if role != "" {
		if !pme.ValidRole(role) {
			return pme.User{}, usageErrorf("--role %q: want one of %s", role, strings.Join(pme.Roles, ", "))
		}
		c.Role = &role
	}
	u, err := e.Store.ChangeUser(ctx, email, c)
	if errors.Is(err, store.ErrNotFound) {
		return u, usageErrorf("no user %s (pme user list shows them)", strings.ToLower(email))
	}
	return u, err
}

// Users lists the users (pme user list).
func (e *Env) Users(ctx context.Context) ([]pme.User, error) { return e.Store.Users(ctx) }

// SignIn checks a password and, when it is right, starts a session and returns its token (to go in
// the browser's cookie; only its hash is stored). Every attempt is recorded. address is the
// client's address, for throttling.
func (e *Env) SignIn(ctx context.Context, email, password, address string) (token string, u pme.User, err error) {
	now := e.now()
	email = strings.ToLower(strings.TrimSpace(email))
	attempt := pme.SignInAttempt{At: now, Email: email, Address: address}
	n, last, err := e.Store.AddressFailures(ctx, address, now.Add(-throttleWindow))
	if err != nil {
		return "", u, err
	}
	if n > throttleFailures && now.Sub(last) < throttleInterval {
		attempt.Reason = pme.SignInThrottled
		if _, err := e.Store.RecordSignIn(ctx, attempt, signInLockout); err != nil {
			return "", u, err
		}
		return "", u, ErrThrottled
	}
	u, hash, err := e.Store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.CheckNobody(password)
		attempt.Reason = pme.SignInWrongPassword
	case err != nil:
		return "", u, err
	default:
		attempt.UserID = u.ID
		ok, cerr := auth.CheckPassword(hash, password)
		switch {
		case cerr != nil:
			return "", u, fmt.Errorf("sign in: user %d: %w", u.ID, cerr)
		case now.Before(u.LockedUntil):
			attempt.Reason = pme.SignInLocked
		case !ok:
			attempt.Reason = pme.SignInWrongPassword
		case u.Disabled:
			attempt.Reason = pme.SignInDisabled
		default:
			attempt.OK, attempt.Reason = true, pme.SignInOK
		}
	}
	locked, err := e.Store.RecordSignIn(ctx, attempt, signInLockout)
	if err != nil {
		return "", u, err
	}
	if !attempt.OK {
		e.log().Info("sign-in refused", "user_id", attempt.UserID, "reason", attempt.Reason)
		if attempt.Reason == pme.SignInLocked || (attempt.UserID != 0 && now.Before(locked)) {
			return "", pme.User{}, ErrLocked
		}
		return "", pme.User{}, ErrSignIn
	}
	token, err = auth.NewToken()
	if err != nil {
		return "", u, err
	}
	if err := e.Store.CreateSession(ctx, pme.Session{TokenHash: auth.HashToken(token), UserID: u.ID, Created: now, LastSeen: now}); err != nil {
		return "", u, err
	}
	e.log().Info("signed in", "user_id", u.ID, "role", u.Role)
	return token, u, nil
}

// touchEvery is how stale a session's last-seen time may get before a request writes it again:
// an idle timeout of minutes needs no write on every request.
const touchEvery = time.Minute

// SessionUser returns the signed-in user of a session token; ErrNoSession when the token is
// unknown, the session is past its idle or absolute timeout (it is then ended), or the user is
// disabled.
func (e *Env) SessionUser(ctx context.Context, token string) (pme.User, error) {
	if token == "" {
		return pme.User{}, ErrNoSession
	}
	h := auth.HashToken(token)
	sess, u, err := e.Store.SessionUser(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return pme.User{}, ErrNoSession
	}
	if err != nil {
		return pme.User{}, err
	}
	now := e.now()
	idle := time.Duration(e.Config.Web.SessionIdleMinutes) * time.Minute
	max := time.Duration(e.Config.Web.SessionMaxHours) * time.Hour
	if u.Disabled || now.Sub(sess.LastSeen) > idle || now.Sub(sess.Created) > max {
		if err := e.Store.EndSession(ctx, h); err != nil {
			return pme.User{}, err
		}
		return pme.User{}, ErrNoSession
	}
	if now.Sub(sess.LastSeen) > touchEvery {
		if err := e.Store.TouchSession(ctx, h, now); err != nil {
			return pme.User{}, err
		}
	}
	return u, nil
}

// SignOut ends the session server-side.
func (e *Env) SignOut(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return e.Store.EndSession(ctx, auth.HashToken(token))
}

// SignIns returns the latest sign-in attempts, for the admin's audit.
func (e *Env) SignIns(ctx context.Context, limit int) ([]pme.SignInAttempt, error) {
	return e.Store.SignIns(ctx, limit)
}

// EndExpiredSessions deletes sessions past the idle or absolute timeout.
func (e *Env) EndExpiredSessions(ctx context.Context) (int64, error) {
	now := e.now()
	if err := e.Store.EndFormTokensBefore(ctx, now.Add(-time.Duration(e.Config.Web.SessionMaxHours)*time.Hour)); err != nil {
		return 0, err
	}
	return e.Store.EndSessionsBefore(ctx, now.Add(-time.Duration(e.Config.Web.SessionMaxHours)*time.Hour),
		now.Add(-time.Duration(e.Config.Web.SessionIdleMinutes)*time.Minute))
}

// ErrFormUsed is returned by UseForm for a form sent before: its action was done once already.
var ErrFormUsed = errors.New("that form was sent already, and its action done once: nothing was done twice")

// NewFormToken returns a one-time token for a form.
func NewFormToken() (string, error) { return auth.NewToken() }

// UseForm spends a form's one-time token; ErrFormUsed when it was spent before.
func (e *Env) UseForm(ctx context.Context, token string, userID int64) error {
	if len(token) < 32 {
		return ErrFormUsed
	}
	err := e.Store.UseFormToken(ctx, auth.HashToken(token), userID, e.now())
	if errors.Is(err, store.ErrExists) {
		return ErrFormUsed
	}
	return err
}
