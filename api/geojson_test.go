package api

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/cunjie/cunjie"
)

// libraryFeature is what the map answered before appendGeoFeature: the
// feature through toGeoFeature and goccy/go-json.
func libraryFeature(f *cunjie.Feature) ([]byte, error) { return gojson.Marshal(toGeoFeature(f)) }

func directFeature(f *cunjie.Feature) ([]byte, error) {
	var w jsonBuf
	w.feature(f)
	return w.b, w.err
}

func sameAsLibrary(t *testing.T, f *cunjie.Feature) {
	t.Helper()
	want, wantErr := libraryFeature(f)
	got, err := directFeature(f)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("feature %q: error %v, the library's %v", f.ID, err, wantErr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("feature %q differs from the library's encoding:\n got %s\nwant %s", f.ID, got, want)
	}
}

// awkward are strings the direct path must escape as goccy/go-json does,
// or hand to it.
var awkward = []string{
	"", "plain", "胡建国", "a<b>&c", `quote " and \ back`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f",
	"sep\u2028par\u2029", "bad \xff utf8 \xe6\x88", "emoji 🚮", "\ufffd", "a b", "a!", "A", "_", "~", "é",
	"</script>", "\xed\xa0\x80", strings.Repeat("x", 70),
}

var awkwardFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 114.81234567, 27.0123456, 1e-6, 9.99e-7, -1e-7,
	1e20, 1e21, 123456789012345678901234.0, 5e-324, math.MaxFloat64, 12.5}

func awkwardFeature(i int) *cunjie.Feature {
	s := func(j int) string { return awkward[(i+j)%len(awkward)] }
	fl := func(j int) float64 { return awkwardFloats[(i+j)%len(awkwardFloats)] }
	at := time.Date(2026, 11, 20, 8, 0, i%60, i*1234567%1e9, time.FixedZone("CST", 8*3600))
	f := &cunjie.Feature{ID: s(0), Village: s(1), Code: s(10), Kind: cunjie.Kinds()[i%len(cunjie.Kinds())],
		Location: cunjie.Location{Lon: fl(0), Lat: fl(1), Accuracy: fl(2)},
		Attrs:    map[string]any{s(2): s(3), s(4): int64(i) - 3, s(5): fl(3), s(6): i%2 == 0, s(7): nil, "status": s(8), "stage": s(9)},
		Version:  int64(i), UpdatedAt: at}
	switch i % 4 {
	case 0:
		f.Attrs = nil
	case 1:
		f.Attrs = map[string]any{}
		f.Photos = []string{}
	case 2:
		f.Attrs["list"] = []any{"x", 1.5, nil}
		f.Attrs["int"] = 7
		f.Photos = []string{s(1), s(2)}
		f.Flags = cunjie.Flags{LowAccuracy: true, OutsideVillage: true, PossibleDuplicate: s(3), PhotosPending: []string{s(4)}}
	case 3:
		f.Flags = cunjie.Flags{PossibleDuplicate: s(5), PhotosPending: []string{}}
	}
	var events []cunjie.Event
	for j := range i % 3 {
		e := cunjie.Event{ID: s(j), Feature: s(j + 1), Type: s(j + 2), At: at.Add(time.Duration(j) * time.Hour), Note: s(j + 3),
			Photos: []string{s(j + 4)}, Status: s(j + 5), By: s(j + 6), Stored: at.UTC()}
		if j == 1 {
			e.Location = &cunjie.Location{Lon: fl(j), Lat: fl(j + 1), Accuracy: fl(j + 5)}
			e.Photos = nil
		}
		events = append(events, e)
	}
	f.Events = cunjie.PackEvents(f.ID, events)
	return f
}

