package cunjie

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateLocation(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		prefix string
		loc    Location
		want   map[string]string // nil: valid
	}{
		{"a village in Jiangxi", "location", Location{Lon: 115.893, Lat: 28.675, Accuracy: 12}, nil},
		{"accuracy not known", "location", Location{Lon: 115.893, Lat: 28.675}, nil},
		{"the corners of the range", "location", Location{Lon: -180, Lat: 90, Accuracy: 100000}, nil},
		{"on the equator", "location", Location{Lon: 100, Lat: 0}, nil},
		{"on the prime meridian", "location", Location{Lon: 0, Lat: 51.48}, nil},
		{"NaN lon", "location", Location{Lon: nan, Lat: 28},
			map[string]string{"location.lon": "must be a finite number"}},
		{"NaN lat", "location", Location{Lon: 115, Lat: nan},
			map[string]string{"location.lat": "must be a finite number"}},
		{"+Inf lon", "location", Location{Lon: inf, Lat: 28},
			map[string]string{"location.lon": "must be a finite number"}},
		{"-Inf lat", "location", Location{Lon: 115, Lat: -inf},
			map[string]string{"location.lat": "must be a finite number"}},
		{"lon too far east", "location", Location{Lon: 180.0001, Lat: 28},
			map[string]string{"location.lon": "must be between -180 and 180"}},
		{"lon too far west", "location", Location{Lon: -181, Lat: 28},
			map[string]string{"location.lon": "must be between -180 and 180"}},
		{"lat past the pole", "location", Location{Lon: 115, Lat: 90.5},
			map[string]string{"location.lat": "must be between -90 and 90"}},
		{"lat and lon swapped out of range", "location", Location{Lon: 28, Lat: 115},
			map[string]string{"location.lat": "must be between -90 and 90"}},
		{"(0, 0) is no fix", "location", Location{},
			map[string]string{"location": "(0, 0) is not a GPS fix; wait for the phone to find its position"}},
		{"(0, 0) with an accuracy", "location", Location{Accuracy: 5},
			map[string]string{"location": "(0, 0) is not a GPS fix; wait for the phone to find its position"}},
		{"negative accuracy", "location", Location{Lon: 115, Lat: 28, Accuracy: -1},
			map[string]string{"location.accuracy": "must not be negative"}},
		{"NaN accuracy", "location", Location{Lon: 115, Lat: 28, Accuracy: nan},
			map[string]string{"location.accuracy": "must be a finite number"}},
		{"infinite accuracy", "location", Location{Lon: 115, Lat: 28, Accuracy: inf},
			map[string]string{"location.accuracy": "must be a finite number"}},
		{"accuracy over 100 km", "location", Location{Lon: 115, Lat: 28, Accuracy: 100000.1},
			map[string]string{"location.accuracy": "must be at most 100000 metres"}},
		{"all wrong, other prefix", "problems.0.location", Location{Lon: nan, Lat: 100, Accuracy: -3},
			map[string]string{
				"problems.0.location.lon":      "must be a finite number",
				"problems.0.location.lat":      "must be between -90 and 90",
				"problems.0.location.accuracy": "must not be negative",
			}},
		{"no prefix", "", Location{Lon: 200, Lat: 0},
			map[string]string{"lon": "must be between -180 and 180"}},
		{"no prefix, no fix", "", Location{},
			map[string]string{"location": "(0, 0) is not a GPS fix; wait for the phone to find its position"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateLocation(tt.prefix, tt.loc)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			code, fields := errorOf(t, err)
			if code != EINVALID {
				t.Errorf("code %q, want %q", code, EINVALID)
			}
			if diff := cmp.Diff(tt.want, fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"0b8f6c1e-3d2a-4f5b-9c7d-1e2f3a4b5c6d", true},
		{"a", true},
		{"demo_bin-0001", true},
		{"ABCxyz019", true},
		{strings.Repeat("z", 64), true},
		{"", false},
		{strings.Repeat("z", 65), false},
		{"with space", false},
		{"a/b", false},
		{"../etc", false},
		{"a.b", false},
		{"垃圾桶", false},
		{"tab\t", false},
		{"x\x00", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestLocationThresholds(t *testing.T) {
	// The api flags with these; a change should be deliberate.
	if LowAccuracyM != 50 || DuplicateRadiusM != 3 {
		t.Errorf("LowAccuracyM = %v, DuplicateRadiusM = %v", LowAccuracyM, DuplicateRadiusM)
	}
}
