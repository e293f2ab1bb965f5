package api

import (
	"fmt"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/cunjie/cunjie"
)

// benchVillage is a village of 1,920 features shaped like BenchmarkTown100k's.
func benchVillage() []*cunjie.Feature {
	at := time.Date(2026, 11, 20, 8, 0, 0, 123e6, time.UTC)
	fs := make([]*cunjie.Feature, 0, 1920)
	for i := range 1920 {
		kind, attrs := cunjie.KindHouseholdToilet, map[string]any{"stage": "done", "household_head": "测试户"}
		if i >= 700 {
			kind, attrs = cunjie.KindBin, map[string]any{"status": "ok"}
			if i%10 == 0 {
				kind, attrs = cunjie.KindGarbagePool, map[string]any{}
			}
		}
		fs = append(fs, &cunjie.Feature{ID: fmt.Sprintf("t-360803102202-%05d", i), Village: "360803102202", Kind: kind,
			Location: cunjie.Location{Lon: 114.81234567 + float64(i)*1e-5, Lat: 27.0123456 + float64(i)*1e-5, Accuracy: 5},
			Attrs:    attrs, Photos: []string{}, Version: 1, Seq: int64(i + 1), CreatedBy: "bench", CreatedAt: at,
			UpdatedBy: "bench", UpdatedAt: at})
	}
	return fs
}

// BenchmarkVillageCollection encodes a village's map as the handler did
// (toGeoFeature and goccy/go-json) and as it does (jsonBuf).
func BenchmarkVillageCollection(b *testing.B) {
	fs := benchVillage()
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fc := newCollection(len(fs))
			for _, f := range fs {
				fc.Features = append(fc.Features, toGeoFeature(f))
			}
			if _, err := gojson.Marshal(fc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		var w jsonBuf
		for b.Loop() {
			w.b = w.b[:0]
			if w.collection(fs); w.err != nil {
				b.Fatal(w.err)
			}
		}
	})
}

// BenchmarkFeaturesJSON encodes features as answers and the changes feed
// do (goccy/go-json, through cunjie.Events' MarshalJSON): the benchmark's
// village, each feature with five events.
func BenchmarkFeaturesJSON(b *testing.B) {
	fs := benchVillage()
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	for _, f := range fs {
		var es []cunjie.Event
		for k := range 5 {
			es = append(es, cunjie.Event{ID: fmt.Sprintf("ev-%s-%d", f.ID, k), Feature: f.ID, Type: "emptied",
				At: at.Add(time.Duration(k) * time.Hour), Photos: []string{}, By: "cleaner01", Stored: at})
		}
		f.Events = cunjie.PackEvents(f.ID, es)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := gojson.Marshal(map[string]any{"features": fs}); err != nil {
			b.Fatal(err)
		}
	}
}
