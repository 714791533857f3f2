package pme

import "time"

// Roles of the people who sign in to `pme serve` (web.md). Each role may do what the one before it
// may, except admin, which manages users only and sees no child's record.
const (
	RoleViewer       = "viewer"       // reads cases, compliance and reports; no notes or free text
	RoleOfficer      = "officer"      // viewer + uploads returns, feedback, compliance and chasing
	RolePractitioner = "practitioner" // officer + everything in casework.md
	RoleAdmin        = "admin"        // users only
)

// Roles lists the roles in the order of what they may see.
var Roles = []string{RoleViewer, RoleOfficer, RolePractitioner, RoleAdmin}

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// MinPasswordLength is the shortest password accepted (web.md).
const MinPasswordLength = 12

// User is a person who may sign in. The password hash is never part of it: the store hands it out
// only to the sign-in check.
type User struct {
	ID          int64     `json:"id"`
	Email       string    `json:"email"` // the sign-in name, lower case
	Name        string    `json:"name"`
	Role        string    `json:"role"`
	Disabled    bool      `json:"disabled"`
	Created     time.Time `json:"created"`
	Failures    int       `json:"-"` // failed sign-ins since the last success or lock
	LockedUntil time.Time `json:"locked_until,omitzero"`
}

// SeesCases reports whether the user may read cases, compliance and reports.
func (u User) SeesCases() bool { return u.Role != RoleAdmin }

// SeesNotes reports whether the user may read notes and other personal free text.
func (u User) SeesNotes() bool { return u.Role == RolePractitioner }

// Uploads reports whether the user may upload returns and read their feedback.
func (u User) Uploads() bool { return u.Role == RoleOfficer || u.Role == RolePractitioner }

// DoesCasework reports whether the user may record casework (casework.md).
func (u User) DoesCasework() bool { return u.Role == RolePractitioner }

// ManagesUsers reports whether the user may manage users and read the sign-in audit.
func (u User) ManagesUsers() bool { return u.Role == RoleAdmin }

// Session is a signed-in browser. Only the hash of its token is stored.
type Session struct {
	TokenHash string    `json:"-"`
	UserID    int64     `json:"user_id"`
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"last_seen"`
}

// SignInAttempt is one try at signing in, kept for lock-out, throttling and the admin's audit.
// Email is as typed (lower case); UserID is 0 when no such user exists.
type SignInAttempt struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Email   string    `json:"email"`
	UserID  int64     `json:"user_id,omitempty"`
	Address string    `json:"address"`
	OK      bool      `json:"ok"`
	Reason  string    `json:"reason"` // ok, wrong password, locked, disabled, throttled, signed out
}

// Sign-in attempt reasons, as the admin's audit shows them.
const (
	SignInOK            = "ok"
	SignInWrongPassword = "wrong password" // also an unknown user: the person is told the same
	SignInLocked        = "locked"
	SignInDisabled      = "disabled"
	SignInThrottled     = "throttled"
)
