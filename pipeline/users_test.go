package pipeline

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"pme"
	"pme/auth"
)

func cheapHashes(t *testing.T) {
	old := auth.Cost
	auth.Cost = auth.Params{Time: 1, Memory: 64, Threads: 1}
	t.Cleanup(func() { auth.Cost = old })
}

func TestSignInSessionsAndTimeouts(t *testing.T) {
	cheapHashes(t)
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		e.Now = func() time.Time { return now }
		if _, err := e.AddUser(ctx, "ann@example.gov.uk", "Ann", pme.RolePractitioner, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.SignIn(ctx, "ann@example.gov.uk", "wrong password!", "192.0.2.1"); !errors.Is(err, ErrSignIn) {
			t.Fatalf("wrong password err = %v, want ErrSignIn", err)
		}
		if _, _, err := e.SignIn(ctx, "nobody@example.gov.uk", "wrong password!", "192.0.2.1"); !errors.Is(err, ErrSignIn) {
			t.Fatalf("unknown user err = %v, want the same ErrSignIn", err)
		}
		tok, u, err := e.SignIn(ctx, "ANN@example.gov.uk", "a long enough password", "192.0.2.1")
		if err != nil || u.Email != "ann@example.gov.uk" || len(tok) != 43 {
			t.Fatalf("SignIn = %q %+v %v", tok, u, err)
		}
		tok2, _, _ := e.SignIn(ctx, "ann@example.gov.uk", "a long enough password", "192.0.2.1")
		if tok2 == tok {
			t.Fatal("a second sign-in reused the token")
		}
		// Idle: 29 minutes keeps it alive (and moves last-seen on), 31 more ends it.
		now = now.Add(29 * time.Minute)
		if _, err := e.SessionUser(ctx, tok); err != nil {
			t.Fatalf("session after 29 minutes: %v", err)
		}
		now = now.Add(31 * time.Minute)
		if _, err := e.SessionUser(ctx, tok); !errors.Is(err, ErrNoSession) {
			t.Fatalf("session idle 31 minutes err = %v, want ErrNoSession", err)
		}
		// Absolute: used every 20 minutes, it still ends after 8 hours.
		tok3, _, _ := e.SignIn(ctx, "ann@example.gov.uk", "a long enough password", "192.0.2.1")
		for i := 0; i < 23; i++ {
			now = now.Add(20 * time.Minute)
			if _, err := e.SessionUser(ctx, tok3); err != nil {
				t.Fatalf("session at %d minutes: %v", (i+1)*20, err)
			}
		}
		now = now.Add(21 * time.Minute)
		if _, err := e.SessionUser(ctx, tok3); !errors.Is(err, ErrNoSession) {
			t.Fatalf("session after 8 hours err = %v, want ErrNoSession", err)
		}
		// Signing out ends it server-side.
		tok4, _, _ := e.SignIn(ctx, "ann@example.gov.uk", "a long enough password", "192.0.2.1")
		if err := e.SignOut(ctx, tok4); err != nil {
			t.Fatal(err)
		}
		if _, err := e.SessionUser(ctx, tok4); !errors.Is(err, ErrNoSession) {
			t.Fatalf("signed-out session err = %v", err)
		}
		// Disabling a user ends their sessions.
		tok5, _, _ := e.SignIn(ctx, "ann@example.gov.uk", "a long enough password", "192.0.2.1")
		yes := true
		e.ChangeUser(ctx, "ann@example.gov.uk", &yes, "", "")
		if _, err := e.SessionUser(ctx, tok5); !errors.Is(err, ErrNoSession) {
			t.Fatalf("disabled user's session err = %v", err)
		}
		if _, _, err := e.SignIn(ctx, "ann@example.gov.uk", "a long enough password", "192.0.2.1"); !errors.Is(err, ErrSignIn) {
			t.Fatalf("disabled user's sign-in err = %v", err)
		}
	})
}

func TestLockoutAndThrottle(t *testing.T) {
	cheapHashes(t)
	eachEnv(t, func(t *testing.T, e *Env) {
		ctx := context.Background()
		now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		e.Now = func() time.Time { return now }
		e.AddUser(ctx, "bob@example.gov.uk", "Bob", pme.RoleOfficer, "a long enough password")
		for i := 1; i <= 5; i++ {
			now = now.Add(2 * time.Second)
			_, _, err := e.SignIn(ctx, "bob@example.gov.uk", "not the password", "192.0.2.9")
			if want := ErrSignIn; i == 5 {
				want = ErrLocked
				if !errors.Is(err, want) {
					t.Fatalf("failure %d err = %v, want %v", i, err, want)
				}
			} else if !errors.Is(err, want) {
				t.Fatalf("failure %d err = %v, want %v", i, err, want)
			}
		}
		// The sixth, even with the right password, is locked out; after 15 minutes it signs in.
		if _, _, err := e.SignIn(ctx, "bob@example.gov.uk", "a long enough password", "192.0.2.9"); !errors.Is(err, ErrLocked) {
			t.Fatalf("sixth attempt err = %v, want ErrLocked", err)
		}
		now = now.Add(15*time.Minute + time.Second)
		if _, _, err := e.SignIn(ctx, "bob@example.gov.uk", "a long enough password", "192.0.2.9"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}

		// More than 20 failures from one address: one attempt a second from there, others unaffected.
		for i := 0; i < 21; i++ {
			now = now.Add(10 * time.Millisecond)
			e.SignIn(ctx, fmt.Sprintf("guess%d@example.gov.uk", i), "not the password", "203.0.113.5")
		}
		if _, _, err := e.SignIn(ctx, "bob@example.gov.uk", "a long enough password", "203.0.113.5"); !errors.Is(err, ErrThrottled) {
			t.Fatalf("22nd attempt within a second err = %v, want ErrThrottled", err)
		}
		if _, _, err := e.SignIn(ctx, "bob@example.gov.uk", "a long enough password", "192.0.2.9"); err != nil {
			t.Fatalf("another address is slowed too: %v", err)
		}
		now = now.Add(1100 * time.Millisecond)
		if _, _, err := e.SignIn(ctx, "bob@example.gov.uk", "a long enough password", "203.0.113.5"); err != nil {
			t.Fatalf("a second later: %v", err)
		}
	})
}
