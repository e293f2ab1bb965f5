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
)

// The demo town's monthly assessment: the town office's checklist in two
// versions, a year of inspections of every village with scores and
// photographed problems, the problems taken through the rectification loop,
// and the months before the last two closed. Everything has a fixed id and
// op, so loading again stores nothing twice.

const (
	demoTemplateID = "default"
	// The year of inspections, month by month up to the demo's present.
	demoFirstMonth = "2025-12"
	demoMonths     = 12
	// From this month on inspections use version 2 of the checklist.
	demoV2Month = "2026-06"
	// Months up to this one are closed; the last two stay open.
	demoLastClosed = "2026-09"
)

// demoItemsV1 is the checklist the town started with; version 2 gave the
// roads 5 points to 宣传与村规民约.
var demoItemsV1 = []cunjie.TemplateItem{
	{ID: "roads", Description: "道路沟渠无垃圾", MaxPoints: 20},
	{ID: "bins", Description: "垃圾桶不满溢", MaxPoints: 10},
	{ID: "pools", Description: "垃圾池/收集点清运及时", MaxPoints: 10},
	{ID: "toilets", Description: "公厕干净无异味", MaxPoints: 10},
	{ID: "piles", Description: "无露天垃圾堆", MaxPoints: 10},
	{ID: "cleaner", Description: "保洁员在岗", MaxPoints: 10},
	{ID: "yards", Description: "房前屋后整洁", MaxPoints: 10},
	{ID: "ponds", Description: "河塘水面无漂浮物", MaxPoints: 10},
	{ID: "clutter", Description: "乱堆乱放清理", MaxPoints: 10},
}

var demoItemsV2 = []cunjie.TemplateItem{
	{ID: "roads", Description: "道路沟渠无垃圾", MaxPoints: 15},
	{ID: "bins", Description: "垃圾桶不满溢", MaxPoints: 10},
	{ID: "pools", Description: "垃圾池/收集点清运及时", MaxPoints: 10},
	{ID: "toilets", Description: "公厕干净无异味", MaxPoints: 10},
	{ID: "piles", Description: "无露天垃圾堆", MaxPoints: 10},
	{ID: "cleaner", Description: "保洁员在岗", MaxPoints: 10},
	{ID: "yards", Description: "房前屋后整洁", MaxPoints: 10},
	{ID: "ponds", Description: "河塘水面无漂浮物", MaxPoints: 10},
	{ID: "clutter", Description: "乱堆乱放清理", MaxPoints: 10},
	{ID: "publicity", Description: "宣传与村规民约", MaxPoints: 5},
}

// demoProblemTexts are what inspectors write for a deduction on an item.
var demoProblemTexts = map[string][]string{
	"roads":     {"村道两侧有塑料袋、纸屑", "排水沟内有生活垃圾堵塞"},
	"bins":      {"垃圾桶满溢，周边散落垃圾", "垃圾桶破损未及时更换"},
	"pools":     {"垃圾池满溢，未及时清运", "收集点周边有异味、污水"},
	"toilets":   {"公厕地面不洁，有异味", "公厕洗手池损坏"},
	"piles":     {"田边有露天垃圾堆", "村口空地堆放建筑垃圾"},
	"cleaner":   {"保洁员未按时在岗"},
	"yards":     {"房前屋后杂物乱堆", "农户门前柴草堆放杂乱"},
	"ponds":     {"池塘水面有漂浮物", "河道岸边有垃圾"},
	"clutter":   {"巷道内乱堆乱放", "废弃农具、砖石占道"},
	"publicity": {"宣传栏破损，村规民约未上墙"},
}

// loadDemoAssessments loads the demo town's assessment as the town office
// (the checklist, closing months), the inspector (inspections,
// verifications) and the cleaner (rectifications in the cleaner's villages;
// the inspector rectifies elsewhere, as staff may). It returns quickly when
// the demo was loaded before.
func loadDemoAssessments(ctx context.Context, srv *api.Server, inspector, cleaner *cunjie.User) error {
	office := &cunjie.User{ID: "demo-office", Username: "admin", Name: "镇办", Role: cunjie.RoleAdmin}
	if r, err := srv.Ranking(ctx, office, demoLastClosed); err == nil && r.Closed {
		return nil // loaded to the end before
	}
	if cleaner == nil {
		cleaner = inspector
	}
	if err := demoTemplate(ctx, srv, office); err != nil {
		return err
	}
	// One village after the other: the embedded store takes one write at a
	// time, and loading villages side by side only made them wait for it.
	now := time.Now()
	for vi, v := range srv.Villages().All() {
		if err := demoVillageAssessments(ctx, srv, vi, v.Code, now, inspector, cleaner); err != nil {
			return err
		}
	}
	for m := demoFirstMonth; m <= demoLastClosed && m < cunjie.MonthOf(now); m = cunjie.AddMonths(m, 1) {
		if _, _, err := srv.CloseMonth(ctx, office, m); err != nil {
			return fmt.Errorf("demo: close %s: %w", m, err)
		}
	}
	return nil
}

