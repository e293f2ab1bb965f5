package api

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// A village's map is ~2,000 features. Through toGeoFeature and
// goccy/go-json they took most of the answer's time (the attribute maps,
// the times and the properties behind an interface cost most) and made
// 1.6 MB of garbage each time. jsonBuf.feature writes the very same bytes
// directly (geojson_test.go compares them on every field and on awkward
// strings and numbers), several times faster, into a pooled buffer; what
// it does not know it hands to goccy/go-json piece by piece, so the output
// stays the library's.
//
// Keeping each feature's GeoJSON beside it in the index would make a
// village's later maps faster still, but costs ~350 bytes a feature: at
// 100,000 features the benchmark's resident memory went from ~360 MB to
// 416-450 MB, past the 400 MB target.

// jsonBuf is an output buffer with a sticky error: the first failure (a
// value goccy/go-json refuses, such as NaN) is kept and the rest is moot.
type jsonBuf struct {
	b           []byte
	err         error
	attrScratch []attr // reused by attrs
}

func (w *jsonBuf) raw(s string) { w.b = append(w.b, s...) }

// library appends v as goccy/go-json encodes it: the way out for whatever
// the direct path does not handle.
func (w *jsonBuf) library(v any) {
	out, err := gojson.Marshal(v)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.b = append(w.b, out...)
}

// escapedASCII marks the ASCII characters goccy/go-json escapes: quotes,
// backslashes, control characters and HTML's <, > and &; DEL too, to be safe.
var escapedASCII = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c < 0x20 || c == 0x7f || strings.ContainsRune(`"\<>&`, rune(c))
	}
	return t
}()

