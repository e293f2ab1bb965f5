package writes

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// Create is a validated new feature: its village, seq-less state and the
// op that creates it.
type Create struct {
	Op      string
	Feature *cunjie.Feature
}

// Create stores new features, answering one Outcome per create in order.
// A village's creates are committed with those other requests queue for
// it meanwhile (see createInVillage): their codes taken and their ids
// claimed in one command, the features stored in a second. That is what
// makes a phone's backlog of hundreds of new bins arrive in seconds, and
// four phones sending a bin each share commands.
func (w *Writer) Create(ctx context.Context, u *cunjie.User, cs []Create) []FeatureOutcome {
	out := make([]FeatureOutcome, len(cs))
	byVillage := map[string][]int{}
	seen := map[string]bool{}
	var repeated []int // creates of an id an earlier create of cs makes
	for i, c := range cs {
		if seen[c.Feature.ID] {
			repeated = append(repeated, i)
			continue
		}
		seen[c.Feature.ID] = true
		byVillage[c.Feature.Village] = append(byVillage[c.Feature.Village], i)
	}
	for len(byVillage) > 0 {
		var elsewhere []claimedElsewhere
		for _, village := range slices.Sorted(maps.Keys(byVillage)) {
			elsewhere = append(elsewhere, w.createInVillage(ctx, u, village, cs, byVillage[village], out)...)
		}
		// Answered with no village's lock held: a create of an id
		// another op claimed conflicts with that op's feature; a replay
		// of an op whose id is claimed in another village (its
		// boundaries moved since) is committed there.
		byVillage = map[string][]int{}
		for _, e := range elsewhere {
			c := cs[e.i]
			if e.ref.CreateOp != c.Op {
				cur, _ := w.Feature(ctx, e.ref.Village, c.Feature.ID)
				out[e.i] = Conflicted(cur, "feature %s exists (created by another op)", c.Feature.ID)
				continue
			}
			c.Feature.Village = e.ref.Village
			byVillage[e.ref.Village] = append(byVillage[e.ref.Village], e.i)
		}
	}
	for _, i := range repeated {
		out[i] = w.replayCreate(ctx, cs[i])
	}
	return out
}

// claimedElsewhere is a create (cs[i]) whose id is claimed by another op,
// or by its own op in another village.
type claimedElsewhere struct {
	i   int
	ref store.FeatureRef
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

// createInVillage commits the creates at idx, all of one village, with
// the creates other requests queued for the village meanwhile: whoever
// takes the village's lock commits every create waiting for it (group
// commit). The store takes one writer at a time, and a create costs
// two commands however few features it holds, so four phones sending one
// bin each share the commands of one create instead of queueing for four
// (BenchmarkSingleWrites). The ids are claimed in the group too: a
// request's claim made on its own, before it queued, was one more
// command its group did not share. It answers the creates whose ids are
// claimed elsewhere, for the caller to answer.
func (w *Writer) createInVillage(ctx context.Context, u *cunjie.User, village string, cs []Create, idx []int, out []FeatureOutcome) []claimedElsewhere {
	vi, err := w.index.Village(ctx, village)
	if err != nil {
		for _, i := range idx {
			out[i] = Rejection[*cunjie.Feature](err)
		}
		return nil
	}
	b := &createBatch{u: u, cs: cs, idx: idx, out: out}
	w.queued.add(vi, b)
	vi.Lock()
	defer vi.Unlock()
	// What waits now (this request's creates unless a request before
	// took them; then others', or nothing) is committed. The commit is
	// other requests' too: it goes on if this request's client leaves
	// (the store's timeout still bounds it).
	if batches := w.queued.take(vi); len(batches) > 0 {
		w.commitCreates(context.WithoutCancel(ctx), vi, village, batches)
	}
	return b.elsewhere // set by whichever request committed b, under the lock
}

// createBatch is one request's creates in a village: cs[idx], answered
// in out, or listed in elsewhere.
type createBatch struct {
	u         *cunjie.User
	cs        []Create
	idx       []int
	out       []FeatureOutcome
	elsewhere []claimedElsewhere
}

// createQueues holds each village's creates waiting for its lock.
type createQueues struct {
	mu sync.Mutex
	m  map[*geo.VillageIndex][]*createBatch
}

func (q *createQueues) add(vi *geo.VillageIndex, b *createBatch) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.m == nil {
		q.m = map[*geo.VillageIndex][]*createBatch{}
	}
	q.m[vi] = append(q.m[vi], b)
}

