package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
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

// Outcome is what became of one write.
type Outcome struct {
	Result  string          // applied, duplicate, conflict, rejected
	Feature *cunjie.Feature // the stored feature (server copy on conflict)
	Err     error           // for conflict and rejected
}

const (
	resultApplied   = "applied"
	resultDuplicate = "duplicate"
	resultConflict  = "conflict"
	resultRejected  = "rejected"
)

func rejected(err error) Outcome { return Outcome{Result: resultRejected, Err: err} }

func conflict(f *cunjie.Feature, format string, args ...any) Outcome {
	e := cunjie.Errorf(cunjie.ECONFLICT, format, args...)
	e.Current = f
	return Outcome{Result: resultConflict, Feature: f, Err: e}
}

// featureCreate is a validated create, ready to store.
type featureCreate struct {
	index int // position in the caller's list
	op    string
	f     *cunjie.Feature
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

// putFeatures applies creates and updates in order. Runs of creates are
// stored in bulk: that is what makes a phone's backlog of hundreds of new
// bins arrive in seconds.
func (s *Server) putFeatures(ctx context.Context, u *cunjie.User, ids []string, ws []*FeatureWrite) []Outcome {
	out := make([]Outcome, len(ws))
	var run []featureCreate
	flush := func() {
		s.createFeatures(ctx, u, run, out)
		run = run[:0]
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
		if err := cunjie.CheckAttrChange(u.Role, w.Kind, nil, attrs, w.Reason); err != nil {
			out[i] = rejected(err)
			continue
		}
		village, outside, err := s.villageFor(u, *w.Location, w.Village)
		if err == nil {
			err = s.checkPhotoNames(ctx, u, village, w.Photos)
		}
		if err != nil {
			out[i] = rejected(err)
			continue
		}
		now := s.now().UTC().Truncate(time.Millisecond)
		f := &cunjie.Feature{ID: ids[i], Village: village, Kind: w.Kind, Location: *w.Location, Attrs: attrs,
			Photos: nonNil(w.Photos), Version: 1, CreatedBy: u.Username, CreatedAt: now, UpdatedBy: u.Username,
			UpdatedAt: now, Events: []cunjie.Event{}, Ops: []cunjie.OpHash{cunjie.HashOp(w.OpID)}}
		f.Flags.OutsideVillage = outside
		f.Flags.LowAccuracy = w.Location.Accuracy > cunjie.LowAccuracyM
		run = append(run, featureCreate{index: i, op: w.OpID, f: f})
	}
	flush()
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// createFeatures stores a run of new features: ids are claimed in one
// round trip, each village's features inserted in one more, and the index
// updated under the village's lock so the changes feed sees them in order.
func (s *Server) createFeatures(ctx context.Context, u *cunjie.User, run []featureCreate, out []Outcome) {
	if len(run) == 0 {
		return
	}
	ids := make([]string, len(run))
	villages := make([]string, len(run))
	ops := make([]string, len(run))
	for i, c := range run {
		ids[i], villages[i], ops[i] = c.f.ID, c.f.Village, c.op
	}
	taken, err := s.store.ClaimFeatureIDs(ctx, ids, villages, ops)
	if err != nil {
		for _, c := range run {
			out[c.index] = rejected(err)
		}
		return
	}
	// A taken id created by this very op is a replay: answer the stored
	// feature, or finish the create if a crash came between the claim and
	// the insert.
	byVillage := map[string][]featureCreate{}
	seen := map[string]bool{}
	for i, c := range run {
		if seen[c.f.ID] {
			out[c.index] = s.replayCreate(ctx, c)
			continue
		}
		seen[c.f.ID] = true
		if t := taken[i]; t != nil {
			if t.CreateOp != c.op {
				cur, _ := s.currentFeature(ctx, t.Village, c.f.ID)
				out[c.index] = conflict(cur, "feature %s exists (created by another op)", c.f.ID)
				continue
			}
			c.f.Village = t.Village
			if cur, err := s.currentFeature(ctx, t.Village, c.f.ID); err == nil {
				out[c.index] = Outcome{Result: resultDuplicate, Feature: cur}
				continue
			}
		}
		byVillage[c.f.Village] = append(byVillage[c.f.Village], c)
	}
	for _, village := range slices.Sorted(maps.Keys(byVillage)) {
		s.insertVillageFeatures(ctx, u, village, byVillage[village], out)
	}
}

// replayCreate answers a create repeated within one batch.
func (s *Server) replayCreate(ctx context.Context, c featureCreate) Outcome {
	ref, err := s.store.FeatureRef(ctx, c.f.ID)
	if err != nil {
		return rejected(err)
	}
	cur, err := s.currentFeature(ctx, ref.Village, c.f.ID)
	if err != nil {
		return rejected(err)
	}
	if ref.CreateOp != c.op {
		return conflict(cur, "feature %s exists (created by another op)", c.f.ID)
	}
	return Outcome{Result: resultDuplicate, Feature: cur}
}

func (s *Server) insertVillageFeatures(ctx context.Context, u *cunjie.User, village string, cs []featureCreate, out []Outcome) {
	fail := func(err error) {
		for _, c := range cs {
			out[c.index] = rejected(err)
		}
	}
	vi, err := s.index.Village(ctx, village)
	if err != nil {
		fail(err)
		return
	}
	vi.Lock()
	defer vi.Unlock()
	last, err := s.reserveSeqs(ctx, vi, village, int64(len(cs)))
	if err != nil {
		fail(err)
		return
	}
	fs := make([]*cunjie.Feature, len(cs))
	// New features of one batch are checked against each other too.
	pending := geo.NewIndex()
	for i, c := range cs {
		f := c.f
		f.Seq = last - int64(len(cs)) + 1 + int64(i)
		f.Flags.PossibleDuplicate = nearDuplicate(vi.Index, f)
		if f.Flags.PossibleDuplicate == "" {
			f.Flags.PossibleDuplicate = nearDuplicate(pending, f)
		}
		pending.Put(featureItem(f))
		fs[i] = f
	}
	s.markPendingPhotos(ctx, u, fs)
	existed, err := s.store.InsertFeatures(ctx, village, fs)
	if err != nil {
		s.index.Invalidate(village)
		fail(err)
		return
	}
	for i, c := range cs {
		if existed[i] {
			// Only a replay of an interrupted create can find its feature
			// stored already (the id claim rules out all else).
			cur, err := s.store.Feature(ctx, village, c.f.ID)
			if err != nil {
				out[c.index] = rejected(err)
				continue
			}
			out[c.index] = Outcome{Result: resultDuplicate, Feature: cur}
			vi.Index.Put(featureItem(cur))
			continue
		}
		vi.Index.Put(featureItem(c.f))
		out[c.index] = Outcome{Result: resultApplied, Feature: c.f}
	}
	s.writeDone(ctx, vi, village)
}

// reserveSeqs reserves n seqs for a write to a village whose lock the
// caller holds, and returns the last.
//
// On MongoDB several instances may write a village: seqs come from the
// store's counter, and writeDone moves the revision after the write, so
// that an instance reloading on a new revision sees the write. The
// embedded store has one writing process (the data dir lock), which holds
// the village lock from here to the end of the write: seqs come from the
// index, which holds every feature's latest seq (a seq reserved for a
// write that failed was never seen, and may be handed out again), and the
// revision, which tells a current snapshot from a stale one, moves at the
// first write after a load or a snapshot instead of at every write. Each
// write saves two store commands of its three or four.
func (s *Server) reserveSeqs(ctx context.Context, vi *geo.VillageIndex, village string, n int64) (int64, error) {
	if !s.store.Embedded() {
		return s.store.NextSeqs(ctx, village, n)
	}
	if !vi.Dirty {
		rev, err := s.store.BumpRev(ctx, village)
		if err != nil {
			return 0, err
		}
		vi.Rev, vi.Dirty = rev, true
	}
	return vi.Index.MaxSeq() + n, nil
}

// writeDone records a finished write on MongoDB (see reserveSeqs); if
// another instance wrote meanwhile, the index is dropped so the next
// reader reloads it.
func (s *Server) writeDone(ctx context.Context, vi *geo.VillageIndex, village string) {
	if s.store.Embedded() {
		return
	}
	rev, err := s.store.BumpRev(ctx, village)
	if err != nil || rev != vi.Rev+1 {
		s.index.Invalidate(village)
		return
	}
	vi.Rev = rev
}

// nearDuplicate names a feature of the same kind within a few metres.
func nearDuplicate(x *geo.Index, f *cunjie.Feature) string {
	hits := x.Nearest(orb.Point{f.Location.Lon, f.Location.Lat}, 1, cunjie.DuplicateRadiusM, func(it geo.Item) bool {
		o := it.Value.(*cunjie.Feature)
		return it.ID != f.ID && o.Kind == f.Kind && !o.Deleted
	})
	if len(hits) == 0 {
		return ""
	}
	return hits[0].ID
}

func featureItem(f *cunjie.Feature) geo.Item {
	return geo.Item{ID: f.ID, Point: orb.Point{f.Location.Lon, f.Location.Lat}, Kind: string(f.Kind), Seq: f.Seq, Value: f}
}

// currentFeature reads a feature from its village's index.
func (s *Server) currentFeature(ctx context.Context, village, id string) (*cunjie.Feature, error) {
	vi, err := s.index.Village(ctx, village)
	if err != nil {
		return nil, err
	}
	vi.RLock()
	it, ok := vi.Index.Get(id)
	vi.RUnlock()
	if !ok {
		return nil, cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id)
	}
	return it.Value.(*cunjie.Feature), nil
}

// findFeature locates a feature the caller may read; one in a village they
// may not see is answered as not found, so ids cannot be probed.
func (s *Server) findFeature(ctx context.Context, u *cunjie.User, id string) (store.FeatureRef, error) {
	ref, err := s.store.FeatureRef(ctx, id)
	if err != nil {
		return ref, err
	}
	if !u.CanReadVillage(ref.Village) {
		return ref, cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id)
	}
	return ref, nil
}

