package writes

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// Create is a validated new feature: its village, seq-less state and the
// op that creates it.
type Create struct {
	Op      string
	Feature *cunjie.Feature
}

// Create stores new features, answering one Outcome per create in order.
// Ids are claimed in one round trip, each village's features stored in
// one more: that is what makes a phone's backlog of hundreds of new bins
// arrive in seconds.
func (w *Writer) Create(ctx context.Context, u *cunjie.User, cs []Create) []FeatureOutcome {
	out := make([]FeatureOutcome, len(cs))
	if len(cs) == 0 {
		return out
	}
	ids := make([]string, len(cs))
	villages := make([]string, len(cs))
	ops := make([]string, len(cs))
	for i, c := range cs {
		ids[i], villages[i], ops[i] = c.Feature.ID, c.Feature.Village, c.Op
	}
	taken, err := w.st.ClaimFeatureIDs(ctx, ids, villages, ops)
	if err != nil {
		for i := range cs {
			out[i] = Rejection[*cunjie.Feature](err)
		}
		return out
	}
	// A taken id created by this very op is a replay: it answers the
	// stored feature, or finishes the create if a crash came between the
	// claim and the commit.
	byVillage := map[string][]int{}
	seen := map[string]bool{}
	for i, c := range cs {
		if seen[c.Feature.ID] {
			out[i] = w.replayCreate(ctx, c)
			continue
		}
		seen[c.Feature.ID] = true
		if t := taken[i]; t != nil {
			if t.CreateOp != c.Op {
				cur, _ := w.Feature(ctx, t.Village, c.Feature.ID)
				out[i] = Conflicted(cur, "feature %s exists (created by another op)", c.Feature.ID)
				continue
			}
			c.Feature.Village = t.Village
		}
		byVillage[c.Feature.Village] = append(byVillage[c.Feature.Village], i)
	}
	for _, village := range slices.Sorted(maps.Keys(byVillage)) {
		w.createInVillage(ctx, u, village, cs, byVillage[village], out)
	}
	return out
}

// replayCreate answers a create repeated within one batch.
func (w *Writer) replayCreate(ctx context.Context, c Create) FeatureOutcome {
	ref, err := w.st.FeatureRef(ctx, c.Feature.ID)
	if err != nil {
		return Rejection[*cunjie.Feature](err)
	}
	cur, err := w.Feature(ctx, ref.Village, c.Feature.ID)
	if err != nil {
		return Rejection[*cunjie.Feature](err)
	}
	if ref.CreateOp != c.Op {
		return Conflicted(cur, "feature %s exists (created by another op)", c.Feature.ID)
	}
	return FeatureOutcome{Result: Duplicate, Object: cur}
}

// createInVillage commits the creates at idx, all of one village.
func (w *Writer) createInVillage(ctx context.Context, u *cunjie.User, village string, cs []Create, idx []int, out []FeatureOutcome) {
	fail := func(err error) {
		for _, i := range idx {
			out[i] = Rejection[*cunjie.Feature](err)
		}
	}
	vi, err := w.index.Village(ctx, village)
	if err != nil {
		fail(err)
		return
	}
	vi.Lock()
	defer vi.Unlock()
	for attempt := 1; ; attempt++ {
		var steps []step
		var at []int // the index in cs of each step
		// New features of one batch are checked against each other too.
		pending := geo.NewIndex()
		seq := vi.Index.MaxSeq()
		for _, i := range idx {
			f := cs[i].Feature
			if it, ok := vi.Index.Get(f.ID); ok {
				// The claim is this op's: a replay of a create committed
				// already (here or by another instance).
				out[i] = FeatureOutcome{Result: Duplicate, Object: it.Value.(*cunjie.Feature)}
				continue
			}
			seq++
			f.Seq = seq
			f.Flags.PossibleDuplicate = NearDuplicate(vi.Index, f)
			if f.Flags.PossibleDuplicate == "" {
				f.Flags.PossibleDuplicate = NearDuplicate(pending, f)
			}
			pending.Put(featureItem(f))
			steps = append(steps, step{next: f})
			at = append(at, i)
		}
		if len(steps) == 0 {
			return
		}
		fs := make([]*cunjie.Feature, len(steps))
		for k, st := range steps {
			fs[k] = st.next
		}
		w.prepare(ctx, u, fs)
		if err := w.codes(ctx, fs); err != nil {
			fail(err)
			return
		}
		existed, err := w.commit(ctx, vi, village, steps)
		if errors.Is(err, errRaced) && attempt < maxAttempts {
			backOff(attempt)
			if err := w.be.catchUp(ctx, village, vi); err != nil {
				fail(err)
				return
			}
			continue
		}
		if err != nil {
			fail(err)
			return
		}
		for k, i := range at {
			f := steps[k].next
			if existed != nil && existed[k] {
				// Only a replay of an interrupted create finds its
				// feature stored already (the id claim rules out all else).
				cur, err := w.st.Feature(ctx, village, f.ID)
				if err != nil {
					out[i] = Rejection[*cunjie.Feature](err)
					continue
				}
				f = cur
				out[i] = FeatureOutcome{Result: Duplicate, Object: cur}
			} else {
				out[i] = FeatureOutcome{Result: Applied, Object: f}
			}
			vi.Index.Put(featureItem(f))
		}
		return
	}
}
