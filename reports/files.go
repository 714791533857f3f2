// Package reports writes what pme hands to people: feedback reports for schools, the flagged-case
// workbook and CSV for the PME practitioner, and assurance letters. Everything written holds
// children's personal data: files are 0600 in 0700 folders, written to a temporary name and then
// renamed, never overwritten in place; and every cell from a school file is written so that a
// spreadsheet shows it as text and never runs it.
package reports

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes the file at path by calling write on a temporary file in the same folder,
// syncing it and renaming it into place: a reader never sees half a file, and a crash leaves at
// worst a stray temporary file. The folder is created 0700 and the file is 0600.
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // CreateTemp makes it 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// SafeCell returns s so that Excel and other spreadsheets show it as text and never evaluate it:
// a value beginning with =, +, -, @, tab or carriage return gets a leading apostrophe (OWASP's
// advice for CSV injection). School files are untrusted input.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
