package api

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/cunjie/cunjie"
)

// FuzzFeatureWrite: whatever a phone sends, decoding and checking never
// panic, and attributes that pass come out stable (normalizing them again
// changes nothing).
func FuzzFeatureWrite(f *testing.F) {
	for _, s := range []string{
		`{"opId":"o1","kind":"bin","location":{"lon":114.9,"lat":27.1,"accuracy":5}}`,
		`{"opId":"o1","kind":"household_toilet","location":{"lon":114.9,"lat":27.1},"attrs":{"household_head":"胡建国","type":"double_urn","tap_water":true,"subsidy_yuan":1000,"stage":"done","completed_on":"2026-03-01"}}`,
		`{"opId":"o1","kind":"housing_reform","location":{"lon":114.9,"lat":27.1},"attrs":{"mode":"repair","plot_area_m2":120.5,"building_area_m2":90,"one_household_one_homestead":true},"baseVersion":3,"photos":["p1"]}`,
		`{"opId":"o1","kind":"demolition","location":{"lon":0,"lat":0},"attrs":{"area_m2":0}}`,
		`{"opId":"","kind":"x","version":1}`,
		`{"opId":"o1","kind":"bin","location":{"lon":1e309,"lat":-1e309}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var w FeatureWrite
		if decodeStrict(data, &w) != nil {
			return
		}
		attrs, err := checkFeatureWrite("id-1", &w)
		if err != nil {
			if cunjie.ErrorCode(err) != cunjie.EINVALID {
				t.Fatalf("checkFeatureWrite gave %v", err)
			}
			return
		}
		again, err := cunjie.NormalizeAttrs(w.Kind, attrs)
		if err != nil || !reflect.DeepEqual(again, attrs) {
			t.Fatalf("normalized attrs not stable: %v -> %v (%v)", attrs, again, err)
		}
		if _, err := json.Marshal(attrs); err != nil {
			t.Fatalf("attrs do not encode: %v", err)
		}
	})
}

// FuzzSyncRequest: a batch decodes op by op; no input panics, and each op
// that decodes yields exactly one result.
func FuzzSyncRequest(f *testing.F) {
	for _, s := range []string{
		`{"ops":[{"type":"putFeature","id":"a","opId":"o","feature":{"opId":"o","kind":"bin","location":{"lon":114.9,"lat":27.1}}}]}`,
		`{"ops":[{"type":"addEvent","id":"a","opId":"e","event":{"opId":"e","id":"ev","type":"emptied","at":"2026-11-20T08:00:00Z"}},{"type":"deleteFeature","id":"a","opId":"d"}]}`,
		`{"ops":[{"type":"nonsense"},{"wings":1},[],null,7]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req SyncRequest
		if decodeStrict(data, &req) != nil {
			return
		}
		for _, raw := range req.Ops {
			var op SyncOp
			if err := decodeStrict(raw, &op); err != nil && cunjie.ErrorCode(err) != cunjie.EINVALID {
				t.Fatalf("op decode gave %v", err)
			}
		}
	})
}
