package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
	"github.com/cunjie/cunjie/geo"
)

// demoMix is how many features of each kind a demo village gets, before a
// random spread of ±30 %. About 190 a village, 3,000 for the town.
var demoMix = []struct {
	kind cunjie.Kind
	n    int
}{
	{cunjie.KindBin, 80}, {cunjie.KindGarbagePool, 8}, {cunjie.KindCollectionPoint, 5}, {cunjie.KindPublicToilet, 3},
	{cunjie.KindHouseholdToilet, 50}, {cunjie.KindDemolition, 15}, {cunjie.KindHousingReform, 28},
}

var demoSurnames = []rune("刘王李张陈胡伍温赵周吴曾罗肖邓彭郭欧阳谢")
var demoGiven = []string{"建国", "秋生", "桂英", "水根", "冬梅", "春华", "细妹", "国平", "金莲", "长生", "福林", "玉兰", "德胜", "小军"}

// demoFeatureOps makes the demo town's features as sync ops with fixed
// ids, so loading twice stores them once.
func demoFeatureOps(vs *geo.Villages) []api.SyncOp {
	var ops []api.SyncOp
	for vi, v := range vs.All() {
		rng := rand.New(rand.NewPCG(uint64(vi)+1, 99))
		b := v.Shape.Bound()
		// Households cluster in a few hamlets (自然村).
		var hamlets []orb.Point
		for len(hamlets) < 3+rng.IntN(3) {
			p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			if code, ok := vs.Locate(p); ok && code == v.Code {
				hamlets = append(hamlets, p)
			}
		}
		n := 0
		for _, m := range demoMix {
			count := int(float64(m.n) * (0.7 + 0.6*rng.Float64()))
			for i := 0; i < count; i++ {
				p, ok := demoPoint(rng, vs, v.Code, hamlets)
				if !ok {
					continue
				}
				n++
				id := fmt.Sprintf("demo-%s-%04d", v.Code, n)
				w := &api.FeatureWrite{OpID: "op-" + id, Kind: m.kind,
					Location: &cunjie.Location{Lon: p[0], Lat: p[1], Accuracy: math.Round(3 + rng.ExpFloat64()*6)},
					Attrs:    demoAttrs(rng, m.kind)}
				ops = append(ops, api.SyncOp{Type: "putFeature", ID: id, OpID: w.OpID, Feature: w})
			}
		}
	}
	return ops
}

// demoPoint picks a point of the village near one of its hamlets.
func demoPoint(rng *rand.Rand, vs *geo.Villages, code string, hamlets []orb.Point) (orb.Point, bool) {
	for try := 0; try < 50; try++ {
		h := hamlets[rng.IntN(len(hamlets))]
		// ~250 m spread: 1° lat ≈ 111 km.
		p := orb.Point{h[0] + rng.NormFloat64()*0.0025, h[1] + rng.NormFloat64()*0.0022}
		if c, ok := vs.Locate(p); ok && c == code {
			return orb.Point{math.Round(p[0]*1e7) / 1e7, math.Round(p[1]*1e7) / 1e7}, true
		}
	}
	return orb.Point{}, false
}

func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

func demoName(rng *rand.Rand) string {
	return string(demoSurnames[rng.IntN(len(demoSurnames))]) + demoGiven[rng.IntN(len(demoGiven))]
}

// demoDate is a day in the two years before the demo's reference date.
func demoDate(rng *rand.Rand) string {
	ref := time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	return ref.AddDate(0, 0, -rng.IntN(700)).Format("2006-01-02")
}

func demoAttrs(rng *rand.Rand, k cunjie.Kind) map[string]any {
	switch k {
	case cunjie.KindBin:
		return map[string]any{"capacity_l": pick[float64](rng, 120, 240, 240, 660), "status": pick(rng, "ok", "ok", "ok", "ok", "full", "overflowing", "damaged")}
	case cunjie.KindGarbagePool:
		return map[string]any{"volume_m3": pick[float64](rng, 2, 3, 4, 6), "status": pick(rng, "ok", "ok", "full"), "built_year": float64(2019 + rng.IntN(8))}
	case cunjie.KindCollectionPoint:
		return map[string]any{"bin_count": float64(2 + rng.IntN(6)), "status": pick(rng, "ok", "ok", "full")}
	case cunjie.KindPublicToilet:
		return map[string]any{"type": "flush", "stalls": float64(2 + rng.IntN(6)), "status": pick(rng, "ok", "ok", "dirty"), "built_year": float64(2018 + rng.IntN(9))}
	case cunjie.KindHouseholdToilet:
		stage := pick(rng, "planned", "building", "done", "done", "accepted", "accepted")
		a := map[string]any{"household_head": demoName(rng), "type": pick(rng, "three_compartment", "three_compartment", "double_urn", "sewer_flush", "biogas"),
			"tap_water": rng.IntN(3) > 0, "subsidy_yuan": pick[float64](rng, 800, 1000, 1200), "stage": stage}
		if stage == "done" || stage == "accepted" {
			a["completed_on"] = demoDate(rng)
		}
		return a
	case cunjie.KindDemolition:
		stage := pick(rng, "surveyed", "scheduled", "demolished", "demolished", "demolished")
		a := map[string]any{"owner": demoName(rng), "structure": pick(rng, "adobe", "adobe", "brick_wood", "other"),
			"area_m2": math.Round(40 + rng.Float64()*160), "stage": stage}
		if stage == "demolished" {
			a["demolished_on"] = demoDate(rng)
		}
		return a
	case cunjie.KindHousingReform:
		mode := pick(rng, "new_build", "new_build", "new_build", "repair")
		stage := pick(rng, "surveyed", "applied", "approved", "started", "completed", "accepted", "accepted")
		a := map[string]any{"household_head": demoName(rng), "category": pick(rng, "homeless", "dilapidated", "dilapidated", "five_guarantees", "minimum_living", "hardship"),
			"mode": mode, "plot_area_m2": math.Round(80 + rng.Float64()*60), "building_area_m2": math.Round(60 + rng.Float64()*60),
			"one_household_one_homestead": true, "stage": stage}
		if mode == "new_build" {
			a["subsidy_yuan"] = pick[float64](rng, 20000, 25000, 30000)
		} else {
			a["subsidy_yuan"] = pick[float64](rng, 5000, 8000, 10000)
		}
		if stage == "completed" || stage == "accepted" {
			a["completed_on"] = demoDate(rng)
		}
		return a
	}
	return map[string]any{}
}

