package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

func TestTemplateVersions(t *testing.T) {
	s, ctx := MustOpenStore(t), context.Background()
	v1 := &cunjie.Template{ID: "default", Version: 1, Name: "考评表", Items: []cunjie.TemplateItem{{ID: "a", Description: "道路", MaxPoints: 100}}}
	if err := s.CreateTemplate(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTemplate(ctx, v1); cunjie.ErrorCode(err) != cunjie.ECONFLICT {
		t.Fatalf("create twice: %v", err)
	}
	v2 := &cunjie.Template{ID: "default", Version: 2, Name: "考评表", Items: []cunjie.TemplateItem{
		{ID: "a", Description: "道路", MaxPoints: 60}, {ID: "b", Description: "垃圾桶", MaxPoints: 40}}}
	if err := s.UpdateTemplate(ctx, v2, 1); err != nil {
		t.Fatal(err)
	}
	stale := *v2
	stale.Name = "别人改的"
	if err := s.UpdateTemplate(ctx, &stale, 1); cunjie.ErrorCode(err) != cunjie.ECONFLICT {
		t.Fatalf("update on a stale version: %v", err)
	}
	old, err := s.Template(ctx, "default", 1)
	if err != nil || len(old.Items) != 1 || old.Total != 100 {
		t.Fatalf("version 1: %+v %v", old, err)
	}
	latest, err := s.Template(ctx, "default", 0)
	if err != nil || latest.Version != 2 || len(latest.Items) != 2 || latest.Total != 100 {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	if _, err := s.Template(ctx, "default", 3); cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		t.Errorf("version 3: %v", err)
	}
	all, err := s.Templates(ctx)
	if err != nil || len(all) != 1 || all[0].Version != 2 {
		t.Errorf("list: %+v %v", all, err)
	}
}

func TestInspectionVillageMonthCAS(t *testing.T) {
	s, ctx := MustOpenStore(t), context.Background()
	const village, month = "360803101201", "2026-10"
	// Writers racing on one village's month all land: each retries on a
	// moved version instead of overwriting the others.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.UpdateVillageMonth(ctx, village, month, func(vm *store.VillageMonth) error {
				vm.Inspections = append(vm.Inspections, &cunjie.Inspection{ID: fmt.Sprintf("i%d", i), Total: float64(80 + i),
					Scores: []cunjie.Score{{Item: "a", Points: float64(80 + i)}}, Version: 1, At: time.Now().UTC().Truncate(time.Millisecond)})
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	vm, err := s.VillageMonth(ctx, village, month)
	if err != nil || len(vm.Inspections) != 8 || vm.Version != 8 {
		t.Fatalf("after 8 writers: %d inspections, version %d, %v", len(vm.Inspections), vm.Version, err)
	}
	in := vm.Inspection("i3")
	if in == nil || in.Total != 83 || in.Village != village || in.Month != month || in.Scores[0].Points != 83 {
		t.Fatalf("inspection i3: %+v", in)
	}
	// An error from the change stores nothing.
	refuse := errors.New("refused")
	if _, err := s.UpdateVillageMonth(ctx, village, month, func(vm *store.VillageMonth) error {
		vm.Closed = true
		return refuse
	}); err != refuse {
		t.Fatalf("refused change: %v", err)
	}
	if vm, _ := s.VillageMonth(ctx, village, month); vm.Closed || vm.Version != 8 {
		t.Errorf("a refused change was stored: %+v", vm)
	}
	if vm, _ := s.VillageMonth(ctx, village, "2026-09"); vm.Version != 0 || len(vm.Inspections) != 0 {
		t.Errorf("an empty month: %+v", vm)
	}
	// The month's collections were made, indexed, before their first write.
	if left, err := s.UnindexedTables(ctx); err != nil || len(left) > 0 {
		t.Errorf("unindexed: %v %v", left, err)
	}
}

func TestProblemsAndEntries(t *testing.T) {
	s, ctx := MustOpenStore(t), context.Background()
	now := time.Date(2026, 10, 5, 1, 2, 3, 0, time.UTC)
	p := &cunjie.Problem{ID: "p1", Inspection: "i1", Village: "v1", Month: "2026-10", Description: "垃圾堆",
		Location: cunjie.Location{Lon: 114.9, Lat: 27.1, Accuracy: 4}, Photos: []string{"ph1"}, Deadline: "2026-10-12",
		Status: cunjie.ProblemOpen, Version: 1, CreatedAt: now, UpdatedAt: now, Ops: []string{"op1"},
		History: []cunjie.ProblemEvent{{Action: "created", By: "insp", At: now, Photos: []string{"ph1"}, Op: "op1"}}}
	existed, err := s.InsertProblems(ctx, []*cunjie.Problem{p})
	if err != nil || existed[0] {
		t.Fatal(existed, err)
	}
	if left, err := s.UnindexedTables(ctx); err != nil || len(left) > 0 {
		t.Errorf("a month's problems were written unindexed: %v %v", left, err)
	}
	if existed, _ := s.InsertProblems(ctx, []*cunjie.Problem{p}); !existed[0] {
		t.Error("a second insert of p1 is not reported")
	}
	// An id of another inspection refuses the whole write, and the ids it
	// claimed are free again.
	other := *p
	other.Inspection = "i2"
	fresh := other
	fresh.ID = "p9"
	if _, err := s.InsertProblems(ctx, []*cunjie.Problem{&fresh, &other}); cunjie.ErrorCode(err) != cunjie.ECONFLICT {
		t.Fatalf("a problem id of another inspection: %v", err)
	}
	if _, err := s.Problem(ctx, "p9"); cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		t.Errorf("p9 after a refused write: %v", err)
	}
	fresh.Inspection = "i3"
	if existed, err := s.InsertProblems(ctx, []*cunjie.Problem{&fresh}); err != nil || existed[0] {
		t.Errorf("p9 for another inspection: %v %v", existed, err)
	}
	got, err := s.Problem(ctx, "p1")
	if err != nil || got.Location != p.Location || got.History[0].Action != "created" || got.Status != cunjie.ProblemOpen {
		t.Fatalf("read back: %+v %v", got, err)
	}
	before, after, err := s.UpdateProblem(ctx, "p1", func(p *cunjie.Problem) error {
		p.Status, p.Version = cunjie.ProblemRectified, p.Version+1
		p.History = append(p.History, cunjie.ProblemEvent{Action: "rectified", By: "clean", At: now, Photos: []string{"after"}, Op: "op2"})
		return nil
	})
	if err != nil || before.Status != cunjie.ProblemOpen || after.Status != cunjie.ProblemRectified || len(before.History) != 1 {
		t.Fatalf("update: %+v %+v %v", before, after, err)
	}
	refuse := errors.New("refused")
	if _, _, err := s.UpdateProblem(ctx, "p1", func(p *cunjie.Problem) error { p.Status = cunjie.ProblemVerified; return refuse }); err != refuse {
		t.Fatalf("refused update: %v", err)
	}
	// Racing changes each land once: the history keeps all of them.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.UpdateProblem(ctx, "p1", func(p *cunjie.Problem) error {
				p.Version++
				p.History = append(p.History, cunjie.ProblemEvent{Action: "note", Op: fmt.Sprint(i)})
				return nil
			})
		}()
	}
	wg.Wait()
	if got, _ := s.Problem(ctx, "p1"); got.Status != cunjie.ProblemRectified || len(got.History) != 8 || got.Version != 8 {
		t.Fatalf("after racing changes: status %s, %d events, version %d", got.Status, len(got.History), got.Version)
	}

	e := store.ProblemEntry{ID: "p1", Inspection: "i1", Month: "2026-10", Status: cunjie.ProblemOpen, Deadline: "2026-10-12"}
	if err := s.PutProblemEntries(ctx, "v1", []store.ProblemEntry{e}, false); err != nil {
		t.Fatal(err)
	}
	e.Status = cunjie.ProblemRectified
	if err := s.PutProblemEntries(ctx, "v1", []store.ProblemEntry{e}, true); err != nil {
		t.Fatal(err)
	}
	// A replayed create lists its problems again without replace: the
	// later rectification stays.
	e.Status = cunjie.ProblemOpen
	if err := s.PutProblemEntries(ctx, "v1", []store.ProblemEntry{e, {ID: "p2", Month: "2026-10", Status: cunjie.ProblemOpen}}, false); err != nil {
		t.Fatal(err)
	}
	entries, err := s.VillageProblems(ctx, "v1")
	if err != nil || len(entries) != 2 || entries[0].Status != cunjie.ProblemRectified || entries[1].ID != "p2" {
		t.Fatalf("entries: %+v %v", entries, err)
	}
	if err := s.DeleteProblems(ctx, "another-inspection", []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Problem(ctx, "p1"); err != nil {
		t.Error("deleting for another inspection removed p1")
	}
	if err := s.DeleteProblems(ctx, "i1", []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Problem(ctx, "p1"); cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		t.Errorf("p1 after delete: %v", err)
	}
}