// plainString reports whether s is written as is between quotes: valid
// UTF-8 with nothing goccy/go-json escapes (escapedASCII, U+2028, U+2029).
func plainString(s string) bool {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if escapedASCII[c] {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

func (w *jsonBuf) str(s string) {
	if !plainString(s) {
		w.library(s)
		return
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// float writes v as goccy/go-json does: shortest form, exponent only for
// very small or large numbers; NaN and infinities go to the library, which
// refuses them.
func (w *jsonBuf) float(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		w.library(v)
		return
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, v, format, -1, 64)
}

// timestamp writes t as its MarshalJSON does (RFC 3339 with nanoseconds);
// a time MarshalJSON refuses goes to the library for its error.
func (w *jsonBuf) timestamp(t time.Time) {
	n := len(w.b)
	b, err := t.AppendText(append(w.b, '"'))
	if err != nil {
		w.b = w.b[:n]
		w.library(t)
		return
	}
	w.b = append(b, '"')
}

func (w *jsonBuf) stringList(ss []string) {
	if ss == nil {
		w.raw("null")
		return
	}
	w.b = append(w.b, '[')
	for i, s := range ss {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(s)
	}
	w.b = append(w.b, ']')
}

// value writes an attribute value: the types NormalizeAttrs gives, the
// rest through the library.
func (w *jsonBuf) value(v any) {
	switch v := v.(type) {
	case nil:
		w.raw("null")
	case string:
		w.str(v)
	case bool:
		w.b = strconv.AppendBool(w.b, v)
	case int64:
		w.b = strconv.AppendInt(w.b, v, 10)
	case float64:
		w.float(v)
	default:
		w.library(v)
	}
}

// attr is one attribute, for sorting.
type attr struct {
	key   string
	value any
}

// attrs writes the map with its keys in order. goccy/go-json orders them
// by their encoded bytes, quotes included; for keys of plain characters
// above '"' that is their order as strings. Other keys (none in the
// schema) go to the library with the whole map.
func (w *jsonBuf) attrs(m map[string]any) {
	if m == nil {
		w.raw("null")
		return
	}
	as := w.attrScratch[:0]
	for k, v := range m {
		if !plainString(k) || containsLowPunct(k) {
			clear(as)
			w.library(m)
			return
		}
		as = append(as, attr{k, v})
	}
	slices.SortFunc(as, func(a, b attr) int { return strings.Compare(a.key, b.key) })
	w.b = append(w.b, '{')
	for i, a := range as {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(a.key)
		w.b = append(w.b, ':')
		w.value(a.value)
	}
	w.b = append(w.b, '}')
	clear(as) // let go of the values
	w.attrScratch = as
}

// containsLowPunct reports a space or '!', the plain characters that sort
// before the closing quote and would order keys differently once encoded.
func containsLowPunct(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '!' {
			return true
		}
	}
	return false
}

// flags writes cunjie.Flags, its empty fields left out.
func (w *jsonBuf) flags(f cunjie.Flags) {
	sep := byte('{')
	field := func(name string) {
		w.b = append(w.b, sep, '"')
		w.b = append(w.b, name...)
		w.b = append(w.b, '"', ':')
		sep = ','
	}
	if f.LowAccuracy {
		field("lowAccuracy")
		w.raw("true")
	}
	if f.OutsideVillage {
		field("outsideVillage")
		w.raw("true")
	}
	if f.PossibleDuplicate != "" {
		field("possibleDuplicate")
		w.str(f.PossibleDuplicate)
	}
	if len(f.PhotosPending) > 0 {
		field("photosPending")
		w.stringList(f.PhotosPending)
	}
	if sep == '{' {
		w.raw("{}")
		return
	}
	w.b = append(w.b, '}')
}

// location writes a cunjie.Location, accuracy left out when 0.
func (w *jsonBuf) location(l *cunjie.Location) {
	w.raw(`{"lon":`)
	w.float(l.Lon)
	w.raw(`,"lat":`)
	w.float(l.Lat)
	if l.Accuracy != 0 {
		w.raw(`,"accuracy":`)
		w.float(l.Accuracy)
	}
	w.b = append(w.b, '}')
}

// events writes a feature's latest events as cunjie.Event encodes.
func (w *jsonBuf) events(es cunjie.Events) {
	w.b = append(w.b, '[')
	first := true
	for e := range es.All() {
		if !first {
			w.b = append(w.b, ',')
		}
		first = false
		w.raw(`{"id":`)
		w.str(e.ID)
		w.raw(`,"feature":`)
		w.str(e.Feature)
		w.raw(`,"type":`)
		w.str(e.Type)
		w.raw(`,"at":`)
		w.timestamp(e.At)
		if e.Location != nil {
			w.raw(`,"location":`)
			w.location(e.Location)
		}
		if e.Note != "" {
			w.raw(`,"note":`)
			w.str(e.Note)
		}
		w.raw(`,"photos":`)
		w.stringList(e.Photos)
		if e.Status != "" {
			w.raw(`,"status":`)
			w.str(e.Status)
		}
		w.raw(`,"by":`)
		w.str(e.By)
		w.raw(`,"storedAt":`)
		w.timestamp(e.Stored)
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
}

// feature writes f as toGeoFeature(f) encodes (without distance_m).
func (w *jsonBuf) feature(f *cunjie.Feature) {
	w.raw(`{"type":"Feature","id":`)
	w.str(f.ID)
	w.raw(`,"geometry":{"type":"Point","coordinates":[`)
	w.float(f.Location.Lon)
	w.b = append(w.b, ',')
	w.float(f.Location.Lat)
	w.raw(`]},"properties":{"kind":`)
	w.str(string(f.Kind))
	w.raw(`,"village":`)
	w.str(f.Village)
	if f.Code != "" {
		w.raw(`,"code":`)
		w.str(f.Code)
	}
	w.raw(`,"status":`)
	w.value(f.Attrs[cunjie.StatusAttr(f.Kind)])
	w.raw(`,"attrs":`)
	w.attrs(f.Attrs)
	w.raw(`,"flags":`)
	w.flags(f.Flags)
	w.raw(`,"photos":`)
	w.stringList(f.Photos)
	w.raw(`,"version":`)
	w.b = strconv.AppendInt(w.b, f.Version, 10)
	w.raw(`,"accuracy":`)
	w.float(f.Location.Accuracy)
	w.raw(`,"updatedAt":`)
	w.timestamp(f.UpdatedAt)
	w.raw(`,"events":`)
	w.events(f.Events)
	w.raw(`}}`)
}

// collection writes a FeatureCollection of fs, the bytes toGeoFeature and
// goccy/go-json give for newCollection filled with them.
func (w *jsonBuf) collection(fs []*cunjie.Feature) {
	w.raw(`{"type":"FeatureCollection","features":[`)
	for i, f := range fs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.feature(f)
		if w.err != nil {
			return
		}
	}
	w.raw(`]}`)
}

// collectionBufs are the buffers collections are written in; each is
// copied into the response, so it can be used again at once.
var collectionBufs = sync.Pool{New: func() any { return new(jsonBuf) }}

// sendCollection answers fs as a GeoJSON FeatureCollection, as c.JSON
// would for newCollection filled with toGeoFeature, as the caller may see
// them (see shown).
func sendCollection(c *fiber.Ctx, fs []*cunjie.Feature) error {
	fs = shownAll(currentUser(c), fs)
	w := collectionBufs.Get().(*jsonBuf)
	defer func() {
		w.b, w.err = w.b[:0], nil
		collectionBufs.Put(w)
	}()
	w.collection(fs)
	if w.err != nil {
		return w.err
	}
	// Copied into fasthttp's pooled body buffer: a copy of its own for
	// fasthttp to keep (SetBodyRaw) took the 100,000-feature town's
	// collection p99 from 18–21 ms to 33–36 ms, a large allocation per
	// read, though the pool keeps buffers of a map's size (5 MB in one
	// soak's profile).
	c.Response().SetBody(w.b)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return nil
}
