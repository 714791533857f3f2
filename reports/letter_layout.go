package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"pme"
)

// The page: A4 layout of the letterhead, addressees, blocks and footers with fpdf.

// Page layout, in millimetres: A4 portrait.
const (
	pageW       = 210.0
	pageH       = 297.0
	marginL     = 22.0
	marginR     = 20.0
	marginT     = 15.0
	marginB     = 22.0
	bodyPt      = 9.5
	lineH       = 4.6
	indentW     = 7.0
	labelW      = 46.0
	rightColumn = 130.0
	rowH        = 4.4 // table rows, in a smaller type
)

// letterPDF is one printing of a letter.
type letterPDF struct {
	*fpdf.Fpdf
	data pme.LetterData
}

// pageNumberWidth is the room for "Page N of M" at the foot, in mm.
const pageNumberWidth = 18

// pagesAlias stands for the number of pages in "Page N of M"; fpdf fills it in when the letter is
// finished, so a letter is laid out once however many pages it runs to.
const pagesAlias = "{pages}"

// layoutLetter prints the letter and returns the PDF.
func layoutLetter(data pme.LetterData, blocks []letterBlock, font *LetterFont) ([]byte, error) {
	p := &letterPDF{Fpdf: fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"}), data: data}
	p.setup(font)
	p.AddPage()
	p.letterhead()
	p.addressees()
	closing := closingStart(blocks)
	for i, b := range blocks {
		if i == closing {
			p.keepHeight(p.height(blocks[i:]))
		}
		p.block(b, i > 0 && blocks[i-1].kind == blockRow)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, fmt.Errorf("render letter %s: %w", data.ID, err)
	}
	return buf.Bytes(), nil
}

// Warm prints a throwaway page in both faces of the font, so that fpdf's per-process work on it
// (parsing each face and the tables every subset is cut from: third_party/fpdf/PATCH.md) is done.
// The first letters otherwise wait for it, one after the other; called while the letters are
// planned, it overlaps the database's work. It changes no letter's bytes.
func (f *LetterFont) Warm() {
	p := fpdf.NewCustom(&fpdf.InitType{OrientationStr: "P", UnitStr: "mm", SizeStr: "A4"})
	p.AddUTF8FontFromBytes("letter", "", f.regular)
	p.AddUTF8FontFromBytes("letter", "B", f.bold)
	p.AddPage()
	for _, style := range []string{"", "B"} {
		p.SetFont("letter", style, bodyPt)
		p.Write(lineH, "Warm")
	}
	_ = p.Output(io.Discard) // nothing to report: a letter that fails says why
}

func (p *letterPDF) setup(font *LetterFont) {
	p.SetMargins(marginL, marginT, marginR)
	p.SetAutoPageBreak(true, marginB)
	p.SetCellMargin(0)
	p.AddUTF8FontFromBytes("letter", "", font.regular)
	p.AddUTF8FontFromBytes("letter", "B", font.bold)
	made := p.data.Issued.Time() // the letter's date: a reprint years later gives the same bytes
	p.SetCreationDate(made)
	p.SetModificationDate(made)
	p.SetCatalogSort(true)
	p.SetProducer("pme", false)
	p.SetCreator("pme", false)
	p.SetTitle("Letter "+p.data.ID, true)
	p.SetAuthor(p.data.Council, true)
	p.SetLang("en-GB")
	p.SetTextColor(0, 0, 0)
	p.SetHeaderFunc(p.header)
	p.AliasNbPages(pagesAlias)
	p.SetFooterFuncLpi(p.footer)
}

// header and footer carry the Government Security Classification marking on every page.
func (p *letterPDF) header() {
	p.SetY(7)
	p.SetFont("letter", "B", 8)
	p.CellFormat(0, 4, "OFFICIAL-SENSITIVE", "", 0, "C", false, 0, "")
	p.SetY(marginT)
}

// footer ends a page; lastPage is false when another page follows. Page numbers are printed only
// when the letter runs onto a second page.
func (p *letterPDF) footer(lastPage bool) {
	p.SetY(-15)
	p.SetFont("letter", "B", 8)
	p.CellFormat(0, 4, "OFFICIAL-SENSITIVE", "", 0, "C", false, 0, "")
	p.SetFont("letter", "", 8)
	p.SetX(marginL)
	p.CellFormat(0, 4, "Our ref: "+p.data.ID, "", 0, "L", false, 0, "")
	if !lastPage || p.PageNo() > 1 {
		// Left-aligned in a box at the right margin: the alias is wider than the number it
		// becomes, so right alignment would drift.
		w, _ := p.GetPageSize()
		p.SetX(w - marginR - pageNumberWidth)
		p.CellFormat(pageNumberWidth, 4, fmt.Sprintf("Page %d of %s", p.PageNo(), pagesAlias), "", 0, "L", false, 0, "")
	}
}

// letterhead prints the council's name and service at the top left, its address at the top
// right, and a rule beneath.
func (p *letterPDF) letterhead() {
	top := p.GetY()
	p.SetFont("letter", "B", 14)
	p.MultiCell(rightColumn-marginL-4, 6.5, p.data.Council, "", "L", false)
	p.SetFont("letter", "", 10.5)
	p.MultiCell(rightColumn-marginL-4, 5, p.data.Service, "", "L", false)
	left := p.GetY()
	p.SetY(top + 0.8)
	p.SetFont("letter", "", 9)
	for _, l := range p.data.CouncilAddress {
		p.CellFormat(0, 3.9, l, "", 1, "R", false, 0, "")
	}
	y := max(left, p.GetY()) + 2.5
	p.SetDrawColor(150, 150, 150)
	p.SetLineWidth(0.3)
	p.Line(marginL, y, pageW-marginR, y)
	p.SetY(y + 6)
}

// addressees prints the addressees and the school's address at the left, and the reference and
// date at the right.
func (p *letterPDF) addressees() {
	top := p.GetY()
	p.SetFont("letter", "", bodyPt)
	w := rightColumn - marginL - 6
	lines := []string{
		p.data.Headteacher + ", " + p.data.HeadteacherRole,
		p.data.Chair + ", Chair of Governors",
		p.data.School.Name,
	}
	for _, l := range append(lines, p.data.School.Address...) {
		p.SetX(marginL)
		p.MultiCell(w, lineH, l, "", "L", false)
	}
	left := p.GetY()
	p.SetY(top)
	for _, kv := range [][2]string{{"Our ref:", p.data.ID}, {"Date:", p.data.Date}} {
		p.SetX(rightColumn)
		p.SetFont("letter", "B", 10)
		p.CellFormat(17, lineH, kv[0], "", 0, "L", false, 0, "")
		p.SetFont("letter", "", 10)
		p.CellFormat(0, lineH, kv[1], "", 1, "L", false, 0, "")
	}
	p.SetY(max(left, p.GetY()) + 7)
}

// block prints one line of the template's text.
func (p *letterPDF) block(b letterBlock, afterRow bool) {
	p.SetFont("letter", "", bodyPt)
	switch b.kind {
	case blockSpace:
		if p.GetY() > marginT+0.5 { // no gap at the top of a new page
			p.Ln(lineH * 0.7)
		}
	case blockPara:
		p.rich(b.text, false)
		p.Ln(lineH)
	case blockHeading:
		p.keep(2)
		p.rich(b.text, true)
		p.Ln(lineH)
	case blockItem:
		p.keep(2)
		p.SetX(marginL)
		p.CellFormat(indentW, lineH, b.marker, "", 0, "L", false, 0, "")
		p.SetLeftMargin(marginL + indentW)
		p.rich(b.text, false)
		p.SetLeftMargin(marginL)
		p.Ln(lineH + 0.8)
	case blockRow:
		p.row(b, !afterRow)
	}
}

// keep starts a new page when fewer than n lines are left on this one, so that a heading or list
// item is not stranded at the foot of a page.
func (p *letterPDF) keep(n int) { p.keepHeight(float64(n) * lineH) }

func (p *letterPDF) keepHeight(h float64) {
	if p.GetY()+h > pageH-marginB && p.GetY() > marginT+20 {
		p.AddPage()
	}
}

// closingStart returns where the letter's closing starts: the paragraph before "Yours sincerely"
// (or "Yours faithfully"). It is kept on one page with everything after it: a signature alone on
// a page is no use. -1 when there is no such line.
func closingStart(blocks []letterBlock) int {
	for i, b := range blocks {
		if b.kind != blockPara || !strings.HasPrefix(strings.ToLower(b.text), "yours ") {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			if blocks[j].kind != blockSpace {
				if blocks[j].kind == blockPara {
					return j
				}
				break
			}
		}
		return i
	}
	return -1
}

// height estimates how tall the blocks print (a line per wrapped line of text).
func (p *letterPDF) height(blocks []letterBlock) float64 {
	h := 0.0
	width := pageW - marginL - marginR
	p.SetFont("letter", "", bodyPt)
	for _, b := range blocks {
		switch b.kind {
		case blockSpace:
			h += lineH * 0.7
		case blockRow:
			h += rowH + 1.2
		case blockItem:
			h += float64(len(p.SplitText(unescape(b.text), width-indentW)))*lineH + 0.8
		default:
			h += float64(len(p.SplitText(unescape(b.text), width))) * lineH
		}
	}
	return h
}

// rich prints text with its **bold** parts, wrapping at the margins.
func (p *letterPDF) rich(text string, bold bool) {
	for i, part := range strings.Split(text, "**") {
		style := ""
		if bold != (i%2 == 1) {
			style = "B"
		}
		p.SetFont("letter", style, bodyPt)
		p.Write(lineH, strings.ReplaceAll(part, string(markupEscape), "*"))
	}
}

// row prints a table row: the label in bold, the value beside it, each wrapping in its column,
// with a hairline above the first row and below every row.
func (p *letterPDF) row(b letterBlock, first bool) {
	valueW := pageW - marginR - marginL - labelW
	label, value := unescape(b.label), unescape(b.text)
	p.SetFont("letter", "", 10)
	n := max(len(p.SplitText(value, valueW-2)), len(p.SplitText(label, labelW-3)), 1)
	if p.GetY()+float64(n)*rowH+2 > pageH-marginB {
		p.AddPage()
		first = true
	}
	p.SetDrawColor(190, 190, 190)
	p.SetLineWidth(0.2)
	if first {
		p.Line(marginL, p.GetY(), pageW-marginR, p.GetY())
	}
	top := p.GetY() + 0.5
	p.SetXY(marginL+1, top)
	p.SetFont("letter", "B", 10)
	p.MultiCell(labelW-3, rowH, label, "", "L", false)
	bottom := p.GetY()
	p.SetXY(marginL+labelW, top)
	p.SetFont("letter", "", 10)
	p.MultiCell(valueW-2, rowH, value, "", "L", false)
	y := max(bottom, p.GetY()) + 0.5
	p.Line(marginL, y, pageW-marginR, y)
	p.SetY(y)
}