func TestMonthAndInspectionIDs(t *testing.T) {
	s, ctx := MustOpenStore(t), context.Background()
	ref := store.InspectionRef{ID: "i1", Village: "v1", Month: "2026-10", CreateOp: "op1"}
	if taken, err := s.ClaimInspectionID(ctx, ref); err != nil || taken != nil {
		t.Fatal(taken, err)
	}
	ref2 := ref
	ref2.CreateOp = "op2"
	taken, err := s.ClaimInspectionID(ctx, ref2)
	if err != nil || taken == nil || taken.CreateOp != "op1" || taken.Village != "v1" {
		t.Fatalf("claim twice: %+v %v", taken, err)
	}
	if err := s.ReleaseInspectionID(ctx, "i1", "op2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InspectionRef(ctx, "i1"); err != nil {
		t.Error("another op's release freed the id")
	}
	s.ReleaseInspectionID(ctx, "i1", "op1")
	if _, err := s.InspectionRef(ctx, "i1"); cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		t.Errorf("after release: %v", err)
	}

	m, err := s.AssessmentMonth(ctx, "2026-10")
	if err != nil || m.Closed {
		t.Fatalf("a month never closed: %+v %v", m, err)
	}
	score := 91.5
	at := time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC)
	m = &store.AssessmentMonth{Month: "2026-10", Closed: true, ClosedAt: at, ClosedBy: "admin",
		Ranking: []cunjie.VillageScore{{Rank: 1, Village: "v1", Name: "社上村", Score: &score, Inspections: 2}, {Village: "v2", Name: "温家村"}}}
	if err := s.PutAssessmentMonth(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.AssessmentMonth(ctx, "2026-10")
	if err != nil || !got.Closed || !got.ClosedAt.Equal(at) || len(got.Ranking) != 2 || *got.Ranking[0].Score != 91.5 || got.Ranking[1].Score != nil {
		t.Fatalf("read back: %+v %v", got, err)
	}
}
