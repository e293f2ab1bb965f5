package cunjie

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

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
