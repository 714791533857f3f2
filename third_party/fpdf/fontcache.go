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
		utf8File.shared = &sharedTables{}
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

// sharedTables is what GenerateCutFont otherwise rebuilds from a cached font for every document:
// the rune↔glyph dictionaries of its cmap, its 65,536-entry width table and its glyph offsets
// (loca). Each is made once, then only read.
type sharedTables struct {
	sccsOnce             sync.Once
	runeCmapPosition     int
	symbolCharDictionary map[int][]int
	charSymbolDictionary map[int]int

	cutOnce        sync.Once
	cutKey         [3]int // metricsCount, numSymbols, locaFormat: the same bytes give the same
	charWidths     []int
	defaultWidth   float64
	symbolPosition []int
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
	s := utf.shared
	if s == nil {
		return fresh()
	}
	s.sccsOnce.Do(func() {
		s.runeCmapPosition = runeCmapPosition
		s.symbolCharDictionary, s.charSymbolDictionary = fresh()
	})
	if s.runeCmapPosition != runeCmapPosition { // the same bytes find the same subtable; never seen
		return fresh()
	}
	return s.symbolCharDictionary, s.charSymbolDictionary
}

// cutTables sets CharWidths, DefaultWidth and symbolPosition as GenerateCutFont's parseHMTXTable
// and parseLOCATable do: parsed afresh for a font not from the cache, shared otherwise. After it,
// GenerateCutFont only reads symbolPosition, and nothing reads the cut font's CharWidths and
// DefaultWidth (the document's widths are the cached definition's Cw), so sharing is safe.
func (utf *utf8FontFile) cutTables(metricsCount, numSymbols, locaFormat int, symbolCharDictionary map[int][]int) {
	fresh := func() {
		utf.parseHMTXTable(metricsCount, numSymbols, symbolCharDictionary, 1.0)
		utf.parseLOCATable(locaFormat, numSymbols)
	}
	s := utf.shared
	if s == nil {
		fresh()
		return
	}
	key := [3]int{metricsCount, numSymbols, locaFormat}
	s.cutOnce.Do(func() {
		fresh()
		s.cutKey, s.charWidths, s.defaultWidth, s.symbolPosition = key, utf.CharWidths, utf.DefaultWidth, utf.symbolPosition
	})
	if s.cutKey != key { // never seen: the same bytes give the same counts
		fresh()
		return
	}
	utf.CharWidths, utf.DefaultWidth, utf.symbolPosition = s.charWidths, s.defaultWidth, s.symbolPosition
}