// demoVillageAssessments loads the year of one village, the vi-th.
func demoVillageAssessments(ctx context.Context, srv *api.Server, vi int, village string, now time.Time, inspector, cleaner *cunjie.User) error {
	rng := rand.New(rand.NewPCG(uint64(vi)+1, 2026))
	before, after, err := demoProblemPhotos(ctx, srv, inspector, village, rng)
	if err != nil {
		return err
	}
	fixer := inspector
	if cleaner.CanWriteVillage(village) {
		fixer = cleaner
	}
	// Each village keeps to its own standard and improves a little over
	// the year.
	quality := 0.78 + 0.15*rng.Float64()
	for m := range demoMonths {
		month := cunjie.AddMonths(demoFirstMonth, m)
		visits := 1
		if rng.IntN(5) == 0 {
			visits = 2
		}
		for k := 1; k <= visits; k++ {
			q := math.Min(0.99, quality+0.06*float64(m)/demoMonths+(rng.Float64()-0.5)*0.08)
			id := fmt.Sprintf("demo-insp-%s-%s-%d", village, month, k)
			w := demoInspection(rng, srv, id, village, month, q, before)
			if w.At.After(now) {
				continue // the demo's month is not that far yet
			}
			w.OpID = "op-" + id
			res, _, err := srv.PutInspection(ctx, inspector, id, w)
			if err != nil {
				return fmt.Errorf("demo inspection %s: %s %w", id, res, err)
			}
			for _, p := range w.Problems {
				if err := demoRectify(ctx, srv, rng, p.ID, w.At, month, now, fixer, inspector, after); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// demoTemplate makes the checklist: version 1, then version 2.
func demoTemplate(ctx context.Context, srv *api.Server, office *cunjie.User) error {
	t, err := srv.Template(ctx, demoTemplateID, 0)
	if cunjie.ErrorCode(err) == cunjie.ENOTFOUND {
		t, err = srv.CreateTemplate(ctx, office, &cunjie.Template{ID: demoTemplateID, Name: "村庄环境卫生月度考评表", Items: demoItemsV1})
	}
	if err != nil {
		return fmt.Errorf("demo template: %w", err)
	}
	if t.Version == 1 {
		_, err = srv.UpdateTemplate(ctx, office, &cunjie.Template{ID: demoTemplateID, Name: "村庄环境卫生月度考评表", Items: demoItemsV2}, 1)
	}
	return err
}

// demoInspection scores a village of quality q (0..1) on the month's
// checklist version; a marked deduction on an item becomes a problem.
func demoInspection(rng *rand.Rand, srv *api.Server, id, village, month string, q float64, photos []string) *api.InspectionWrite {
	items, version := demoItemsV1, int64(1)
	if month >= demoV2Month {
		items, version = demoItemsV2, 2
	}
	first, _ := time.ParseInLocation("2006-01", month, cunjie.TownZone)
	at := first.AddDate(0, 0, 2+rng.IntN(18)).Add(time.Duration(8+rng.IntN(9))*time.Hour + time.Duration(rng.IntN(60))*time.Minute)
	w := &api.InspectionWrite{Village: village, Month: month, Template: demoTemplateID, TemplateVersion: version, At: at.UTC()}
	for _, it := range items {
		lost := math.Round(float64(it.MaxPoints) * (1 - q) * (0.3 + 1.4*rng.Float64()))
		points := math.Max(0, float64(it.MaxPoints)-lost)
		sw := api.ScoreWrite{Item: it.ID, Points: &points}
		if lost >= 3 && len(w.Problems) < 2 {
			texts := demoProblemTexts[it.ID]
			text := texts[rng.IntN(len(texts))]
			sw.Note = text
			loc := demoProblemPoint(rng, srv, village)
			w.Problems = append(w.Problems, api.ProblemWrite{
				ID:       id + "-" + it.ID,
				Location: &loc, Description: text, Photos: []string{photos[rng.IntN(len(photos))]}})
		}
		w.Scores = append(w.Scores, sw)
	}
	return w
}

// demoProblemPoint is a point of the village near its middle, where its
// hamlets are.
func demoProblemPoint(rng *rand.Rand, srv *api.Server, village string) cunjie.Location {
	vs := srv.Villages()
	v, _ := vs.Get(village)
	b := v.Shape.Bound()
	c := b.Center()
	for range 50 {
		p := orb.Point{c[0] + (rng.Float64()-0.5)*(b.Max[0]-b.Min[0])*0.6, c[1] + (rng.Float64()-0.5)*(b.Max[1]-b.Min[1])*0.6}
		if code, ok := vs.Locate(p); ok && code == village {
			return cunjie.Location{Lon: math.Round(p[0]*1e7) / 1e7, Lat: math.Round(p[1]*1e7) / 1e7, Accuracy: float64(3 + rng.IntN(8))}
		}
	}
	return cunjie.Location{Lon: c[0], Lat: c[1], Accuracy: 10}
}

// demoRectify takes a problem as far through the loop as the demo's
// present allows: problems of closed months are fixed and verified (one in
// six refused once first), those of the month before are fixed and half of
// them verified, the latest stay open.
func demoRectify(ctx context.Context, srv *api.Server, rng *rand.Rand, id string, found time.Time, month string, now time.Time,
	fixer, inspector *cunjie.User, photos []string) error {
	last := cunjie.AddMonths(demoFirstMonth, demoMonths-1)
	if month == last {
		return nil
	}
	rounds := 1
	if month <= demoLastClosed && rng.IntN(6) == 0 {
		rounds = 2
	}
	verifyLast := month <= demoLastClosed || rng.IntN(2) == 0
	at := found
	for round := 1; round <= rounds; round++ {
		at = at.Add(time.Duration(24+rng.IntN(96)) * time.Hour)
		if at.After(now) {
			return nil
		}
		op := fmt.Sprintf("op-rect-%s-%d", id, round)
		res, _, err := srv.RectifyProblem(ctx, fixer, id, &api.RectifyWrite{OpID: op, Note: "已清理整改", Photos: []string{photos[rng.IntN(len(photos))]}, At: at})
		if err != nil {
			return fmt.Errorf("demo rectification %s: %s %w", op, res, err)
		}
		if round == rounds && !verifyLast {
			return nil
		}
		at = at.Add(time.Duration(12+rng.IntN(48)) * time.Hour)
		if at.After(now) {
			return nil
		}
		accept := round == rounds
		note := "整改到位"
		if !accept {
			note = "整改不彻底，请继续整改"
		}
		op = fmt.Sprintf("op-verify-%s-%d", id, round)
		res, _, err = srv.VerifyProblem(ctx, inspector, id, &api.VerifyWrite{OpID: op, Accept: &accept, Note: note, At: at})
		if err != nil {
			return fmt.Errorf("demo verification %s: %s %w", op, res, err)
		}
	}
	return nil
}

// demoProblemPhotos stores a village's photos of problems (before) and of
// their rectification (after): small generated pictures, so the demo's
// problem pages show images rather than broken links.
func demoProblemPhotos(ctx context.Context, srv *api.Server, u *cunjie.User, village string, rng *rand.Rand) (before, after []string, err error) {
	for i := range 1 {
		id := fmt.Sprintf("demo-photo-%s-before-%d", village, i+1)
		if _, _, err := srv.StorePhoto(ctx, u, id, demoJPEG(rng, true)); err != nil {
			return nil, nil, fmt.Errorf("demo photo %s: %w", id, err)
		}
		before = append(before, id)
	}
	for i := range 1 {
		id := fmt.Sprintf("demo-photo-%s-after-%d", village, i+1)
		if _, _, err := srv.StorePhoto(ctx, u, id, demoJPEG(rng, false)); err != nil {
			return nil, nil, fmt.Errorf("demo photo %s: %w", id, err)
		}
		after = append(after, id)
	}
	return before, after, nil
}

// demoJPEG draws a 240×180 ground: litter scattered on bare earth before,
// clean grass after. The same rng draws the same picture, so a reload finds
// the same bytes under each id.
func demoJPEG(rng *rand.Rand, litter bool) []byte {
	const width, height = 240, 180
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	ground := color.RGBA{96, 140, 70, 255}
	if litter {
		ground = color.RGBA{150, 120, 90, 255}
	}
	for y := range height {
		shade := uint8(y / 6)
		for x := range width {
			img.Set(x, y, color.RGBA{ground.R - shade, ground.G - shade, ground.B - shade/2, 255})
		}
	}
	if litter {
		palette := []color.RGBA{{230, 230, 235, 255}, {200, 40, 40, 255}, {40, 90, 200, 255}, {30, 30, 30, 255}}
		for range 30 {
			x, y, w, h := rng.IntN(width-10), rng.IntN(height-10), 4+rng.IntN(12), 3+rng.IntN(8)
			c := palette[rng.IntN(len(palette))]
			for yy := y; yy < min(height, y+h); yy++ {
				for xx := x; xx < min(width, x+w); xx++ {
					img.Set(xx, yy, c)
				}
			}
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70})
	return buf.Bytes()
}
