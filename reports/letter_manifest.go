package reports

import (
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
	out := make([]manifestLine, len(rows))
	for i, r := range rows {
		out[i] = manifestLine{SafeText(r.LetterID), SafeText(r.Date), SafeText(r.UPN), SafeText(r.Pupil),
			SafeText(r.LAESTAB), SafeText(r.School), SafeText(r.Headteacher), SafeText(r.Chair),
			SafeText(r.SocialWorker), SafeText(r.Trigger), SafeText(r.File), SafeText(r.SHA256), SafeText(r.Reason)}
	}
	return writeCSV(path, out)
}

// manifestLine is a manifest row as gocsv writes it: the tags are ManifestHeader.
type manifestLine struct {
	LetterID     SafeText `csv:"Letter ID"`
	Date         SafeText `csv:"Date"`
	UPN          SafeText `csv:"UPN"`
	Pupil        SafeText `csv:"Pupil"`
	LAESTAB      SafeText `csv:"LAESTAB"`
	School       SafeText `csv:"School"`
	Headteacher  SafeText `csv:"Headteacher"`
	Chair        SafeText `csv:"Chair of Governors"`
	SocialWorker SafeText `csv:"Social Worker"`
	Trigger      SafeText `csv:"Trigger"`
	File         SafeText `csv:"File"`
	SHA256       SafeText `csv:"SHA-256"`
	Reason       SafeText `csv:"Reason Not Made"`
}
