// PATCH (pme, see PATCH.md): this file is not part of upstream fpdf v0.12.0.

package fpdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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

	mu        sync.Mutex
	cuts      map[string]cutFont // by cutKey(usedRunes)
	cidWidths map[string]string  // the /W array, by LastRune and the runes above 255 used

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

// cutFont is what putfonts writes of a UTF-8 font for the runes a document used: the subset's
// length and its compressed bytes, the compressed CIDToGIDMap, and the font's LastRune after the
// cut. All are pure functions of the font and the runes; the bytes are never written once made.
type cutFont struct {
	size, lastRune    int
	font, cidToGIDMap []byte
}

// cutCacheLimit bounds the bytes of subsets kept for reuse, process-wide: letters that use the same
// characters share a subset (about half of 1,000 letters did), and each is 15-25 KB.
const cutCacheLimit = 24 << 20

var cutCacheBytes atomic.Int64

// cutFontStreams returns the cut font for usedRunes: made as upstream's putfonts made it, or for a
// cached font the one made before for the same runes (by any document). usedRunes is only read.
func (utf *utf8FontFile) cutFontStreams(usedRunes map[int]int) cutFont {
	s := utf.shared
	if s == nil {
		return utf.makeCutFont(usedRunes)
	}
	key := cutKey(usedRunes)
	s.mu.Lock()
	c, ok := s.cuts[key]
	s.mu.Unlock()
	if ok {
		return c
	}
	c = utf.makeCutFont(usedRunes)
	n := int64(len(c.font) + len(c.cidToGIDMap) + len(key))
	if cutCacheBytes.Add(n) > cutCacheLimit {
		cutCacheBytes.Add(-n) // full: later documents with these runes cut their own
		return c
	}
	s.mu.Lock()
	if s.cuts == nil {
		s.cuts = make(map[string]cutFont)
	}
	if _, ok := s.cuts[key]; ok {
		cutCacheBytes.Add(-n) // another goroutine made the same bytes first
	} else {
		s.cuts[key] = c
	}
	s.mu.Unlock()
	return c
}

// makeCutFont is upstream putfonts' code for the subset and the CIDToGIDMap, with the compressed
// bytes copied out of the pool.
func (utf *utf8FontFile) makeCutFont(usedRunes map[int]int) cutFont {
	utf8FontStream := utf.GenerateCutFont(usedRunes)
	c := cutFont{size: len(utf8FontStream), lastRune: utf.LastRune}
	CodeSignDictionary := utf.CodeSymbolDictionary
	delete(CodeSignDictionary, 0)
	cidToGidMap := make([]byte, 256*256*2)
	for cc, glyph := range CodeSignDictionary {
		cidToGidMap[cc*2] = byte(glyph >> 8)
		cidToGidMap[cc*2+1] = byte(glyph & 0xFF)
	}
	mem := xmem.compress(cidToGidMap)
	c.cidToGIDMap = mem.copy()
	mem.release()
	mem = xmem.compress(utf8FontStream)
	c.font = mem.copy()
	mem.release()
	return c
}

// cutKey is usedRunes as a string: its pairs in order of key. GenerateCutFont reads the values
// (the runes) and putfonts the keys, so both are in it.
func cutKey(usedRunes map[int]int) string {
	keys := make([]int, 0, len(usedRunes))
	for k := range usedRunes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, len(keys)*4)
	for _, k := range keys {
		b = binary.AppendVarint(b, int64(k))
		b = binary.AppendVarint(b, int64(usedRunes[k]))
	}
	return string(b)
}

// cidWidths returns upstream generateCIDFontMap's /W array for font, made once per cached font
// for each LastRune and set of runes above 255 used: the array lists every character up to 255
// the font has, and above 255 only those used (with a non-zero value in usedRunes), up to LastRune.
func (utf *utf8FontFile) cidWidths(font *fontDefType, LastRune int) string {
	s := utf.shared
	if s == nil {
		return makeCIDWidths(font, LastRune)
	}
	var used []int
	for cid, v := range font.usedRunes {
		if cid > 255 && cid <= LastRune && v != 0 {
			used = append(used, cid)
		}
	}
	slices.Sort(used)
	key := binary.AppendVarint(nil, int64(LastRune))
	for _, cid := range used {
		key = binary.AppendVarint(key, int64(cid))
	}
	s.mu.Lock()
	w, ok := s.cidWidths[string(key)]
	s.mu.Unlock()
	if ok {
		return w
	}
	w = makeCIDWidths(font, LastRune)
	s.mu.Lock()
	if s.cidWidths == nil {
		s.cidWidths = make(map[string]string)
	}
	if len(s.cidWidths) < cidWidthsLimit {
		s.cidWidths[string(key)] = w
	}
	s.mu.Unlock()
	return w
}

// cidWidthsLimit bounds the /W arrays kept per font (a few KB each) in a long-running process
// (pme serve) that meets many sets of accented characters.
const cidWidthsLimit = 2048
