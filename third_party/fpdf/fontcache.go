// PATCH (pme, see PATCH.md): this file is not part of upstream fpdf v0.12.0.

package fpdf

import (
	"bytes"
	"fmt"
	"sync"
)

// utf8FontCacheEntry is one font parsed by AddUTF8FontFromBytes: the bytes it was parsed from (a
// private copy, never written), the parsed font and the definition with its ID. All of it is
// read-only once stored.
type utf8FontCacheEntry struct {
	data []byte
	file *utf8FontFile
	def  fontDefType
}

var utf8FontCache = struct {
	sync.Mutex
	m map[string][]*utf8FontCacheEntry // by font key
}{m: make(map[string][]*utf8FontCacheEntry)}

// cachedUTF8Font returns the definition AddUTF8FontFromBytes builds for fontkey and utf8Bytes,
// parsing the font only the first time these bytes are seen under this key in the process. The
// definition's utf8File is a copy of its own (GenerateCutFont mutates it) and its usedRunes is nil
// (the caller sets it: it depends on the document). ok is false when the font cannot be parsed,
// after the same message as upstream.
func cachedUTF8Font(fontkey string, utf8Bytes []byte) (def fontDefType, ok bool) {
	utf8FontCache.Lock()
	defer utf8FontCache.Unlock()
	var e *utf8FontCacheEntry
	for _, c := range utf8FontCache.m[fontkey] {
		if bytes.Equal(c.data, utf8Bytes) {
			e = c
			break
		}
	}
	if e == nil {
		data := bytes.Clone(utf8Bytes)
		utf8File := newUTF8Font(&fileReader{readerPosition: 0, array: data})
		if err := utf8File.parseFile(); err != nil {
			fmt.Printf("get metrics Error: %e\n", err)
			return fontDefType{}, false
		}
		desc := FontDescType{
			Ascent:       int(utf8File.Ascent),
			Descent:      int(utf8File.Descent),
			CapHeight:    utf8File.CapHeight,
			Flags:        utf8File.Flags,
			FontBBox:     utf8File.Bbox,
			ItalicAngle:  utf8File.ItalicAngle,
			StemV:        utf8File.StemV,
			MissingWidth: round(utf8File.DefaultWidth),
		}
		d := fontDefType{
			Tp:       "UTF8",
			Name:     fontkey,
			Desc:     desc,
			Up:       int(round(utf8File.UnderlinePosition)),
			Ut:       round(utf8File.UnderlineThickness),
			Cw:       utf8File.CharWidths, // read-only: nothing in fpdf writes a font's Cw
			utf8File: utf8File,
		}
		d.i, _ = generateFontID(d) // usedRunes and utf8File are unexported: not in the ID
		utf8File.sccs = &sharedSCCS{}
		e = &utf8FontCacheEntry{data: data, file: utf8File, def: d}
		utf8FontCache.m[fontkey] = append(utf8FontCache.m[fontkey], e)
	}
	def = e.def
	def.utf8File = e.file.clone()
	return def, true
}

// clone returns a copy of a parsed font for one document's GenerateCutFont, sharing nothing
// mutable with the cached one: its own reader, and none of the maps and slices parseFile made.
// GenerateCutFont makes all of them afresh before it reads them (it parses the font again), and
// after it only CodeSymbolDictionary and LastRune are read, which it sets.
func (utf *utf8FontFile) clone() *utf8FontFile {
	c := *utf
	c.fileReader = &fileReader{readerPosition: 0, array: utf.fileReader.array}
	c.tableDescriptions = nil
	c.outTablesData = nil
	c.symbolPosition = nil
	c.charSymbolDictionary = nil
	c.CharWidths = nil
	c.symbolData = nil
	c.CodeSymbolDictionary = nil
	return &c
}

// sharedSCCS is the rune↔glyph dictionaries of a cached font's cmap, which GenerateCutFont
// otherwise builds afresh for every document. Made once, then only read.
type sharedSCCS struct {
	once                 sync.Once
	runeCmapPosition     int
	symbolCharDictionary map[int][]int
	charSymbolDictionary map[int]int
}

// sccsDictionaries returns generateSCCSDictionaries' two dictionaries for the cmap subtable at
// runeCmapPosition: upstream's fresh ones for a font not from the cache, the shared ones otherwise.
// Callers only read them, and seek before they read the font again.
func (utf *utf8FontFile) sccsDictionaries(runeCmapPosition int) (map[int][]int, map[int]int) {
	fresh := func() (map[int][]int, map[int]int) {
		symbolCharDictionary := make(map[int][]int)
		charSymbolDictionary := make(map[int]int)
		utf.generateSCCSDictionaries(runeCmapPosition, symbolCharDictionary, charSymbolDictionary)
		return symbolCharDictionary, charSymbolDictionary
	}
	s := utf.sccs
	if s == nil {
		return fresh()
	}
	s.once.Do(func() {
		s.runeCmapPosition = runeCmapPosition
		s.symbolCharDictionary, s.charSymbolDictionary = fresh()
	})
	if s.runeCmapPosition != runeCmapPosition { // the same bytes find the same subtable; never seen
		return fresh()
	}
	return s.symbolCharDictionary, s.charSymbolDictionary
}
