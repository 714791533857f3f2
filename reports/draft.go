package reports

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/wneessen/go-mail"
)

// Draft is an e-mail for a person to check and send: written as an .eml file with X-Unsent: 1, so
// that Outlook opens it as an unsent draft, ready to send (compliance.md).
type Draft struct {
	To          string   // the recipient's address; "" leaves it for the person sending
	Subject     string   // may hold anything a school file held: see HeaderText
	Body        string   // plain text
	Attachments []string // files attached by path, named by their base name
	Date        time.Time
}

// WriteDraft writes the draft to path (0600, through a temporary name). Every header value goes
// through HeaderText first, so a school name with a line break can never add a header: the
// message is built by go-mail, which encodes what is left.
func WriteDraft(path string, d Draft) error {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if to := HeaderText(d.To); to != "" {
		if err := m.To(to); err != nil {
			return fmt.Errorf("draft %s: recipient: %w", filepath.Base(path), err)
		}
	}
	m.Subject(HeaderText(d.Subject))
	m.SetGenHeader(mail.Header("X-Unsent"), "1")
	if !d.Date.IsZero() {
		m.SetDateWithValue(d.Date)
	}
	m.SetBodyString(mail.TypeTextPlain, d.Body)
	for _, a := range d.Attachments {
		m.AttachFile(a, mail.WithFileName(HeaderText(filepath.Base(a))))
	}
	return WriteFileAtomic(path, func(w io.Writer) error {
		_, err := m.WriteTo(w)
		return err
	})
}

// HeaderText makes s safe for one header line: every control character (line breaks included) and
// every Unicode line or paragraph separator becomes a space, and runs of spaces become one.
func HeaderText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\u0085' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
