package ingest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

const benchRows = 100_000

// benchRow is a typical reduced-timetable row: 12 columns, a name with an accent, dates as text.
func benchRow(i int) []any {
	return []any{"8912345", "B801200005001", "Sample", "Zoë", "02/03/2014", "F", "7",
		"K", "05/01/2026", "10/04/2026", 12.5, fmt.Sprintf("Row %d, reviewed", i)}
}

func writeBenchCSV(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(path)
	must(b, err)
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "LAESTAB,UPN,Surname,Forename,Date of Birth,Gender,NC Year,SEN Provision,Start Date,Planned End Date,Hours Per Week,Notes")
	for i := range benchRows {
		r := benchRow(i)
		fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%v,\"%s\"\r\n", r...)
	}
	must(b, w.Flush())
	must(b, f.Close())
	return path
}

func writeBenchXLSX(b *testing.B) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.xlsx")
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	must(b, err)
	must(b, sw.SetRow("A1", []any{"LAESTAB", "UPN", "Surname", "Forename", "Date of Birth", "Gender", "NC Year",
		"SEN Provision", "Start Date", "Planned End Date", "Hours Per Week", "Notes"}))
	for i := range benchRows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		must(b, sw.SetRow(cell, benchRow(i)))
	}
	must(b, sw.Flush())
	must(b, f.SaveAs(path))
	return path
}

// benchRead opens path and reads every row of its first sheet, b.N times, reporting rows/s.
func benchRead(b *testing.B, path string) {
	b.ReportAllocs()
	b.ResetTimer()
	rows := 0
	for range b.N {
		wb, err := Open(path, DefaultLimits)
		must(b, err)
		it, err := wb.Rows(wb.Sheets()[0].Name)
		must(b, err)
		for it.Next() {
			rows++
		}
		must(b, it.Err())
		must(b, it.Close())
		must(b, wb.Close())
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadCSV(b *testing.B)  { benchRead(b, writeBenchCSV(b)) }
func BenchmarkReadXLSX(b *testing.B) { benchRead(b, writeBenchXLSX(b)) }
