package ingest

import (
	"testing"

	"pme"
)

func TestCheckUPN(t *testing.T) {
	tests := []struct {
		upn  string
		want string
	}{
		// The public test vectors of returns.md.
		{"B801200005001", ""},
		{"H801200001001", ""},
		{"A950000178301", ""},
		{"H243278544154", ""},
		{"G80120000101A", pme.CodeUPNTemporary},
		{"A801200005001", pme.CodeUPNCheck},
		{"Z801200001001", pme.CodeUPNCheck},
		{"R247962919251", pme.CodeUPNCheck},
		{"X428558133462", pme.CodeUPNCheck},
		{"G80120000101S", pme.CodeUPNFormat}, // S is not a check-table letter
		// Shapes.
		{"", pme.CodeUPNFormat},
		{"B80120000500", pme.CodeUPNFormat},   // 12 characters
		{"B8012000050011", pme.CodeUPNFormat}, // 14 characters
		{"I801200005001", pme.CodeUPNFormat},  // I is not a check letter
		{"1801200005001", pme.CodeUPNFormat},  // no leading letter
		{"B80120000A001", pme.CodeUPNFormat},  // a letter inside the digits
		{"b801200005001", pme.CodeUPNFormat},  // callers upper-case first
	}
	for _, tc := range tests {
		t.Run(tc.upn, func(t *testing.T) {
			if got := CheckUPN(tc.upn); got != tc.want {
				t.Fatalf("CheckUPN(%q) = %q, want %q", tc.upn, got, tc.want)
			}
		})
	}
}

func TestUPNCheckLetter(t *testing.T) {
	for _, upn := range []string{"B801200005001", "H801200001001", "A950000178301", "H243278544154", "G80120000101A"} {
		got, ok := UPNCheckLetter(upn[1:])
		if !ok || got != upn[0] {
			t.Errorf("UPNCheckLetter(%q) = %q, %v; want %q, true", upn[1:], got, ok, upn[0])
		}
	}
	if _, ok := UPNCheckLetter("80120000101"); ok {
		t.Errorf("UPNCheckLetter of 11 characters: ok, want not ok")
	}
}

func BenchmarkCheckUPN(b *testing.B) {
	upns := []string{"B801200005001", "H801200001001", "A950000178301", "G80120000101A", "A801200005001"}
	n := 0
	for b.Loop() {
		CheckUPN(upns[n%len(upns)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