// take empties vi's queue and returns what it held.
func (q *createQueues) take(vi *geo.VillageIndex) []*createBatch {
	q.mu.Lock()
	defer q.mu.Unlock()
	bs := q.m[vi]
	delete(q.m, vi)
	return bs
}

// commitCreates commits batches of creates in one village, whose lock
// the caller holds, answering each in its batch's out.
func (w *Writer) commitCreates(ctx context.Context, vi *geo.VillageIndex, village string, batches []*createBatch) {
	type entry struct {
		b *createBatch
		i int // the index in b.cs
	}
	var all []entry
	for _, b := range batches {
		for _, i := range b.idx {
			all = append(all, entry{b, i})
		}
	}
	answer := func(e entry, o FeatureOutcome) { e.b.out[e.i] = o }
	fail := func(err error) {
		for _, e := range all {
			answer(e, Rejection[*cunjie.Feature](err))
		}
	}
	notStored := func(id string) FeatureOutcome {
		return Rejection[*cunjie.Feature](cunjie.Errorf(cunjie.EINTERNAL, "feature %s not stored; send again", id))
	}
	// Until the commit says otherwise: a panic on the way leaves every
	// request of the group an answer (the phone sends again).
	for _, e := range all {
		answer(e, notStored(e.b.cs[e.i].Feature.ID))
	}
	// The ids are claimed, and given codes, once: a retry's claims are
	// its own. A taken id created by this very op in this village is a
	// replay: it answers the stored feature, or finishes the create if a
	// crash came between the claim and the commit.
	ids, ops := make([]string, len(all)), make([]string, len(all))
	for k, e := range all {
		ids[k], ops[k] = e.b.cs[e.i].Feature.ID, e.b.cs[e.i].Op
	}
	taken, codes, err := w.st.ClaimFeatures(ctx, village, w.prefix(village), ids, ops)
	if err != nil {
		fail(err)
		return
	}
	here := all[:0]
	for k, e := range all {
		if t := taken[k]; t != nil && (t.CreateOp != ops[k] || t.Village != village) {
			e.b.elsewhere = append(e.b.elsewhere, claimedElsewhere{i: e.i, ref: *t})
			continue
		}
		e.b.cs[e.i].Feature.Code = codes[k]
		here = append(here, e)
	}
	all = here
	for attempt := 1; ; attempt++ {
		var steps []step
		var at []entry    // the create of each step
		var again []entry // creates of an id another create of the commit makes
		// New features of one commit are checked against each other too.
		pending := geo.NewIndex()
		seq := vi.Index.MaxSeq()
		for _, e := range all {
			f := e.b.cs[e.i].Feature
			if it, ok := vi.Index.Get(f.ID); ok {
				// The claim is this op's: a replay of a create committed
				// already (here or by another instance).
				answer(e, FeatureOutcome{Result: Duplicate, Object: it.Value.(*cunjie.Feature)})
				continue
			}
			if _, ok := pending.Get(f.ID); ok {
				// Two requests of one op at once (a phone's retry while
				// its first try waits): the first creates it.
				again = append(again, e)
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
			at = append(at, e)
		}
		if len(steps) == 0 {
			return
		}
		fs := make([]*cunjie.Feature, len(steps))
		byBatch := map[*createBatch][]*cunjie.Feature{}
		for k, st := range steps {
			fs[k] = st.next
			byBatch[at[k].b] = append(byBatch[at[k].b], st.next)
		}
		for _, b := range batches {
			if mine := byBatch[b]; len(mine) > 0 {
				w.prepare(ctx, b.u, mine)
			}
		}
		if err := w.codes(ctx, village, fs); err != nil { // replays
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
		for k, e := range at {
			f := steps[k].next
			if existed != nil && existed[k] {
				// Only a replay of an interrupted create finds its
				// feature stored already (the id claim rules out all else).
				cur, err := w.st.Feature(ctx, village, f.ID)
				if err != nil {
					answer(e, Rejection[*cunjie.Feature](err))
					continue
				}
				f = cur
				answer(e, FeatureOutcome{Result: Duplicate, Object: cur})
			} else {
				answer(e, FeatureOutcome{Result: Applied, Object: f})
			}
			vi.Index.Put(indexItem(f))
		}
		for _, e := range again {
			if it, ok := vi.Index.Get(e.b.cs[e.i].Feature.ID); ok {
				answer(e, FeatureOutcome{Result: Duplicate, Object: it.Value.(*cunjie.Feature)})
			} // else the create that made it failed: "not stored" stands
		}
		return
	}
}
