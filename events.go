package cunjie

import (
	"encoding/binary"
	"encoding/json"
	"iter"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Events are the latest events a feature keeps inline (at most
// LatestEvents), packed into one string. Every feature of a loaded
// village stays in memory, and its events were most of it: five of them
// as []Event took about 1 KB (176 bytes each, plus their ids), against
// about 60 bytes each packed (BenchmarkFeatureMemory). Reads decode them
// as they go; a string's parts are its own substrings, so the texts of a
// decoded event cost nothing. A value is never changed: a write packs a
// new one (PackEvents).
//
// The layout is, per event: id, type, status, by and note as texts (a
// uvarint length, then the bytes), at and stored as varint Unix
// milliseconds (what the store keeps of a time), a byte that says
// whether a location follows (three float64: lon, lat, accuracy), then a
// uvarint count of photo ids and those as texts.
type Events struct {
	feature string // the feature's id, each event's Feature
	n       int
	packed  string
}

// PackEvents packs es, the events of the feature with id feature. No
// events are the zero Events, whatever the feature.
func PackEvents(feature string, es []Event) Events {
	if len(es) == 0 {
		return Events{}
	}
	var b []byte
	for i := range es {
		b = appendEvent(b, &es[i])
	}
	return Events{feature: feature, n: len(es), packed: string(b)}
}

// Len is how many events there are.
func (l Events) Len() int { return l.n }

// All yields the events in order, each decoded afresh (its Photos are the
// caller's to keep).
func (l Events) All() iter.Seq[Event] {
	return func(yield func(Event) bool) {
		r := reader{s: l.packed}
		for range l.n {
			if !yield(r.event(l.feature)) {
				return
			}
		}
	}
}

// Slice answers the events as a new slice; empty, not nil, if none.
func (l Events) Slice() []Event {
	out := make([]Event, 0, l.n)
	for e := range l.All() {
		out = append(out, e)
	}
	return out
}

// First is the oldest event; false if there is none.
func (l Events) First() (Event, bool) {
	for e := range l.All() {
		return e, true
	}
	return Event{}, false
}

// MarshalJSON writes the events as a list, with the fields []Event
// encodes to. It writes them itself: a feature's answer, and a page of
// the changes feed, encode every feature's events, and through
// encoding/json (or goccy/go-json, which then checks and compacts what
// this returns) they took 2.5 times as long as the feature without them.
func (l Events) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16+len(l.packed)*2)
	b = append(b, '[')
	k := 0
	for e := range l.All() {
		if k > 0 {
			b = append(b, ',')
		}
		k++
		var err error
		if b, err = appendEventJSON(b, &e); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendEventJSON writes e as encoding/json writes an Event (its times
// are UTC, as packed events' are).
func appendEventJSON(b []byte, e *Event) ([]byte, error) {
	b = appendField(b, `{"id":`, e.ID)
	b = appendField(b, `,"feature":`, e.Feature)
	b = appendField(b, `,"type":`, e.Type)
	b, err := appendTime(append(b, `,"at":`...), e.At)
	if err != nil {
		return nil, err
	}
	if l := e.Location; l != nil {
		b = append(b, `,"location":{"lon":`...)
		for i, f := range [...]float64{l.Lon, l.Lat, l.Accuracy} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
			}
			switch {
			case i == 1:
				b = append(b, `,"lat":`...)
			case i == 2 && f == 0:
				continue
			case i == 2:
				b = append(b, `,"accuracy":`...)
			}
			b = appendFloat(b, f)
		}
		b = append(b, '}')
	}
	if e.Note != "" {
		b = appendField(b, `,"note":`, e.Note)
	}
	b = append(b, `,"photos":[`...)
	for i, p := range e.Photos {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, p)
	}
	b = append(b, ']')
	if e.Status != "" {
		b = appendField(b, `,"status":`, e.Status)
	}
	b = appendField(b, `,"by":`, e.By)
	if b, err = appendTime(append(b, `,"storedAt":`...), e.Stored); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// plainASCII says whether s is printable ASCII with nothing JSON or HTML
// escapes: ids, types and names mostly are.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendFloat writes f as encoding/json does: the shortest form, with an
// exponent (e-7, not e-07) below 1e-6 and from 1e21.
func appendFloat(b []byte, f float64) []byte {
	form := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		form = 'e'
	}
	b = strconv.AppendFloat(b, f, form, -1, 64)
	if n := len(b); form == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1]
		b = b[:n-1]
	}
	return b
}

func appendField(b []byte, name, s string) []byte { return appendString(append(b, name...), s) }

func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return nil, &json.UnsupportedValueError{Str: t.String()}
	}
	b = append(b, '"')
	return append(t.AppendFormat(b, time.RFC3339Nano), '"'), nil
}

// appendString writes s as a JSON string as encoding/json does: quotes,
// backslashes and control characters escaped, HTML's <, > and & too, and
// so are U+2028 and U+2029; bytes that are not UTF-8 become U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	if plainASCII(s) {
		return append(append(b, s...), '"')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// UnmarshalJSON reads a list of events; the feature is the first's.
func (l *Events) UnmarshalJSON(data []byte) error {
	var es []Event
	if err := json.Unmarshal(data, &es); err != nil {
		return err
	}
	feature := ""
	if len(es) > 0 {
		feature = es[0].Feature
	}
	*l = PackEvents(feature, es)
	return nil
}

func appendEvent(b []byte, e *Event) []byte {
	for _, s := range [...]string{e.ID, e.Type, e.Status, e.By, e.Note} {
		b = appendText(b, s)
	}
	b = binary.AppendVarint(b, millis(e.At))
	b = binary.AppendVarint(b, millis(e.Stored))
	if e.Location == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		for _, f := range [...]float64{e.Location.Lon, e.Location.Lat, e.Location.Accuracy} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(e.Photos)))
	for _, p := range e.Photos {
		b = appendText(b, p)
	}
	return b
}

func appendText(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// millis is t in Unix milliseconds; the zero time has its own (it is
// before any Unix time a varint would hold otherwise as well).
func millis(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == math.MinInt64 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// reader decodes what appendEvent wrote. The packed string is only ever
// made by PackEvents, so it is read without checks.
type reader struct {
	s string
	i int
}

func (r *reader) event(feature string) Event {
	e := Event{Feature: feature}
	e.ID, e.Type, e.Status, e.By, e.Note = r.text(), r.text(), r.text(), r.text(), r.text()
	e.At, e.Stored = fromMillis(r.varint()), fromMillis(r.varint())
	if r.byte() == 1 {
		e.Location = &Location{Lon: r.float(), Lat: r.float(), Accuracy: r.float()}
	}
	n := r.uvarint()
	e.Photos = make([]string, n)
	for i := range e.Photos {
		e.Photos[i] = r.text()
	}
	return e
}

func (r *reader) text() string {
	n := int(r.uvarint())
	s := r.s[r.i : r.i+n]
	r.i += n
	return s
}

// uvarint reads what binary.AppendUvarint wrote, from the string itself.
func (r *reader) uvarint() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b := r.s[r.i]
		r.i++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
	}
}

// varint reads what binary.AppendVarint wrote (zig-zag).
func (r *reader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *reader) byte() byte {
	b := r.s[r.i]
	r.i++
	return b
}

func (r *reader) float() float64 {
	var v uint64
	for k := range 8 {
		v |= uint64(r.s[r.i+k]) << (8 * k)
	}
	r.i += 8
	return math.Float64frombits(v)
}