// TestGeoFeatureSameAsLibrary: the direct encoding gives the library's
// bytes for the benchmark's village and for features full of awkward
// strings, numbers, times, flags and events.
func TestGeoFeatureSameAsLibrary(t *testing.T) {
	for _, f := range benchVillage() {
		sameAsLibrary(t, f)
	}
	for i := range 400 {
		sameAsLibrary(t, awkwardFeature(i))
	}
	// Keys that are prefixes of others, followed by characters below and
	// above the quote: goccy/go-json sorts the quoted keys.
	sameAsLibrary(t, &cunjie.Feature{ID: "keys", Attrs: map[string]any{"a": 1.0, "a b": 2.0, "a!": 3.0, "ab": 4.0, "a#": 5.0, "": 6.0}})
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		f := awkwardFeature(rng.IntN(400))
		f.ID = randomString(rng)
		f.Attrs = map[string]any{randomString(rng): randomString(rng), "status": randomString(rng)}
		f.Location.Lon = math.Float64frombits(rng.Uint64())
		f.UpdatedAt = time.Unix(rng.Int64N(1e11)-5e10, rng.Int64N(1e9))
		sameAsLibrary(t, f)
	}
}

// randomString mixes the bytes and runes that need care.
func randomString(rng *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", "!", "\"", "\\", "<", ">", "&", "\n", "\x00", "\x7f", "\x80", "\xff",
		"é", "胡", "🚮", "\u2028", "\u2029", "\xe2\x80", "_", "-"}
	var b strings.Builder
	for range rng.IntN(8) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// TestGeoFeatureRefusesWhatLibraryRefuses: NaN and a year past 9999 are
// errors either way, not bad JSON.
func TestGeoFeatureRefusesWhatLibraryRefuses(t *testing.T) {
	bad := []*cunjie.Feature{
		{ID: "nan", Location: cunjie.Location{Lon: math.NaN()}},
		{ID: "inf", Location: cunjie.Location{Accuracy: math.Inf(1)}},
		{ID: "year", UpdatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: "attr", Attrs: map[string]any{"x": math.Inf(-1)}},
		{ID: "event", Events: cunjie.PackEvents("event", []cunjie.Event{{Location: &cunjie.Location{Lat: math.NaN()}}})},
	}
	for _, f := range bad {
		if _, err := directFeature(f); err == nil {
			t.Errorf("feature %s: no error", f.ID)
		}
		sameAsLibrary(t, f)
	}
}

// TestCollectionSameAsLibrary: a whole collection, and an empty one.
func TestCollectionSameAsLibrary(t *testing.T) {
	for _, fs := range [][]*cunjie.Feature{nil, benchVillage()[:3], {awkwardFeature(2), awkwardFeature(5)}} {
		fc := newCollection(len(fs))
		for _, f := range fs {
			fc.Features = append(fc.Features, toGeoFeature(f))
		}
		want, err := gojson.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		var w jsonBuf
		w.collection(fs)
		if w.err != nil || !bytes.Equal(w.b, want) {
			t.Fatalf("collection of %d: %v\n got %s\nwant %s", len(fs), w.err, w.b, want)
		}
	}
	// A feature that does not encode fails the collection.
	var w jsonBuf
	if w.collection([]*cunjie.Feature{benchVillage()[0], {ID: "nan", Location: cunjie.Location{Lat: math.NaN()}}}); w.err == nil {
		t.Error("NaN feature: no error")
	}
}

// TestDirectEncodingKnowsEveryField fails when a field is added to a type
// the direct path writes by hand: jsonBuf must learn it, or the map would
// leave it out while the rest of the API shows it.
func TestDirectEncodingKnowsEveryField(t *testing.T) {
	known := map[reflect.Type][]string{
		reflect.TypeFor[FeatureProps]():    {"kind", "village", "code", "status", "attrs", "flags", "photos", "version", "accuracy", "updatedAt", "events", "distance_m"},
		reflect.TypeFor[cunjie.Event]():    {"id", "feature", "type", "at", "location", "note", "photos", "status", "by", "storedAt"},
		reflect.TypeFor[cunjie.Flags]():    {"lowAccuracy", "outsideVillage", "possibleDuplicate", "photosPending"},
		reflect.TypeFor[cunjie.Location](): {"lon", "lat", "accuracy"},
	}
	for typ, names := range known {
		var got []string
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name != "-" {
				got = append(got, name)
			}
		}
		if strings.Join(got, " ") != strings.Join(names, " ") {
			t.Errorf("%s has JSON fields %v; geojson.go writes %v", typ, got, names)
		}
	}
}
