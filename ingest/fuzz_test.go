package ingest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pme"
)

// fuzzLimits keep one fuzz input cheap: hostile bytes must be rejected or read, quickly, never
// panic or hang.
var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxRowsPerSheet: 2000, MaxUnzippedBytes: 4 << 20}

// addSeeds adds the testdata files whose names end in one of exts to the corpus.
func addSeeds(f *testing.F, exts ...string) {
	names, err := filepath.Glob(filepath.Join(readersDir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		for _, ext := range exts {
			if strings.HasSuffix(name, ext) {
				b, err := os.ReadFile(name)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
}

// readAll opens data and reads every row of every sheet, checking what the contract promises:
// errors are FileErrors (the data is in memory, so there is no I/O to fail), row numbers rise, and
// no row is blank or ends in a blank cell.
func readAll(t *testing.T, data []byte, name string) {
	wb, err := OpenReader(bytes.NewReader(data), int64(len(data)), name, fuzzLimits)
	if err != nil {
		requireFileError(t, "OpenReader", err)
		return
	}
	defer func() {
		if err := wb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	for _, s := range wb.Sheets() {
		it, err := wb.Rows(s.Name)
		if err != nil {
			requireFileError(t, "Rows", err)
			continue
		}
		prev := 0
		for it.Next() {
			row := it.Row()
			if it.Num() <= prev {
				t.Fatalf("row number %d after %d", it.Num(), prev)
			}
			prev = it.Num()
			if len(row) == 0 || isBlank(row[len(row)-1].Value) {
				t.Fatalf("row %d = %v: blank or ends in a blank cell", it.Num(), row)
			}
		}
		if err := it.Err(); err != nil {
			requireFileError(t, "Next", err)
		}
		it.Close()
	}
}

func requireFileError(t *testing.T, op string, err error) {
	var fe *pme.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: %v (%T), want a *pme.FileError", op, err, err)
	}
}

func FuzzReadCSV(f *testing.F) {
	addSeeds(f, ".csv", ".txt")
	f.Add([]byte("a,b\n\"x\ny\",z\n\n\n,,\n"))
	f.Add([]byte("\xFF\xFEa\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, data, "fuzz.csv")
	})
}

func FuzzReadXLSX(f *testing.F) {
	addSeeds(f, ".xlsx", ".xls", ".ods")
	f.Fuzz(func(t *testing.T, data []byte) {
		readAll(t, data, "fuzz.xlsx")
	})
}
