package ingest

import (
	"bufio"
	"errors"
	"io"
	"strings"
)

// The shared string table is the one part of a workbook held in memory, so its memory must be
// bounded by the part's unzipped size (Limits.MaxUnzippedBytes), whatever the part holds. A
// []string costs 16 bytes of header per entry plus an allocation each: a 640 KB xlsx whose 250 MB
// table is fifteen million "<si><t>a</t></si>" took 900 MB and 17 s through encoding/xml. Here
// the text is packed into chunks and each entry costs 4 bytes, always less than the bytes of its
// own XML, and there are no copies on growth: the same file takes under 100 MB and about a second.

const (
	sstChunkBits = 20 // a text chunk holds up to 1 MiB
	sstChunkSize = 1 << sstChunkBits
	sstEndBits   = sstChunkBits + 1 // an end offset within a chunk is 0..sstChunkSize
	sstMaxChunks = 1 << (32 - sstEndBits)
	sstBlockSize = 1 << 16 // entries per block of end offsets

	// maxSharedString is the longest shared string accepted, in bytes: Excel holds at most 32,767
	// characters in a cell, so anything longer (up to a whole chunk) is not a cell a school typed.
	maxSharedString = sstChunkSize
)

// sharedStrings is a workbook's shared string table, packed. Entry i's text is in chunks[c], and
// ends holds, per entry, c<<sstEndBits | the offset in the chunk where the text ends; it starts
// where the previous entry ended when that was in the same chunk, else at 0. No entry spans two
// chunks.
type sharedStrings struct {
	chunks []string
	ends   [][]uint32
	n      int

	cur strings.Builder // the chunk being filled
}

// len returns the number of entries.
func (ss *sharedStrings) len() int { return ss.n }

// at returns entry i (i must be in range). It does not allocate: the text is a substring.
func (ss *sharedStrings) at(i int) string {
	e := ss.ends[i/sstBlockSize][i%sstBlockSize]
	c, end := e>>sstEndBits, e&(1<<sstEndBits-1)
	start := uint32(0)
	if i > 0 {
		p := ss.ends[(i-1)/sstBlockSize][(i-1)%sstBlockSize]
		if p>>sstEndBits == c {
			start = p & (1<<sstEndBits - 1)
		}
	}
	return ss.chunks[c][start:end]
}

// add appends an entry.
func (ss *sharedStrings) add(text []byte) error {
	if len(text) > maxSharedString {
		return errors.New("a shared string is longer than any cell")
	}
	if ss.cur.Len()+len(text) > sstChunkSize {
		ss.seal()
	}
	if len(ss.chunks) >= sstMaxChunks {
		return errors.New("shared strings too large")
	}
	ss.cur.Write(text)
	if ss.n%sstBlockSize == 0 {
		ss.ends = append(ss.ends, make([]uint32, 0, min(sstBlockSize, 1024)))
	}
	b := len(ss.ends) - 1
	ss.ends[b] = append(ss.ends[b], uint32(len(ss.chunks))<<sstEndBits|uint32(ss.cur.Len()))
	ss.n++
	return nil
}

// seal closes the current chunk: its text becomes a string without a copy.
func (ss *sharedStrings) seal() {
	ss.chunks = append(ss.chunks, ss.cur.String())
	ss.cur = strings.Builder{}
}

// finish seals the last chunk.
func (ss *sharedStrings) finish() {
	if ss.cur.Len() > 0 || len(ss.chunks) == 0 {
		ss.seal()
	}
}

// readSharedStrings reads each <si>'s text: its <t>, or its rich-text runs' <t>s joined, leaving
// out phonetic (<rPh>) runs. It uses the worksheet scanner's tag reader (the same small XML
// subset: Excel and LibreOffice write nothing else here) and refuses a DOCTYPE.
func readSharedStrings(r io.Reader) (*sharedStrings, error) {
	s := sheetScanner{br: bufio.NewReaderSize(r, 64<<10)}
	ss := &sharedStrings{}
	var inSI, inRPh, started, ended bool
	for {
		text, err := s.br.ReadSlice('<')
		if err == bufio.ErrBufferFull {
			if s.capture {
				if s.text = append(s.text, text...); len(s.text) > maxSharedString*2 {
					return nil, errors.New("a shared string is longer than any cell")
				}
			}
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if s.capture {
			s.text = append(s.text, text[:len(text)-1]...)
		}
		if err := s.readTag(); err != nil {
			return nil, err
		}
		if len(s.tag) == 0 {
			continue // comment, processing instruction or CDATA (already captured)
		}
		started = true
		open := !s.closing && !s.selfClosing
		switch string(s.tag) {
		case "si":
			switch {
			case !s.closing:
				inSI, inRPh, s.text = true, false, s.text[:0]
				if s.selfClosing { // <si/>: an empty string
					inSI = false
					if err := ss.add(nil); err != nil {
						return nil, err
					}
				}
			case inSI:
				inSI, s.capture = false, false
				if err := ss.add(sharedText(s.text)); err != nil {
					return nil, err
				}
			}
		case "t":
			s.capture = inSI && !inRPh && open
		case "rPh":
			inRPh = open
		case "sst":
			ended = ended || s.closing
		}
	}
	// A table cut short would leave later cells pointing past its end: say so here.
	if started && !ended {
		return nil, errors.New("shared strings end before </sst>")
	}
	ss.finish()
	return ss, nil
}

// sharedText decodes a shared string's raw XML text: entities, line ends, Excel's _xHHHH_ escapes.
func sharedText(raw []byte) []byte {
	if !bytesContainAny(raw, '&', '\r', '_') {
		return raw
	}
	return []byte(decodeExcelEscapes(string(unescapeXMLText(raw))))
}

func bytesContainAny(b []byte, c ...byte) bool {
	for _, x := range b {
		for _, y := range c {
			if x == y {
				return true
			}
		}
	}
	return false
}
