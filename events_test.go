package cunjie

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

// TestEventsPackedRoundTrip packs events with every field set, unset and
// at its edges, and reads them back as they were.
func TestEventsPackedRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 30, 0, 123_000_000, time.UTC)
	es := []Event{
		{ID: "e1", Feature: "f1", Type: "emptied", At: at, Photos: []string{}, By: "ann", Stored: at.Add(time.Second)},
		{ID: "事件-2", Feature: "f1", Type: "stage_changed", At: at.Add(-400 * 24 * time.Hour), Status: "完成",
			Location: &Location{Lon: 114.81234567, Lat: -27.5, Accuracy: math.SmallestNonzeroFloat64},
			Note:     "门口\x00\n\"x\"", Photos: []string{"p1", "", "p3"}, By: "bob"},
		{ID: "e3", Feature: "f1", Type: "repaired", At: time.Unix(-86400*365*80, 0).UTC(), Photos: []string{},
			Location: &Location{Lon: -180, Lat: 90}, By: "", Stored: time.Time{}},
	}
	l := PackEvents("f1", es)
	if l.Len() != 3 {
		t.Fatalf("Len %d", l.Len())
	}
	if got := l.Slice(); !reflect.DeepEqual(got, es) {
		t.Fatalf("read back:\n%+v\nwant\n%+v", got, es)
	}
	if first, ok := l.First(); !ok || first.ID != "e1" {
		t.Fatalf("First %+v %v", first, ok)
	}
	n := 0
	for range l.All() {
		n++
		break // stopping early is allowed
	}
	if n != 1 {
		t.Fatalf("All went on after a break: %d", n)
	}

	data, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(es)
	if string(data) != string(want) {
		t.Fatalf("JSON\n%s\nwant\n%s", data, want)
	}
	var back Events
	if err := json.Unmarshal(data, &back); err != nil || back != l {
		t.Fatalf("JSON read back %+v (%v), want %+v", back, err, l)
	}
}

// TestEventsNone: no events are the zero value, read as an empty list.
func TestEventsNone(t *testing.T) {
	if l := PackEvents("f1", nil); l != (Events{}) {
		t.Fatalf("no events packed as %+v", l)
	}
	var l Events
	if _, ok := l.First(); ok || l.Len() != 0 || l.Slice() == nil || len(l.Slice()) != 0 {
		t.Fatal("zero Events are not an empty list")
	}
	if data, _ := json.Marshal(l); string(data) != "[]" {
		t.Fatalf("zero Events as JSON: %s", data)
	}
}

// TestEventsTimesInMilliseconds: a time keeps its milliseconds, as the
// store does, and the packed value changes no caller's event.
func TestEventsTimesInMilliseconds(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 30, 0, 123_456_789, time.UTC)
	es := []Event{{ID: "e1", At: at, Photos: []string{"p"}}}
	e, _ := PackEvents("f1", es).First()
	if !e.At.Equal(at.Truncate(time.Millisecond)) || e.Feature != "f1" {
		t.Fatalf("read back %+v", e)
	}
	e.Photos[0] = "changed"
	if again, _ := PackEvents("f1", es).First(); again.Photos[0] != "p" || es[0].Photos[0] != "p" {
		t.Fatal("a decoded event shares its photos")
	}
}

// TestEventsJSONAsEncodingJSON: the events' own JSON writer gives what
// encoding/json gives for awkward texts and numbers.
func TestEventsJSONAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 8, 30, 0, 5_000_000, time.UTC)
	es := []Event{{ID: "a<b>&c", Feature: "f\"1\\", Type: "bad \xff utf8 \xe2\x28", At: at,
		Location: &Location{Lon: 1e21, Lat: -1.5e-7, Accuracy: 0.1}, Note: "tab\tnew\nline\r\x01 sep\u2028par\u2029 emoji 🚮",
		Photos: []string{"", "胡"}, Status: "\x7f", By: "b", Stored: at.UTC()}}
	got, err := json.Marshal(PackEvents("f\"1\\", es))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(es)
	if string(got) != string(want) {
		t.Fatalf("JSON\n%s\nwant\n%s", got, want)
	}
	bad := PackEvents("f", []Event{{ID: "e", Location: &Location{Lat: math.NaN()}}})
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("a NaN was written as JSON")
	}
}
