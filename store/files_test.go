package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"pme"
	"pme/store"
	"pme/store/storetest"
)

func TestFindFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.FindFile(ctx, shaOf("new.csv")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FindFile(new) err = %v, want ErrNotFound", err)
		}
		ingestFile(t, s, "known.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{suspension(schoolA, ada, "2026-01-10", 2)}})
		f, err := s.FindFile(ctx, shaOf("known.csv"))
		if err != nil {
			t.Fatalf("FindFile: %v", err)
		}
		if f.SHA256 != shaOf("known.csv") || f.Name != "known.csv" || f.Status != pme.FileAccepted || f.Size != 100 {
			t.Fatalf("file = %+v, want known.csv accepted", f)
		}
	})
}

func TestRecordRejectedFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		meta := store.FileMeta{SHA256: shaOf("doc.pdf"), Name: "doc.pdf", Size: 9, Received: received, DestPath: "rejected/doc.pdf"}
		is := (&pme.FileError{Code: pme.CodeFileFormat, Message: "Send the return as .xlsx or .csv."}).Issue()
		if err := s.RecordRejectedFile(ctx, meta, is, nil); err != nil {
			t.Fatalf("RecordRejectedFile: %v", err)
		}
		f, err := s.FindFile(ctx, meta.SHA256)
		if err != nil {
			t.Fatalf("FindFile: %v", err)
		}
		if f.Status != pme.FileRejected || f.DestPath != "rejected/doc.pdf" || f.Rows != 0 || !f.Received.Equal(received) {
			t.Fatalf("file = %+v, want rejected to rejected/doc.pdf", f)
		}
		issues, err := s.FileIssues(ctx, f.ID)
		if err != nil {
			t.Fatalf("FileIssues: %v", err)
		}
		if !reflect.DeepEqual(issues, []pme.Issue{is}) {
			t.Fatalf("issues = %+v, want [%+v]", issues, is)
		}
		sheets, err := s.FileSheets(ctx, f.ID)
		if err != nil || len(sheets) != 0 {
			t.Fatalf("sheets = %+v, %v; want none", sheets, err)
		}
		if err := s.RecordRejectedFile(ctx, meta, is, nil); err == nil {
			t.Fatalf("second RecordRejectedFile of the same hash: err = nil, want a unique violation")
		}
	})
}

func TestFileIssuesKeepOrderWithStoreIssuesLast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ingestFile(t, s, "o1.csv", sheet{typ: pme.Suspensions, name: "S", recs: []pme.Record{suspension(schoolA, ada, "2026-01-10", 2)}})
		changed := suspension(schoolA, ada, "2026-01-11", 2)
		changed.Pupil.Surname = "Byron"
		warn := pme.Issue{Sheet: "S", Row: 9, Column: "Reason", Value: "OT", Code: pme.CodeCodeLegacy, Severity: pme.SeverityWarning, Message: "m"}
		ft := ingestFile(t, s, "o2.csv", sheet{typ: pme.Suspensions, name: "S", recs: []pme.Record{changed}, issues: []pme.Issue{warn}})
		f, err := s.FindFile(ctx, shaOf("o2.csv"))
		if err != nil {
			t.Fatalf("FindFile: %v", err)
		}
		got, err := s.FileIssues(ctx, f.ID)
		if err != nil {
			t.Fatalf("FileIssues: %v", err)
		}
		if want := append([]pme.Issue{warn}, ft.StoreIssues()...); !reflect.DeepEqual(got, want) {
			t.Fatalf("issues =\n%+v\nwant\n%+v", got, want)
		}
	})
}

// TestFilesByID: the Returns page's files, newest first, with their issue counts; none for none.
func TestFilesByID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if fs, err := s.FilesByID(ctx, nil); err != nil || len(fs) != 0 {
			t.Fatalf("FilesByID(nil) = %v, %v; want none", fs, err)
		}
		ingestFile(t, s, "known.csv", sheet{typ: pme.Suspensions, recs: []pme.Record{suspension(schoolA, ada, "2026-01-10", 2)}})
		meta := store.FileMeta{SHA256: shaOf("doc.pdf"), Name: "doc.pdf", Size: 9, Received: received.Add(time.Hour), DestPath: "rejected/doc.pdf",
			RunDate: pme.MustDate("2026-01-12")}
		if err := s.RecordRejectedFile(ctx, meta, (&pme.FileError{Code: pme.CodeFileFormat, Message: "Send .xlsx or .csv."}).Issue(), nil); err != nil {
			t.Fatal(err)
		}
		known, _ := s.FindFile(ctx, shaOf("known.csv"))
		doc, _ := s.FindFile(ctx, shaOf("doc.pdf"))
		fs, err := s.FilesByID(ctx, []int64{known.ID, doc.ID})
		if err != nil {
			t.Fatalf("FilesByID: %v", err)
		}
		if len(fs) != 2 || fs[0].Name != "doc.pdf" || fs[0].Issues != 1 || fs[0].RunDate != pme.MustDate("2026-01-12") ||
			fs[1].Name != "known.csv" || fs[1].Issues != 0 || fs[1].Accepted != known.Accepted {
			t.Fatalf("files = %+v, want doc.pdf (1 issue, run 12/01) then known.csv", fs)
		}
	})
}
