package reports

import (
	"strings"
)

// The template's output text read line by line into paragraphs, headings, items and table rows.

// Kinds of line in a template's text.
const (
	blockPara = iota
	blockSpace
	blockHeading
	blockItem // numbered or bulleted
	blockRow  // a table row
)

type letterBlock struct {
	kind   int
	marker string // "1." or "•" for items
	label  string // for table rows
	text   string
}

// parseLetterText reads the template's text line by line into blocks.
func parseLetterText(text string) []letterBlock {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n ")
	text = strings.TrimLeft(text, "\n")
	var out []letterBlock
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, " \t")
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case trimmed == "":
			out = append(out, letterBlock{kind: blockSpace})
		case strings.HasPrefix(trimmed, "# "):
			out = append(out, letterBlock{kind: blockHeading, text: strings.TrimSpace(trimmed[2:])})
		case strings.HasPrefix(trimmed, "- "):
			out = append(out, letterBlock{kind: blockItem, marker: "•", text: strings.TrimSpace(trimmed[2:])})
		case strings.HasPrefix(trimmed, "|"):
			cells := strings.SplitN(strings.TrimSuffix(trimmed[1:], "|"), "|", 2)
			b := letterBlock{kind: blockRow, label: strings.TrimSpace(cells[0])}
			if len(cells) == 2 {
				b.text = strings.TrimSpace(cells[1])
			}
			out = append(out, b)
		default:
			if n := listNumber(trimmed); n != "" {
				out = append(out, letterBlock{kind: blockItem, marker: n, text: strings.TrimSpace(trimmed[len(n):])})
			} else {
				out = append(out, letterBlock{kind: blockPara, text: trimmed})
			}
		}
	}
	return out
}

// listNumber returns "12." when s starts with a number, a full stop and a space.
func listNumber(s string) string {
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && strings.HasPrefix(s[i:], ". ") {
		return s[:i+1]
	}
	return ""
}

func blockTexts(blocks []letterBlock) []string {
	var out []string
	for _, b := range blocks {
		out = append(out, unescape(b.marker), unescape(b.label), unescape(b.text))
	}
	return out
}

// unescape turns the data's stand-ins back into "*" and drops bold marks: for text printed plain.
func unescape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "**", ""), string(markupEscape), "*")
}
