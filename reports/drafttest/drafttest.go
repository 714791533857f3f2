// Package drafttest reads back the .eml drafts pme writes, as a mail client would, for tests.
package drafttest

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"testing"
)

// Draft is an .eml as read back: its headers, decoded subject, text body and attachments by name.
type Draft struct {
	Header  mail.Header
	Subject string
	Body    string
	Files   map[string][]byte
}

// Read parses the .eml at path with net/mail and mime/multipart.
func Read(t testing.TB, path string) Draft {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	d := Draft{Header: msg.Header, Files: map[string][]byte{}}
	if d.Subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("subject: %v", err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		d.Body = decode(t, msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		return d
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		// multipart decodes quoted-printable itself and drops the header; base64 it leaves.
		body := decode(t, p.Header.Get("Content-Transfer-Encoding"), p)
		if name := p.FileName(); name != "" {
			d.Files[name] = []byte(body)
		} else {
			d.Body = body
		}
	}
	return d
}

func decode(t testing.TB, enc string, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	switch strings.ToLower(enc) {
	case "base64":
		b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
		if err != nil {
			t.Fatalf("base64: %v", err)
		}
	case "quoted-printable":
		b, err = io.ReadAll(quotedprintableReader(b))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
	}
	return string(b)
}

func quotedprintableReader(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }
