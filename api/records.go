package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/writes"
)

// FeatureWrite is the body of PUT /features/{id} and of a sync putFeature op.
type FeatureWrite struct {
	OpID        string           `json:"opId"`
	Kind        cunjie.Kind      `json:"kind"`
	Location    *cunjie.Location `json:"location"`
	Attrs       map[string]any   `json:"attrs"`
	Photos      []string         `json:"photos"`
	BaseVersion int64            `json:"baseVersion"`
	// Reason says why a settled record's stage or money changes, or why a
	// stage goes back; the history keeps it as a "corrected" event.
	Reason string `json:"reason"`
	// Village is read only for a point that lies in no village.
	Village string `json:"village"`
	// Fields only the server sets: sent, they are refused, not ignored.
	Version   json.RawMessage `json:"version"`
	CreatedBy json.RawMessage `json:"createdBy"`
	Seq       json.RawMessage `json:"seq"`
	Flags     json.RawMessage `json:"flags"`
}

// checkFeatureWrite validates what any write of a feature carries, and
// answers its attributes normalized (for a create; an update normalizes
// them again merged with the stored ones).
func checkFeatureWrite(id string, w *FeatureWrite) (map[string]any, error) {
	fe := cunjie.FieldErrors{}
	if !cunjie.ValidID(id) {
		fe.Add("id", "1–64 letters, digits, '-' or '_'")
	}
	if !cunjie.ValidID(w.OpID) {
		fe.Add("opId", "required: 1–64 letters, digits, '-' or '_'")
	}
	for name, raw := range map[string]json.RawMessage{"version": w.Version, "createdBy": w.CreatedBy, "seq": w.Seq, "flags": w.Flags} {
		if raw != nil {
			fe.Add(name, "is set by the server; send baseVersion to update")
		}
	}
	if w.BaseVersion < 0 {
		fe.Add("baseVersion", "must not be negative")
	}
	if w.Location == nil {
		fe.Add("location", "required")
	}
	if len(w.Photos) > maxPhotosPerObject {
		fe.Add("photos", "at most %d", maxPhotosPerObject)
	}
	for _, p := range w.Photos {
		if !cunjie.ValidID(p) {
			fe.Add("photos", "%q is not a photo id", p)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := cunjie.ValidateLocation("location", *w.Location); err != nil {
		return nil, err
	}
	attrs, err := cunjie.NormalizeAttrs(w.Kind, w.Attrs)
	if err != nil {
		return nil, err
	}
	return attrs, nil
}

const maxPhotosPerObject = 10

// villageFor finds the village a new point belongs to and whether it lies
// outside every village.
func (s *Server) villageFor(u *cunjie.User, loc cunjie.Location, named string) (string, bool, error) {
	vs := s.villages.Load()
	code, ok := vs.Locate(orb.Point{loc.Lon, loc.Lat})
	outside := false
	if !ok {
		if named == "" {
			return "", false, cunjie.Invalid("location", "lies in no village; name the village to record it outside its boundary")
		}
		if _, exists := vs.Get(named); !exists {
			return "", false, cunjie.Invalid("village", "no village with code %q", named)
		}
		code, outside = named, true
	}
	if !u.CanWriteVillage(code) {
		e := cunjie.Errorf(cunjie.EFORBIDDEN, "you may not record in village %s", code)
		e.Fields = map[string]string{"village": "not one of your villages"}
		return "", false, e
	}
	return code, outside, nil
}

// putFeatures applies creates and updates in order. Runs of creates go
// to the writer together, which stores them in bulk.
func (s *Server) putFeatures(ctx context.Context, u *cunjie.User, ids []string, ws []*FeatureWrite) []writes.FeatureOutcome {
	out := make([]writes.FeatureOutcome, len(ws))
	var run []writes.Create
	var at []int
	flush := func() {
		for k, o := range s.writes.Create(ctx, u, run) {
			out[at[k]] = o
		}
		run, at = run[:0], at[:0]
	}
	for i, w := range ws {
		attrs, err := checkFeatureWrite(ids[i], w)
		if err != nil {
			out[i] = rejected(err)
			continue
		}
		if w.BaseVersion > 0 {
			flush()
			out[i] = s.updateFeature(ctx, u, ids[i], w)
			continue
		}
		cunjie.FillStageDate(w.Kind, nil, attrs, s.now())
		err = cunjie.CheckAttrChange(u.Role, w.Kind, nil, attrs, w.Reason)
		if err == nil {
			err = cunjie.CheckRequired(u.Role, w.Kind, attrs)
		}
		if err != nil {
			out[i] = rejected(err)
			continue
		}
		// A record linked to a household created earlier in this batch (a
		// phone records the household, then its toilet) finds it stored.
		if links := cunjie.LinkedIDs(w.Kind, attrs); slices.ContainsFunc(run, func(c writes.Create) bool { return slices.Contains(links, c.Feature.ID) }) {
			flush()
		}
		village, outside, err := s.villageFor(u, *w.Location, w.Village)
		if err == nil {
			err = s.checkPhotoNames(ctx, u, village, w.Photos)
		}
		if err == nil {
			err = cunjie.CheckLinks(w.Kind, village, nil, attrs, s.linked(ctx, u, village, nil))
		}
		if err != nil {
			out[i] = rejected(err)
			continue
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		f := &cunjie.Feature{ID: ids[i], Village: village, Kind: w.Kind, Location: *w.Location, Attrs: attrs,
			Photos: nonNil(w.Photos), Version: 1, CreatedBy: u.Username, CreatedAt: now, UpdatedBy: u.Username,
			UpdatedAt: now, Ops: []cunjie.OpHash{cunjie.HashOp(w.OpID)}}
		f.Flags.OutsideVillage = outside
		f.Flags.LowAccuracy = w.Location.Accuracy > cunjie.LowAccuracyM
		run = append(run, writes.Create{Op: w.OpID, Feature: f})
		at = append(at, i)
	}
	flush()
	return out
}

// rejected and conflict are the outcomes of refused feature writes.
var (
	rejected = writes.Rejection[*cunjie.Feature]
	conflict = writes.Conflicted[*cunjie.Feature]
)

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// updateFeature applies a PUT with a baseVersion. The attributes sent are
// merged into the stored ones (see cunjie.MergeAttrs): one left out keeps
// its value, one sent as null clears it.
func (s *Server) updateFeature(ctx context.Context, u *cunjie.User, id string, w *FeatureWrite) writes.FeatureOutcome {
	ch := &writes.Change{Op: w.OpID, Action: "update"}
	ch.Apply = func(cur, next *cunjie.Feature, x *geo.Index, events *[]cunjie.Event) *writes.FeatureOutcome {
		if cur.Deleted {
			o := conflict(cur, "feature %s was deleted", id)
			return &o
		}
		if w.Kind != cur.Kind {
			o := rejected(cunjie.Invalid("kind", "cannot change from %s; delete and record anew", cur.Kind))
			return &o
		}
		if w.BaseVersion != cur.Version {
			o := conflict(cur, "feature %s is at version %d, not %d", id, cur.Version, w.BaseVersion)
			s.withBase(ctx, u, &o, cur, w.BaseVersion)
			return &o
		}
		attrs, err := cunjie.NormalizeAttrs(cur.Kind, cunjie.MergeAttrs(cur.Attrs, w.Attrs))
		if err == nil {
			cunjie.FillStageDate(cur.Kind, cur.Attrs, attrs, s.now())
			err = cunjie.CheckAttrChange(u.Role, cur.Kind, cur.Attrs, attrs, w.Reason)
		}
		if err == nil {
			err = cunjie.CheckRequired(u.Role, cur.Kind, attrs)
		}
		if err == nil {
			err = s.checkPhotoNames(ctx, u, cur.Village, added(cur.Photos, w.Photos))
		}
		if err == nil {
			err = cunjie.CheckLinks(cur.Kind, cur.Village, cur.Attrs, attrs, s.linked(ctx, u, cur.Village, x))
		}
		if err != nil {
			o := rejected(err)
			return &o
		}
		code, ok := s.villages.Load().Locate(orb.Point{w.Location.Lon, w.Location.Lat})
		if ok && code != cur.Village {
			o := rejected(cunjie.Invalid("location", "lies in village %s, not %s; delete the feature and record it there", code, cur.Village))
			return &o
		}
		next.Flags.OutsideVillage = !ok
		moved := w.Location.Lon != cur.Location.Lon || w.Location.Lat != cur.Location.Lat
		next.Location = *w.Location
		next.Flags.LowAccuracy = w.Location.Accuracy > cunjie.LowAccuracyM
		next.Attrs = attrs
		next.Photos = nonNil(w.Photos)
		next.Version = cur.Version + 1
		if moved {
			next.Flags.PossibleDuplicate = writes.NearDuplicate(x, next)
		}
		if cunjie.NeedsReason(cur.Kind, cur.Attrs, attrs) {
			// Who changed a settled record and why stays in its history
			// and among its latest events.
			ev := correction(u, cur, attrs, w, s.now())
			*events = append(*events, ev)
			next.Events = latestEvents(cur, ev)
		}
		return nil
	}
	return s.writes.Change(ctx, u, id, ch)
}

// correction is the event that records a change the rules ask a reason
// for; its id comes from the op, so a replay makes the same event.
func correction(u *cunjie.User, cur *cunjie.Feature, attrs map[string]any, w *FeatureWrite, now time.Time) cunjie.Event {
	now = now.UTC().Truncate(time.Millisecond)
	ev := cunjie.Event{ID: correctionID(w.OpID), Feature: cur.ID, Type: "corrected",
		At: now, Note: strings.TrimSpace(w.Reason), Photos: []string{}, By: u.Username, Stored: now}
	if st := cunjie.StatusAttr(cur.Kind); attrs[st] != cur.Attrs[st] {
		ev.Status, _ = attrs[st].(string)
	}
	return ev
}

// correctionID is the id of the correction event of update op.
func correctionID(op string) string { return fmt.Sprintf("corrected-%016x", uint64(cunjie.HashOp(op))) }

// added lists the ids of next that are not in prev.
func added(prev, next []string) []string {
	var out []string
	for _, id := range next {
		if !slices.Contains(prev, id) {
			out = append(out, id)
		}
	}
	return out
}
