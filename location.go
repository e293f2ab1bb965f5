package cunjie

import "math"

// LowAccuracyM is the default accuracy radius, in metres, above which a fix
// is flagged lowAccuracy: beyond it a point may sit in the neighbour's yard,
// so an office worker should look at it again.
const LowAccuracyM = 50.0

// DuplicateRadiusM is the default radius, in metres, within which a new
// feature of the same kind is flagged possibleDuplicate: two bins closer
// than this are more likely one bin logged twice.
const DuplicateRadiusM = 3.0

// maxAccuracyM is the largest accuracy radius taken: a phone reporting more
// than 100 km has no fix at all, only a guess from the cell network.
const maxAccuracyM = 100000.0

// ValidateLocation refuses a fix that cannot be a real place: NaN or infinite
// numbers, lon outside [-180, 180], lat outside [-90, 90], exactly (0, 0)
// (what phones send before they have a fix), and an accuracy that is NaN,
// negative or over 100 km. An accuracy of 0 means "not known" and is taken.
//
// Fields are named prefix + ".lon", ".lat", ".accuracy"; the (0, 0) case is
// named by the prefix alone, since neither coordinate is wrong by itself.
func ValidateLocation(prefix string, l Location) error {
	fe := FieldErrors{}
	checkLocation(fe, prefix, l)
	return fe.Err()
}

// checkLocation records the problems of l into fe, so a caller validating a
// larger object (an event) reports them together with its own.
func checkLocation(fe FieldErrors, prefix string, l Location) {
	lon, lat, acc := subField(prefix, "lon"), subField(prefix, "lat"), subField(prefix, "accuracy")
	switch {
	case !finite(l.Lon):
		fe.Add(lon, "must be a finite number")
	case l.Lon < -180 || l.Lon > 180:
		fe.Add(lon, "must be between -180 and 180")
	}
	switch {
	case !finite(l.Lat):
		fe.Add(lat, "must be a finite number")
	case l.Lat < -90 || l.Lat > 90:
		fe.Add(lat, "must be between -90 and 90")
	}
	if l.Lon == 0 && l.Lat == 0 {
		whole := prefix
		if whole == "" {
			whole = "location"
		}
		fe.Add(whole, "(0, 0) is not a GPS fix; wait for the phone to find its position")
	}
	switch {
	case !finite(l.Accuracy):
		fe.Add(acc, "must be a finite number")
	case l.Accuracy < 0:
		fe.Add(acc, "must not be negative")
	case l.Accuracy > maxAccuracyM:
		fe.Add(acc, "must be at most 100000 metres")
	}
}

// subField joins a dotted field path; an empty prefix names the field alone.
func subField(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// maxIDLen is the longest id taken; a UUID is 36 characters.
const maxIDLen = 64

// ValidID reports whether id may name a feature, event, photo or op. Phones
// make UUIDs, but demo data and imports use other forms, so any 1–64
// characters of A–Z, a–z, 0–9, '-' and '_' are taken: enough to be safe in
// URLs, file names and logs without escaping.
func ValidID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}