// change is one write to an existing feature, made under its village lock.
type change struct {
	op     string
	action string
	// apply returns the next state from a copy of the current one, or an
	// Outcome to answer instead (conflict, rejection).
	apply func(cur, next *cunjie.Feature, x *geo.Index) *Outcome
	// events are appended to the history with the audit entry; apply may
	// add to them.
	events []cunjie.Event
}

// changeFeature runs one change on a stored feature: replayed ops answer
// duplicate, the rest are compare-and-set against the version in memory.
func (s *Server) changeFeature(ctx context.Context, u *cunjie.User, id string, ch *change) Outcome {
	ref, err := s.findFeature(ctx, u, id)
	if err != nil {
		return rejected(err)
	}
	if !u.CanWriteVillage(ref.Village) {
		return rejected(cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id))
	}
	vi, err := s.index.Village(ctx, ref.Village)
	if err != nil {
		return rejected(err)
	}
	vi.Lock()
	defer vi.Unlock()
	it, ok := vi.Index.Get(id)
	if !ok {
		// Claimed but never stored: a create that crashed half way.
		return rejected(cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id))
	}
	cur := it.Value.(*cunjie.Feature)
	op := cunjie.HashOp(ch.op)
	if slices.Contains(cur.Ops, op) {
		return Outcome{Result: resultDuplicate, Feature: cur}
	}
	next := cloneFeature(cur)
	if o := ch.apply(cur, next, vi.Index); o != nil {
		if o.Result == resultConflict && s.opInHistory(ctx, cur, ch.op) {
			return Outcome{Result: resultDuplicate, Feature: cur}
		}
		return *o
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	next.UpdatedBy, next.UpdatedAt = u.Username, now
	next.Ops = keepLast(cur.Ops, op, cunjie.RecentOps)
	next.Changes = cur.Changes + 1
	s.markPendingPhotos(ctx, u, []*cunjie.Feature{next})
	seq, err := s.reserveSeqs(ctx, vi, ref.Village, 1)
	if err != nil {
		return rejected(err)
	}
	next.Seq = seq
	if err := s.store.ReplaceFeature(ctx, next, cur.Version); err != nil {
		// Another instance changed it: reload and let the phone choose.
		s.index.Invalidate(ref.Village)
		if cunjie.ErrorCode(err) == cunjie.ECONFLICT {
			if stored, err2 := s.store.Feature(ctx, ref.Village, id); err2 == nil {
				return conflict(stored, "feature %s was changed meanwhile", id)
			}
		}
		return rejected(err)
	}
	audit := cunjie.AuditEntry{Op: ch.op, Action: ch.action, By: u.Username, At: now, Version: next.Version, Changes: diff(cur, next)}
	if err := s.store.AppendHistory(ctx, id, cur.Changes, ch.events, []cunjie.AuditEntry{audit}); err != nil {
		s.log.Error("history not written", "feature", id, "op", ch.op, "err", err)
	}
	vi.Index.Put(featureItem(next))
	s.writeDone(ctx, vi, ref.Village)
	return Outcome{Result: resultApplied, Feature: next}
}

