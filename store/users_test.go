package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func TestUsersAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		ann, err := s.AddUser(ctx, pme.User{Email: "Ann@Example.gov.uk", Name: "Ann", Role: pme.RolePractitioner, Created: at}, "hash1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUser(ctx, pme.User{Email: "ann@example.gov.uk", Name: "Ann 2", Role: pme.RoleViewer, Created: at}, "h"); !errors.Is(err, store.ErrExists) {
			t.Fatalf("second add err = %v, want ErrExists", err)
		}
		got, hash, err := s.UserByEmail(ctx, "ANN@example.gov.uk")
		if err != nil || got.ID != ann.ID || hash != "hash1" || got.Email != "ann@example.gov.uk" || !got.Created.Equal(at) {
			t.Fatalf("UserByEmail = %+v %q %v", got, hash, err)
		}
		if _, _, err := s.UserByEmail(ctx, "nobody@example.gov.uk"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown user err = %v, want ErrNotFound", err)
		}

		if err := s.CreateSession(ctx, pme.Session{TokenHash: "tok", UserID: ann.ID, Created: at, LastSeen: at}); err != nil {
			t.Fatal(err)
		}
		later := at.Add(5 * time.Minute)
		if err := s.TouchSession(ctx, "tok", later); err != nil {
			t.Fatal(err)
		}
		sess, u, err := s.SessionUser(ctx, "tok")
		if err != nil || u.ID != ann.ID || u.Role != pme.RolePractitioner || !sess.LastSeen.Equal(later) || !sess.Created.Equal(at) {
			t.Fatalf("SessionUser = %+v %+v %v", sess, u, err)
		}

		// Changing a user ends their sessions.
		role := pme.RoleViewer
		if u, err := s.ChangeUser(ctx, "ann@example.gov.uk", store.UserChange{Role: &role}); err != nil || u.Role != role {
			t.Fatalf("ChangeUser = %+v, %v", u, err)
		}
		if _, _, err := s.SessionUser(ctx, "tok"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session after a change err = %v, want ErrNotFound", err)
		}
		if _, err := s.ChangeUser(ctx, "nobody@example.gov.uk", store.UserChange{Role: &role}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("change unknown err = %v, want ErrNotFound", err)
		}

		s.CreateSession(ctx, pme.Session{TokenHash: "old", UserID: ann.ID, Created: at, LastSeen: at})
		s.CreateSession(ctx, pme.Session{TokenHash: "new", UserID: ann.ID, Created: later, LastSeen: later})
		if n, err := s.EndSessionsBefore(ctx, at.Add(time.Minute), at.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("EndSessionsBefore = %d, %v, want 1", n, err)
		}
		if err := s.EndSession(ctx, "new"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, "new"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ended session err = %v", err)
		}
		users, err := s.Users(ctx)
		if err != nil || len(users) != 1 || users[0].Role != pme.RoleViewer {
			t.Fatalf("Users = %+v, %v", users, err)
		}
	})
}

func TestSignInLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		u, _ := s.AddUser(ctx, pme.User{Email: "bob@example.gov.uk", Name: "Bob", Role: pme.RoleOfficer, Created: at}, "h")
		policy := store.Lockout{Failures: 5, For: 15 * time.Minute}
		fail := pme.SignInAttempt{Email: u.Email, UserID: u.ID, Address: "192.0.2.1", Reason: pme.SignInWrongPassword}
		for i := 1; i <= 5; i++ {
			fail.At = at.Add(time.Duration(i) * time.Second)
			locked, err := s.RecordSignIn(ctx, fail, policy)
			if err != nil {
				t.Fatal(err)
			}
			if want := i == 5; !locked.IsZero() != want {
				t.Fatalf("after %d failures locked until %v, want locked %v", i, locked, want)
			}
		}
		got, _, _ := s.UserByEmail(ctx, u.Email)
		if want := at.Add(5*time.Second + 15*time.Minute); !got.LockedUntil.Equal(want) {
			t.Fatalf("LockedUntil = %v, want %v", got.LockedUntil, want)
		}
		// An unknown user's failure counts for the address only.
		s.RecordSignIn(ctx, pme.SignInAttempt{At: at.Add(time.Minute), Email: "x@y", Address: "192.0.2.1", Reason: pme.SignInWrongPassword}, policy)
		s.RecordSignIn(ctx, pme.SignInAttempt{At: at.Add(2 * time.Minute), Email: "x@y", Address: "198.51.100.7", OK: false, Reason: pme.SignInWrongPassword}, policy)
		n, last, err := s.AddressFailures(ctx, "192.0.2.1", at.Add(3*time.Second))
		if err != nil || n != 4 || !last.Equal(at.Add(time.Minute)) {
			t.Fatalf("AddressFailures = %d %v %v, want 4 at %v", n, last, err, at.Add(time.Minute))
		}
		// A success clears the count; a reset clears the lock.
		pw := "h2"
		if _, err := s.ChangeUser(ctx, u.Email, store.UserChange{PasswordHash: &pw}); err != nil {
			t.Fatal(err)
		}
		if got, hash, _ := s.UserByEmail(ctx, u.Email); !got.LockedUntil.IsZero() || hash != "h2" {
			t.Fatalf("after reset: %+v %q", got, hash)
		}
		ok := pme.SignInAttempt{At: at.Add(time.Hour), Email: u.Email, UserID: u.ID, Address: "192.0.2.1", OK: true, Reason: pme.SignInOK}
		if _, err := s.RecordSignIn(ctx, ok, policy); err != nil {
			t.Fatal(err)
		}
		list, err := s.SignIns(ctx, 3)
		if err != nil || len(list) != 3 || !list[0].OK || list[0].UserID != u.ID || list[1].UserID != 0 {
			t.Fatalf("SignIns = %+v, %v", list, err)
		}
	})
}