// loadDemoFeatures stores the demo features through the server's own write
// path (validation, flags, index), then some events on them.
func loadDemoFeatures(ctx context.Context, srv *api.Server, inspector *cunjie.User) (applied int, err error) {
	vs := srv.Villages()
	ops := demoFeatureOps(vs)
	// A few features carry a photo, uploaded first as a phone does.
	for i := 0; i*120 < len(ops) && i < 25; i++ {
		op := ops[i*120]
		pid := fmt.Sprintf("demo-photo-%02d", i)
		if _, _, err := srv.StorePhoto(ctx, inspector, pid, demoPhoto(i, op.Feature.Kind)); err != nil {
			return 0, fmt.Errorf("demo photo: %w", err)
		}
		op.Feature.Photos = []string{pid}
	}
	// A few demolished houses show themselves before and after: a photo
	// on the record, another on the event of their demolition.
	var razed []api.SyncOp
	for _, op := range ops {
		if len(razed) < 6 && op.Feature.Kind == cunjie.KindDemolition && op.Feature.Attrs["stage"] == "demolished" && len(op.Feature.Photos) == 0 {
			pid := fmt.Sprintf("demo-before-%d", len(razed))
			if _, _, err := srv.StorePhoto(ctx, inspector, pid, demoPhoto(len(razed), cunjie.KindDemolition)); err != nil {
				return 0, fmt.Errorf("demo photo: %w", err)
			}
			op.Feature.Photos = []string{pid}
			razed = append(razed, op)
		}
	}
	for i := 0; i < len(ops); i += api.MaxSyncOps {
		batch := ops[i:min(i+api.MaxSyncOps, len(ops))]
		for j, r := range srv.Apply(ctx, inspector, batch) {
			switch r.Result {
			case "applied":
				applied++
			case "duplicate":
			default:
				return applied, fmt.Errorf("demo feature %s: %s %+v", batch[j].ID, r.Result, r.Error)
			}
		}
	}
	// A few events: bins emptied and reported, stages moved on.
	rng := rand.New(rand.NewPCG(7, 7))
	var evs []api.SyncOp
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	for i, op := range ops {
		if i%15 != 0 {
			continue
		}
		var typ, status string
		switch op.Feature.Kind {
		case cunjie.KindBin:
			typ = pick(rng, "emptied", "emptied", "status_reported")
			if typ == "status_reported" {
				status = pick(rng, "full", "damaged")
			}
		case cunjie.KindPublicToilet:
			typ = "cleaned"
		default:
			typ = "inspected"
		}
		id := "ev-" + op.ID
		evs = append(evs, api.SyncOp{Type: "addEvent", ID: op.ID, OpID: "op-" + id, Event: &api.EventWrite{
			OpID: "op-" + id, ID: id, Type: typ, At: at.Add(time.Duration(i) * time.Minute), Status: status, Note: "演示记录"}})
	}
	for i, op := range razed {
		pid := fmt.Sprintf("demo-after-%d", i)
		if _, _, err := srv.StorePhoto(ctx, inspector, pid, demoPhoto(i, "")); err != nil {
			return applied, fmt.Errorf("demo photo: %w", err)
		}
		id := "ev-razed-" + op.ID
		evs = append(evs, api.SyncOp{Type: "addEvent", ID: op.ID, OpID: "op-" + id, Event: &api.EventWrite{
			OpID: "op-" + id, ID: id, Type: "stage_changed", At: at.Add(time.Duration(i) * time.Hour), Status: "demolished",
			Photos: []string{pid}, Note: "演示记录：拆除完毕"}})
	}
	for _, r := range srv.Apply(ctx, inspector, evs) {
		if r.Result != "applied" && r.Result != "duplicate" {
			return applied, fmt.Errorf("demo event: %s %+v", r.Result, r.Error)
		}
	}
	return applied, nil
}

// demoPhoto draws a small scene: sky, ground, and a block in the kind's
// colour, so the map's popups have something to show; no kind draws the
// empty ground of a house demolished.
func demoPhoto(n int, k cunjie.Kind) []byte {
	colours := map[cunjie.Kind]color.RGBA{
		cunjie.KindBin: {46, 125, 50, 255}, cunjie.KindGarbagePool: {121, 85, 72, 255}, cunjie.KindCollectionPoint: {0, 121, 107, 255},
		cunjie.KindPublicToilet: {25, 118, 210, 255}, cunjie.KindHouseholdToilet: {123, 31, 162, 255},
		cunjie.KindDemolition: {183, 28, 28, 255}, cunjie.KindHousingReform: {245, 124, 0, 255}, cunjie.KindHousehold: {216, 27, 96, 255},
	}
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := 0; y < 480; y++ {
		for x := 0; x < 640; x++ {
			c := color.RGBA{135, 190, 235, 255} // sky
			if y > 300 {
				c = color.RGBA{110, 150, 80, 255} // ground
			}
			if block, ok := colours[k]; ok && x > 220+n*4 && x < 420+n*4 && y > 200 && y < 380 {
				c = block
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}