// opInHistory says whether op was applied to f longer ago than f's recent
// ops reach: a phone that lost an answer may replay its op after many
// other writes, and it is then told duplicate rather than conflict. Only
// conflicts ask, so the history is read only when a write is refused.
func (s *Server) opInHistory(ctx context.Context, f *cunjie.Feature, op string) bool {
	if len(f.Ops) < cunjie.RecentOps {
		return false // f remembers every op since its creation
	}
	_, audit, err := s.store.History(ctx, f.ID, f.Changes)
	return err == nil && slices.ContainsFunc(audit, func(a cunjie.AuditEntry) bool { return a.Op == op })
}

func cloneFeature(f *cunjie.Feature) *cunjie.Feature {
	c := *f
	c.Attrs = maps.Clone(f.Attrs)
	c.Photos = slices.Clone(f.Photos)
	c.Events = slices.Clone(f.Events)
	c.Ops = slices.Clone(f.Ops)
	c.Flags.PhotosPending = slices.Clone(f.Flags.PhotosPending)
	return &c
}

// updateFeature applies a PUT with a baseVersion. The attributes sent are
// merged into the stored ones (see cunjie.MergeAttrs): one left out keeps
// its value, one sent as null clears it.
func (s *Server) updateFeature(ctx context.Context, u *cunjie.User, id string, w *FeatureWrite) Outcome {
	ch := &change{op: w.OpID, action: "update"}
	ch.apply = func(cur, next *cunjie.Feature, x *geo.Index) *Outcome {
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
			return &o
		}
		attrs, err := cunjie.NormalizeAttrs(cur.Kind, cunjie.MergeAttrs(cur.Attrs, w.Attrs))
		if err == nil {
			err = cunjie.CheckAttrChange(u.Role, cur.Kind, cur.Attrs, attrs, w.Reason)
		}
		if err == nil {
			err = s.checkPhotoNames(ctx, u, cur.Village, added(cur.Photos, w.Photos))
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
			next.Flags.PossibleDuplicate = nearDuplicate(x, next)
		}
		if cunjie.NeedsReason(cur.Kind, cur.Attrs, attrs) {
			// Who changed a settled record and why stays in its history
			// and among its latest events.
			ev := correction(u, cur, attrs, w, s.now())
			ch.events = append(ch.events, ev)
			next.Events = latestEvents(cur.Events, ev)
		}
		return nil
	}
	return s.changeFeature(ctx, u, id, ch)
}

