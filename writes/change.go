package writes

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// Change is one write to an existing feature.
type Change struct {
	Op     string
	Action string // for the audit trail: update, event, delete, restore, photos
	// Apply makes the next state from a copy of the current one, or
	// returns an Outcome to answer instead (a conflict, a rejection, a
	// duplicate). It may add to Events. It runs again, on a fresh copy,
	// when another instance wrote the village first.
	Apply func(cur, next *cunjie.Feature, x *geo.Index, events *[]cunjie.Event) *FeatureOutcome
	// Events go to the history with the audit entry.
	Events []cunjie.Event
}

// maxAttempts bounds how often one write computes again after losing
// the village to another instance's write. Each loss is another write's
// commit.
const maxAttempts = 50

// backOff waits a random while before a write's next try. Two instances
// writing one village at full speed fall into step otherwise: each
// write's cycle (commit, materialize) takes as long as the other's
// catch-up and retry, and the one that lost once loses every time.
func backOff(attempt int) {
	if attempt > 1 {
		time.Sleep(time.Duration(rand.Int64N(int64(min(attempt, 10)) * int64(time.Millisecond))))
	}
}

// FindFeature locates a feature u may read; one in a village they may not
// see is answered as not found, so ids cannot be probed.
func (w *Writer) FindFeature(ctx context.Context, u *cunjie.User, id string) (store.FeatureRef, error) {
	ref, err := w.st.FeatureRef(ctx, id)
	if err != nil {
		return ref, err
	}
	if !u.CanReadVillage(ref.Village) {
		return ref, cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id)
	}
	return ref, nil
}

// Change applies ch to feature id: a replayed op answers duplicate, the
// rest is compare-and-set against the feature as committed.
func (w *Writer) Change(ctx context.Context, u *cunjie.User, id string, ch *Change) FeatureOutcome {
	return w.ChangeAll(ctx, u, []Target{{ID: id, Change: ch}})[0]
}

// Target is a change and the feature it is for.
type Target struct {
	ID     string
	Change *Change
}

