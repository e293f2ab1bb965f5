package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
	"github.com/cunjie/cunjie/geo"
)

// The demo town's households (一户一档): in every village four households,
// each with some of its toilet, its housing reform and the old house it
// demolished, linked to it. These are features of their own, with ids of
// their own, beside the demo features above, which they leave as they
// are. Each write is recorded on the server's clock set to its day, so a
// file reads as a real one would; this runs before the server listens.

// demoHouseholdPlan is what each village's households have: the first
// all three records, the others fewer. The stages each record reaches are
// in demoStages, cut at the count given here.
var demoHouseholdPlan = []map[cunjie.Kind]int{
	{cunjie.KindHouseholdToilet: 4, cunjie.KindDemolition: 3, cunjie.KindHousingReform: 6},
	{cunjie.KindHouseholdToilet: 3, cunjie.KindHousingReform: 3},
	{cunjie.KindHouseholdToilet: 2},
	{cunjie.KindDemolition: 3, cunjie.KindHousingReform: 4},
}

// demoStage is one stage a record reaches: days after the household was
// recorded, and whether it is set by an edit (with the day it was finished
// and a photo attached to the record) rather than by an event.
type demoStage struct {
	stage string
	days  int
	edit  string // the date attribute an edit sets; "" for an event
	photo bool
}

var demoStages = map[cunjie.Kind][]demoStage{
	cunjie.KindHouseholdToilet: {{"planned", 0, "", false}, {"building", 20, "", true}, {"done", 45, "completed_on", true}, {"accepted", 60, "", false}},
	cunjie.KindDemolition:      {{"surveyed", 0, "", false}, {"scheduled", 10, "", true}, {"demolished", 30, "demolished_on", true}},
	cunjie.KindHousingReform: {{"surveyed", 0, "", false}, {"applied", 5, "", false}, {"approved", 25, "", false},
		{"started", 40, "", true}, {"completed", 120, "completed_on", true}, {"accepted", 140, "", false}},
}

// demoStep is one write of the demo households, on its day.
type demoStep struct {
	at     time.Time
	by     *cunjie.User
	op     api.SyncOp
	photos []demoPhotoRef
}

type demoPhotoRef struct {
	id   string
	n    int
	kind cunjie.Kind
}

// demoHouseholdSteps makes every write of the demo households, each
// household's in order; inspector and cleaner name a village's own. The
// first village's households are told stage by stage, with photos; the
// other villages' records are created at the stage they reached, which
// the store takes in bulk (telling all 16 villages' took 11 s of a demo
// start's 60 s).
func demoHouseholdSteps(vs *geo.Villages, inspector, cleaner func(village string) *cunjie.User) []demoStep {
	var steps []demoStep
	for vi, v := range vs.All() {
		rng := rand.New(rand.NewPCG(uint64(vi)+1, 17))
		for hi, plan := range demoHouseholdPlan {
			p, ok := demoPoint(rng, vs, v.Code, []orb.Point{v.Shape.Bound().Center()})
			if !ok {
				continue
			}
			d := demoHouse{id: fmt.Sprintf("demo-%s-hh%02d", v.Code, hi+1), told: vi == 0, photoBase: hi * 6,
				start:     time.Date(2025, 3, 3, 1, 0, 0, 0, time.UTC).AddDate(0, 0, 40*hi), // 09:00 in China
				inspector: inspector(v.Code), cleaner: cleaner(v.Code)}
			if !d.told {
				// One person records them all, so a day's are one batch.
				d.inspector = inspector(vs.All()[0].Code)
			}
			head := demoName(rng)
			photos := d.photo(cunjie.KindHousehold)
			steps = append(steps, demoStep{at: d.start, by: d.inspector, photos: photos, op: putOp(d.id, &api.FeatureWrite{Kind: cunjie.KindHousehold,
				Location: &cunjie.Location{Lon: p[0], Lat: p[1], Accuracy: 4}, Photos: refIDs(photos),
				Attrs: map[string]any{"household_head": head, "address": fmt.Sprintf("%s%d号", v.Name, 10+rng.IntN(80)),
					"members": float64(2 + rng.IntN(5)), "phone": fmt.Sprintf("139%08d", rng.IntN(1e8))}})})
			for _, kind := range []cunjie.Kind{cunjie.KindHouseholdToilet, cunjie.KindDemolition, cunjie.KindHousingReform} {
				if plan[kind] == 0 {
					continue
				}
				attrs := demoAttrs(rng, kind)
				attrs["household"] = d.id
				for _, name := range []string{"household_head", "owner"} {
					if _, ok := attrs[name]; ok {
						attrs[name] = head
					}
				}
				if _, old := plan[cunjie.KindDemolition]; old && kind == cunjie.KindHousingReform {
					attrs["old_house"] = d.id + "-old"
					attrs["mode"] = "new_build"
				}
				// The toilet in the yard, the old house down the lane.
				off := map[cunjie.Kind]float64{cunjie.KindHouseholdToilet: 0.00008, cunjie.KindDemolition: 0.0004, cunjie.KindHousingReform: 0.00002}[kind]
				loc := cunjie.Location{Lon: math.Round((p[0]+off)*1e7) / 1e7, Lat: math.Round((p[1]+off*float64(hi))*1e7) / 1e7, Accuracy: 4}
				steps = append(steps, d.record(kind, loc, attrs, plan[kind])...)
			}
		}
	}
	return steps
}