// correction is the event that records a change the rules ask a reason
// for; its id comes from the op, so a replay makes the same event.
func correction(u *cunjie.User, cur *cunjie.Feature, attrs map[string]any, w *FeatureWrite, now time.Time) cunjie.Event {
	now = now.UTC().Truncate(time.Millisecond)
	ev := cunjie.Event{ID: fmt.Sprintf("corrected-%016x", uint64(cunjie.HashOp(w.OpID))), Feature: cur.ID, Type: "corrected",
		At: now, Note: strings.TrimSpace(w.Reason), Photos: []string{}, By: u.Username, Stored: now}
	if st := cunjie.StatusAttr(cur.Kind); attrs[st] != cur.Attrs[st] {
		ev.Status, _ = attrs[st].(string)
	}
	return ev
}

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

// diff lists the fields a write changed, for the audit log.
func diff(a, b *cunjie.Feature) map[string]cunjie.Change {
	d := map[string]cunjie.Change{}
	if a.Location != b.Location {
		d["location"] = cunjie.Change{From: a.Location, To: b.Location}
	}
	keys := map[string]bool{}
	for k := range a.Attrs {
		keys[k] = true
	}
	for k := range b.Attrs {
		keys[k] = true
	}
	for k := range keys {
		if a.Attrs[k] != b.Attrs[k] {
			d["attrs."+k] = cunjie.Change{From: a.Attrs[k], To: b.Attrs[k]}
		}
	}
	if !slices.Equal(a.Photos, b.Photos) {
		d["photos"] = cunjie.Change{From: a.Photos, To: b.Photos}
	}
	if a.Deleted != b.Deleted {
		d["deleted"] = cunjie.Change{From: a.Deleted, To: b.Deleted}
	}
	return d
}
