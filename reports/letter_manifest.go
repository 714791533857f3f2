package reports

import (
	"encoding/csv"
	"io"
	"path"

	"pme"
)

// The day's manifest.csv: every letter made, and those that could not be.

// ManifestRow is one line of out/letters/YYYY-MM-DD/manifest.csv: a letter made, or one that could
// not be (Reason set, no file).
type ManifestRow struct {
	LetterID, Date, UPN, Pupil, LAESTAB, School, Headteacher, Chair, SocialWorker, Trigger, File, SHA256, Reason string
}

// ManifestHeader is the manifest's header row (outputs.md).
var ManifestHeader = []string{"Letter ID", "Date", "UPN", "Pupil", "LAESTAB", "School", "Headteacher",
	"Chair of Governors", "Social Worker", "Trigger", "File", "SHA-256", "Reason Not Made"}

// ManifestRows lists the letters made (give every letter of the day from the ledger, so that a
// second run on the same day keeps the first run's rows) and those not made, in that order.
func ManifestRows(made []pme.Letter, notProduced []NotProduced) []ManifestRow {
	var rows []ManifestRow
	for _, l := range made {
		d := l.Data
		rows = append(rows, ManifestRow{
			LetterID: l.ID, Date: l.Date.UK(), UPN: l.UPN, Pupil: d.Pupil.Name, LAESTAB: l.LAESTAB,
			School: d.School.Name, Headteacher: d.Headteacher, Chair: d.Chair, SocialWorker: d.Plan.SocialWorker,
			Trigger: l.Trigger, File: path.Base(l.File), SHA256: l.SHA256,
		})
	}
	for _, n := range notProduced {
		rows = append(rows, ManifestRow{
			Date: n.Date.UK(), UPN: n.UPN, Pupil: n.Pupil, LAESTAB: n.LAESTAB, School: n.School,
			Headteacher: n.Headteacher, Chair: n.Chair, SocialWorker: n.SocialWorker, Trigger: n.Trigger, Reason: n.Reason,
		})
	}
	return rows
}

// WriteManifest writes the manifest CSV (UTF-8 with a BOM, so Excel shows the names' accents) at
// path, 0600, atomically; every cell through SafeCell.
func WriteManifest(path string, rows []ManifestRow) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		if err := cw.Write(ManifestHeader); err != nil {
			return err
		}
		for _, r := range rows {
			rec := []string{r.LetterID, r.Date, r.UPN, r.Pupil, r.LAESTAB, r.School, r.Headteacher, r.Chair,
				r.SocialWorker, r.Trigger, r.File, r.SHA256, r.Reason}
			for i := range rec {
				rec[i] = SafeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}