// demoHouse is one demo household being made.
type demoHouse struct {
	id                 string
	told               bool // stage by stage, with photos
	start              time.Time
	photoBase, photoN  int
	inspector, cleaner *cunjie.User
}

func (d *demoHouse) photo(kind cunjie.Kind) []demoPhotoRef {
	if !d.told {
		return nil
	}
	d.photoN++
	return []demoPhotoRef{{id: fmt.Sprintf("%s-photo-%d", d.id, d.photoN), n: d.photoBase + d.photoN, kind: kind}}
}

// record makes the writes of one of the household's records, which
// reaches the first reach of its kind's stages.
func (d *demoHouse) record(kind cunjie.Kind, loc cunjie.Location, attrs map[string]any, reach int) []demoStep {
	id := d.id + map[cunjie.Kind]string{cunjie.KindHouseholdToilet: "-toilet", cunjie.KindDemolition: "-old", cunjie.KindHousingReform: "-house"}[kind]
	stages := demoStages[kind][:reach]
	delete(attrs, "completed_on")
	delete(attrs, "demolished_on")
	day := func(j int) time.Time { return d.start.AddDate(0, 0, stages[j].days).Add(time.Duration(j) * time.Hour) }
	if !d.told {
		for j, st := range stages {
			attrs["stage"] = st.stage
			if st.edit != "" {
				attrs[st.edit] = day(j).Format(time.DateOnly)
			}
		}
		return []demoStep{{at: d.start, by: d.inspector, op: putOp(id, &api.FeatureWrite{Kind: kind, Location: &loc, Attrs: attrs})}}
	}
	attrs["stage"] = stages[0].stage
	steps := []demoStep{{at: d.start, by: d.inspector, op: putOp(id, &api.FeatureWrite{Kind: kind, Location: &loc, Attrs: attrs})}}
	var kept []string // the record's photos, as its edits send them
	for j := 1; j < len(stages); j++ {
		st, by := stages[j], d.inspector
		if st.stage == "building" {
			by = d.cleaner // the cleaner saw the works begin
		}
		var refs []demoPhotoRef
		if st.photo {
			refs = d.photo(kind)
		}
		if st.edit != "" {
			kept = append(kept, refIDs(refs)...)
			w := &api.FeatureWrite{Kind: kind, Location: &loc, BaseVersion: int64(j), Photos: slices.Clone(kept),
				Attrs: map[string]any{"stage": st.stage, st.edit: day(j).Format(time.DateOnly)}}
			steps = append(steps, demoStep{at: day(j), by: by, photos: refs, op: putOp(id, w)})
			continue
		}
		ev := fmt.Sprintf("%s-ev%d", id, j)
		steps = append(steps, demoStep{at: day(j), by: by, photos: refs, op: api.SyncOp{Type: "addEvent", ID: id, OpID: "op-" + ev,
			Event: &api.EventWrite{OpID: "op-" + ev, ID: ev, Type: "stage_changed", At: day(j), Status: st.stage, Photos: refIDs(refs), Note: "演示记录"}}})
	}
	return steps
}

func putOp(id string, w *api.FeatureWrite) api.SyncOp {
	w.OpID = "op-" + id + fmt.Sprintf("-v%d", w.BaseVersion+1)
	return api.SyncOp{Type: "putFeature", ID: id, OpID: w.OpID, Feature: w}
}

func refIDs(refs []demoPhotoRef) []string {
	ids := []string{}
	for _, r := range refs {
		ids = append(ids, r.id)
	}
	return ids
}

// loadDemoHouseholds records the demo households day by day, each day's
// writes of one person in one batch, on the server's clock set to that
// day; the clock is given back at the end.
func loadDemoHouseholds(ctx context.Context, srv *api.Server, users []*cunjie.User) (applied int, err error) {
	byName := map[string]*cunjie.User{}
	for _, u := range users {
		byName[u.Username] = u
	}
	pinyin := map[string]string{}
	for i, v := range demoVillages {
		pinyin[demoCode(i)] = v.pinyin
	}
	role := func(r cunjie.Role) func(string) *cunjie.User {
		return func(village string) *cunjie.User {
			return cmp.Or(byName[string(r)+"."+pinyin[village]], byName[string(cunjie.RoleInspector)+"."+demoVillages[0].pinyin])
		}
	}
	steps := demoHouseholdSteps(srv.Villages(), role(cunjie.RoleInspector), role(cunjie.RoleCleaner))
	slices.SortStableFunc(steps, func(a, b demoStep) int { return a.at.Compare(b.at) })
	defer srv.SetClock(time.Now)
	for i := 0; i < len(steps); {
		j := i + 1
		for j < len(steps) && steps[j].at.Equal(steps[i].at) && steps[j].by == steps[i].by && j-i < api.MaxSyncOps {
			j++
		}
		at := steps[i].at
		srv.SetClock(func() time.Time { return at })
		var batch []api.SyncOp
		for _, st := range steps[i:j] {
			for _, p := range st.photos {
				if _, _, err := srv.StorePhoto(ctx, st.by, p.id, demoPhoto(p.n%30, p.kind)); err != nil {
					return applied, fmt.Errorf("demo household photo: %w", err)
				}
			}
			batch = append(batch, st.op)
		}
		for k, r := range srv.Apply(ctx, steps[i].by, batch) {
			switch r.Result {
			case "applied":
				applied++
			case "duplicate":
			default:
				return applied, fmt.Errorf("demo household %s: %s %+v", batch[k].ID, r.Result, r.Error)
			}
		}
		i = j
	}
	return applied, nil
}
