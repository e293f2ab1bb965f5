package cunjie

import (
	"encoding/binary"
	"iter"
	"math"
	"time"
)

// Events are the latest events a feature keeps inline (at most
// LatestEvents), packed into one string. Every feature of a loaded
// village stays in memory, and its events were most of it: five of them
// as []Event took about 1 KB (176 bytes each, plus their ids); packed, a
// soak's event is about 60 bytes by the layout below, and a feature with
// five keeps 824 bytes live instead of 1,376 (BenchmarkFeatureMemory). Reads decode them
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

// First is the first event, the oldest of a feature's (they are kept in
// time order); false if there is none.
func (l Events) First() (Event, bool) {
	for e := range l.All() {
		return e, true
	}
	return Event{}, false
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