// ChangeAll applies each change to its feature, answering one Outcome per
// target in order, as Change would one by one. Targets that follow one
// another in the same village, each of another feature, are committed
// together: a phone's batch of events costs the village one commit (on a
// shared store, one log record instead of one per event, and one chance to
// lose the village to another instance instead of many).
func (w *Writer) ChangeAll(ctx context.Context, u *cunjie.User, ts []Target) []FeatureOutcome {
	out := make([]FeatureOutcome, len(ts))
	villages := make([]string, len(ts))
	for i, t := range ts {
		ref, err := w.FindFeature(ctx, u, t.ID)
		switch {
		case err != nil:
			out[i] = Rejection[*cunjie.Feature](err)
		case !u.CanWriteVillage(ref.Village):
			out[i] = Rejection[*cunjie.Feature](cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", t.ID))
		default:
			villages[i] = ref.Village
		}
	}
	for i := 0; i < len(ts); {
		if villages[i] == "" {
			i++
			continue
		}
		group := []int{i}
		ids := map[string]bool{ts[i].ID: true}
		j := i + 1
		for ; j < len(ts) && villages[j] == villages[i] && !ids[ts[j].ID]; j++ {
			group = append(group, j)
			ids[ts[j].ID] = true
		}
		w.changeInVillage(ctx, u, villages[i], ts, group, out)
		i = j
	}
	return out
}

// changeInVillage commits the changes at idx, each of another feature of
// village, together.
func (w *Writer) changeInVillage(ctx context.Context, u *cunjie.User, village string, ts []Target, idx []int, out []FeatureOutcome) {
	vi, err := w.index.Village(ctx, village)
	if err != nil {
		for _, i := range idx {
			out[i] = Rejection[*cunjie.Feature](err)
		}
		return
	}
	vi.Lock()
	defer vi.Unlock()
	for attempt := 1; ; attempt++ {
		var steps []step
		var at []int // the index in ts of each step
		missing := false
		seq := vi.Index.MaxSeq()
		for _, i := range idx {
			id, ch := ts[i].ID, ts[i].Change
			it, ok := vi.Index.Get(id)
			if !ok && attempt == 1 {
				missing = true // created by another instance since this one last looked
				break
			}
			if !ok {
				// Claimed but never stored: a create that crashed half way.
				out[i] = Rejection[*cunjie.Feature](cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id))
				continue
			}
			cur := it.Value.(*cunjie.Feature)
			op := cunjie.HashOp(ch.Op)
			if slices.Contains(cur.Ops, op) {
				out[i] = FeatureOutcome{Result: Duplicate, Object: cur}
				continue
			}
			next := cloneFeature(cur)
			events := slices.Clone(ch.Events)
			if o := ch.Apply(cur, next, vi.Index, &events); o != nil {
				if o.Result == Conflict && w.opInHistory(ctx, cur, ch.Op) {
					out[i] = FeatureOutcome{Result: Duplicate, Object: cur}
				} else {
					out[i] = *o
				}
				continue
			}
			now := w.now().UTC().Truncate(time.Millisecond)
			next.UpdatedBy, next.UpdatedAt = u.Username, now
			next.Ops = KeepLast(cur.Ops, op, cunjie.RecentOps)
			next.Changes = cur.Changes + 1
			seq++
			next.Seq = seq
			w.prepare(ctx, u, []*cunjie.Feature{next})
			audit := cunjie.AuditEntry{Op: ch.Op, Action: ch.Action, By: u.Username, At: now, Version: next.Version, Changes: diff(cur, next)}
			steps = append(steps, step{next: next, base: cur.Version,
				history: store.HistoryEntry{Feature: id, Change: cur.Changes, Events: events, Audit: []cunjie.AuditEntry{audit}}})
			at = append(at, i)
		}
		var err error
		if missing {
			err = errRaced
		} else if len(steps) > 0 {
			_, err = w.commit(ctx, vi, village, steps)
		}
		if errors.Is(err, errRaced) && attempt < maxAttempts {
			backOff(attempt)
			if err := w.be.catchUp(ctx, village, vi); err != nil {
				for _, i := range idx {
					out[i] = Rejection[*cunjie.Feature](err)
				}
				return
			}
			continue
		}
		for k, i := range at {
			if err != nil {
				out[i] = Rejection[*cunjie.Feature](err)
				continue
			}
			vi.Index.Put(indexItem(steps[k].next))
			out[i] = FeatureOutcome{Result: Applied, Object: steps[k].next}
		}
		return
	}
}

// opInHistory says whether op was applied to f longer ago than f's recent
// ops reach: a phone that lost an answer may replay its op after many
// other writes, and it is then told duplicate rather than conflict. Only
// conflicts ask, so the history is read only when a write is refused.
func (w *Writer) opInHistory(ctx context.Context, f *cunjie.Feature, op string) bool {
	if len(f.Ops) < cunjie.RecentOps {
		return false // f remembers every op since its creation
	}
	_, audit, err := w.st.History(ctx, f.ID, f.Changes)
	return err == nil && slices.ContainsFunc(audit, func(a cunjie.AuditEntry) bool { return a.Op == op })
}

func cloneFeature(f *cunjie.Feature) *cunjie.Feature {
	c := *f
	c.Attrs = maps.Clone(f.Attrs)
	c.Photos = slices.Clone(f.Photos)
	c.Ops = slices.Clone(f.Ops)
	c.Flags.PhotosPending = slices.Clone(f.Flags.PhotosPending)
	return &c
}

// KeepLast returns s with x appended, keeping the last n, in a new slice of
// exactly that length. A record keeps its recent lists for as long as it
// lives: append's spare capacity would about double what each one holds.
func KeepLast[T any](s []T, x T, n int) []T {
	k := min(len(s)+1, n)
	out := make([]T, 0, k)
	out = append(out, s[len(s)+1-k:]...)
	return append(out, x)
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
