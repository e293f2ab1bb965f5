package api

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
	"github.com/cunjie/cunjie/writes"
)

// The monthly sanitation assessment (月度考评): checklist templates, the
// inspections that score villages on them, the problems they find and the
// rectification loop (整改), and the month's ranking.

func (s *Server) assessmentRoutes() []route {
	return []route{
		{method: "GET", path: "/templates", summary: "Checklist templates, the latest version of each", tag: "assessment", handler: s.listTemplates},
		{method: "POST", path: "/templates", summary: "Create a checklist template; its items' maxPoints must add up to 100", tag: "assessment", roles: adminOnly, handler: s.createTemplate, body: "TemplateWrite", response: "Template"},
		{method: "GET", path: "/templates/:id", summary: "A template, the latest version or ?version=", tag: "assessment", handler: s.getTemplate, response: "Template"},
		{method: "PUT", path: "/templates/:id", summary: "Change a template (baseVersion = the version edited): makes a new version; past inspections keep theirs", tag: "assessment", roles: adminOnly, handler: s.updateTemplate, body: "TemplateWrite", response: "Template"},

		{method: "PUT", path: "/inspections/:id", summary: "Record (no baseVersion) or correct (baseVersion) a village's monthly inspection with its problems; idempotent by opId; 409 once the month is closed", tag: "assessment", roles: staffWriters, handler: s.putInspectionHandler, body: "InspectionWrite", response: "Inspection"},
		{method: "GET", path: "/inspections/:id", summary: "One inspection with its problems", tag: "assessment", handler: s.getInspection, response: "Inspection"},
		{method: "GET", path: "/inspections", summary: "A month's inspections (?month=YYYY-MM&village=)", tag: "assessment", handler: s.listInspections},

		{method: "GET", path: "/problems", summary: "Problems to rectify (?village=&status=open,rectified,verified&month=&overdue=true&limit=), by deadline", tag: "assessment", handler: s.listProblems},
		{method: "GET", path: "/problems/:id", summary: "One problem with its history", tag: "assessment", handler: s.getProblem, response: "Problem"},
		{method: "POST", path: "/problems/:id/rectify", summary: "Mark an open problem rectified, with at least one photo (the village's cleaner, or staff)", tag: "assessment", handler: s.rectifyProblem, body: "RectifyWrite", response: "Problem"},
		{method: "POST", path: "/problems/:id/verify", summary: "Accept a rectification (verified) or refuse it (open again, new deadline)", tag: "assessment", roles: staffWriters, handler: s.verifyProblem, body: "VerifyWrite", response: "Problem"},

		{method: "GET", path: "/assessments", summary: "Villages ranked by their month score (?month=YYYY-MM), with the change from last month and open and overdue problems", tag: "assessment", handler: s.getRanking, response: "Ranking"},
		{method: "GET", path: "/assessments/trend", summary: "Month scores for a trend chart (?months=12&to=YYYY-MM&village=)", tag: "assessment", handler: s.getTrend, response: "Trend"},
		{method: "POST", path: "/assessments/:month/close", summary: "Close a month: its inspections become read-only and its ranking final", tag: "assessment", roles: adminOnly, handler: s.closeMonthHandler, response: "Ranking"},
		{method: "GET", path: "/assessments/:month/export.xlsx", summary: "The month's assessment as a workbook: ranking, item scores per village, problems with photo links", tag: "assessment", roles: staffWriters, handler: s.exportAssessmentXLSX},
		{method: "GET", path: "/assessments/:month/export.csv", summary: "The month's ranking as CSV, UTF-8 with BOM", tag: "assessment", roles: staffWriters, handler: s.exportAssessmentCSV},

		{method: "GET", path: "/reports/summary", summary: "The town's report figures over ?from=&to= (YYYY-MM-DD), with a Chinese paragraph for the report", tag: "reports", roles: staffWriters, handler: s.getSummary, response: "Summary"},
		{method: "GET", path: "/reports/summary.xlsx", summary: "The report figures as a workbook", tag: "reports", roles: staffWriters, handler: s.getSummaryXLSX},
		{method: "GET", path: "/reports/summary.html", summary: "The report figures as a printable page", tag: "reports", roles: staffWriters, handler: s.getSummaryHTML},
	}
}

// writeAnswer answers a write: the object when applied (201 for a create)
// or a duplicate (marked by a header), the error otherwise.
func writeAnswer(c *fiber.Ctx, result string, body any, err error, created bool) error {
	if err != nil {
		return err
	}
	if result == writes.Duplicate {
		c.Set("X-Cunjie-Result", writes.Duplicate)
	} else if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(body)
}

// conflictWith is a conflict answer carrying the server's copy.
func conflictWith(current any, format string, args ...any) error {
	e := cunjie.Errorf(cunjie.ECONFLICT, format, args...)
	e.Current = current
	return e
}

// withCurrent returns a conflict error that carries the server's copy.
func withCurrent(err error, current any) error {
	var e *cunjie.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Current = current
	return &c
}

// nowMs is the server's clock at the precision the store keeps.
func (s *Server) nowMs() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// keepOps appends op to a write's recent op ids.
func keepOps(ops []string, op string) []string { return writes.KeepLast(ops, op, cunjie.RecentOps) }

// ---- Templates

// TemplateWrite is the body of POST /templates and PUT /templates/{id}.
type TemplateWrite struct {
	ID    string                `json:"id"` // POST: optional, made up when empty
	Name  string                `json:"name"`
	Items []cunjie.TemplateItem `json:"items"`
	// BaseVersion is the version a PUT edits: a stale one answers 409.
	BaseVersion int64 `json:"baseVersion"`
}

func (s *Server) listTemplates(c *fiber.Ctx) error {
	ts, err := s.store.Templates(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"templates": ts})
}

func (s *Server) getTemplate(c *fiber.Ctx) error {
	version, err := strconv.ParseInt(c.Query("version", "0"), 10, 64)
	if err != nil || version < 0 {
		return cunjie.Invalid("version", "a version number")
	}
	t, err := s.Template(c.UserContext(), c.Params("id"), version)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// Template returns a version of a template, the latest for version 0.
func (s *Server) Template(ctx context.Context, id string, version int64) (*cunjie.Template, error) {
	if !cunjie.ValidID(id) {
		return nil, cunjie.Errorf(cunjie.ENOTFOUND, "template %q not found", id)
	}
	return s.store.Template(ctx, id, version)
}

func (s *Server) createTemplate(c *fiber.Ctx) error {
	var w TemplateWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	if w.ID == "" {
		w.ID = store.NewID()
	}
	t, err := s.CreateTemplate(c.UserContext(), currentUser(c), &cunjie.Template{ID: w.ID, Name: w.Name, Items: w.Items})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

// CreateTemplate stores version 1 of a new template made by u.
func (s *Server) CreateTemplate(ctx context.Context, u *cunjie.User, t *cunjie.Template) (*cunjie.Template, error) {
	t.Version, t.CreatedBy, t.CreatedAt = 1, u.Username, s.nowMs()
	if err := cunjie.ValidateTemplate(t); err != nil {
		return nil, err
	}
	if err := s.store.CreateTemplate(ctx, t); err != nil {
		if cunjie.ErrorCode(err) == cunjie.ECONFLICT {
			cur, _ := s.store.Template(ctx, t.ID, 0)
			return nil, conflictWith(cur, "template %s exists; change it with PUT", t.ID)
		}
		return nil, err
	}
	return t, nil
}

func (s *Server) updateTemplate(c *fiber.Ctx) error {
	var w TemplateWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	id := c.Params("id")
	if w.ID != "" && w.ID != id {
		return cunjie.Invalid("id", "differs from the path")
	}
	t, err := s.UpdateTemplate(c.UserContext(), currentUser(c), &cunjie.Template{ID: id, Name: w.Name, Items: w.Items}, w.BaseVersion)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// UpdateTemplate makes t the next version of its template, if the latest
// is still baseVersion.
func (s *Server) UpdateTemplate(ctx context.Context, u *cunjie.User, t *cunjie.Template, baseVersion int64) (*cunjie.Template, error) {
	if baseVersion < 1 {
		return nil, cunjie.Invalid("baseVersion", "required: the version you changed")
	}
	t.Version, t.CreatedBy, t.CreatedAt = baseVersion+1, u.Username, s.nowMs()
	if err := cunjie.ValidateTemplate(t); err != nil {
		return nil, err
	}
	if err := s.store.UpdateTemplate(ctx, t, baseVersion); err != nil {
		if cunjie.ErrorCode(err) == cunjie.ECONFLICT {
			cur, _ := s.store.Template(ctx, t.ID, 0)
			return nil, conflictWith(cur, "%s", cunjie.ErrorMessage(err))
		}
		return nil, err
	}
	return t, nil
}

// ---- Inspections

// InspectionWrite is the body of PUT /inspections/{id} and of a sync
// putInspection op.
type InspectionWrite struct {
	OpID            string         `json:"opId"`
	Village         string         `json:"village"`
	Month           string         `json:"month"`
	Template        string         `json:"template"`
	TemplateVersion int64          `json:"templateVersion"`
	Scores          []ScoreWrite   `json:"scores"`
	Problems        []ProblemWrite `json:"problems"`
	At              time.Time      `json:"at"`
	// BaseVersion is the version a correction edits; 0 records a new inspection.
	BaseVersion int64 `json:"baseVersion"`
}

// ScoreWrite is one item's points; Points is a pointer so that a missing
// score is told from a zero.
type ScoreWrite struct {
	Item   string   `json:"item"`
	Points *float64 `json:"points"`
	Note   string   `json:"note"`
}

// ProblemWrite is a problem an inspection found.
type ProblemWrite struct {
	ID          string           `json:"id"`
	Location    *cunjie.Location `json:"location"`
	Description string           `json:"description"`
	Photos      []string         `json:"photos"`
	Deadline    string           `json:"deadline"` // YYYY-MM-DD; 7 days after the visit when empty
}

// InspectionView is an inspection with its problems as they stand now.
type InspectionView struct {
	*cunjie.Inspection
	Problems []*cunjie.Problem `json:"problems"`
}

func (s *Server) putInspectionHandler(c *fiber.Ctx) error {
	var w InspectionWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	result, body, err := s.putInspection(c.UserContext(), currentUser(c), c.Params("id"), &w)
	return writeAnswer(c, result, body, err, w.BaseVersion == 0)
}

// PutInspection records an inspection as putInspection does (the demo
// loader uses it).
func (s *Server) PutInspection(ctx context.Context, u *cunjie.User, id string, w *InspectionWrite) (string, any, error) {
	return s.putInspection(ctx, u, id, w)
}

// putInspection creates or corrects an inspection. It answers the result
// (applied, duplicate, conflict, rejected), the inspection (the server's
// copy on a conflict, nil when rejected) and the error for a conflict or
// rejection. Sync ops and PUT /inspections/{id} both go through it.
func (s *Server) putInspection(ctx context.Context, u *cunjie.User, id string, w *InspectionWrite) (result string, body any, err error) {
	result, view, err := s.writeInspection(ctx, u, id, w)
	if view == nil {
		return result, nil, err // a nil *InspectionView in an any would not be nil
	}
	return result, view, err
}

func (s *Server) writeInspection(ctx context.Context, u *cunjie.User, id string, w *InspectionWrite) (string, *InspectionView, error) {
	if !u.IsStaff() {
		return writes.Rejected, nil, cunjie.Errorf(cunjie.EFORBIDDEN, "only inspectors and admins record inspections")
	}
	fe := cunjie.FieldErrors{}
	if !cunjie.ValidID(id) {
		fe.Add("id", "1–64 letters, digits, '-' or '_'")
	}
	if !cunjie.ValidID(w.OpID) {
		fe.Add("opId", "required: 1–64 letters, digits, '-' or '_'")
	}
	if w.BaseVersion < 0 {
		fe.Add("baseVersion", "must not be negative")
	}
	if err := fe.Err(); err != nil {
		return writes.Rejected, nil, err
	}
	ref, err := s.store.InspectionRef(ctx, id)
	switch {
	case err == nil:
		return s.changeInspection(ctx, u, ref, w)
	case cunjie.ErrorCode(err) != cunjie.ENOTFOUND:
		return writes.Rejected, nil, err
	case w.BaseVersion > 0:
		return writes.Rejected, nil, cunjie.Errorf(cunjie.ENOTFOUND, "inspection %s not found", id)
	}
	return s.createInspection(ctx, u, id, w)
}

// errMonthClosed refuses a write to a closed month.
func errMonthClosed(month string) *cunjie.Error {
	e := cunjie.Errorf(cunjie.ECONFLICT, "the assessment of %s is closed; its inspections are final", month)
	e.Fields = map[string]string{"month": "closed"}
	return e
}

// errAlreadyStored stops a create that finds its inspection stored by a
// replay running at the same time.
var errAlreadyStored = errors.New("inspection stored already")

func (s *Server) createInspection(ctx context.Context, u *cunjie.User, id string, w *InspectionWrite) (string, *InspectionView, error) {
	in, problems, err := s.buildInspection(ctx, u, id, w, nil)
	if err != nil {
		return outcomeOf(err), nil, err
	}
	taken, err := s.store.ClaimInspectionID(ctx, store.InspectionRef{ID: id, Village: in.Village, Month: in.Month, CreateOp: w.OpID})
	if err != nil {
		return writes.Rejected, nil, err
	}
	if taken != nil && taken.CreateOp != w.OpID {
		cur, _ := s.inspection(ctx, *taken)
		return writes.Conflict, cur, conflictWith(cur, "inspection %s exists (created by another op)", id)
	}
	// A taken id of this very op is a create that stopped half way: it is
	// finished now.
	fresh, err := s.insertProblems(ctx, problems)
	if err != nil {
		if taken == nil {
			s.store.ReleaseInspectionID(ctx, id, w.OpID)
		}
		return outcomeOf(err), nil, err
	}
	_, err = s.store.UpdateVillageMonth(ctx, in.Village, in.Month, func(vm *store.VillageMonth) error {
		if vm.Inspection(id) != nil {
			return errAlreadyStored
		}
		if vm.Closed {
			return errMonthClosed(in.Month)
		}
		vm.Inspections = append(vm.Inspections, in)
		return nil
	})
	if errors.Is(err, errAlreadyStored) {
		cur, err := s.inspection(ctx, store.InspectionRef{ID: id, Village: in.Village, Month: in.Month})
		return writes.Duplicate, cur, err
	}
	if err != nil {
		// Refused: take back what this write stored, so the id is free.
		if err := s.store.DeleteProblems(ctx, id, fresh); err != nil {
			s.log.Warn("problems of a refused inspection not removed", "inspection", id, "err", err)
		}
		if err := s.store.ReleaseInspectionID(ctx, id, w.OpID); err != nil {
			s.log.Warn("id of a refused inspection not released", "inspection", id, "err", err)
		}
		return outcomeOf(err), nil, err
	}
	s.afterInspection(ctx, in, problems)
	return writes.Applied, s.view(in, problems), nil
}

// changeInspection answers a write to an inspection id that is claimed:
// a replay, a create over an existing inspection, or a correction.
func (s *Server) changeInspection(ctx context.Context, u *cunjie.User, ref store.InspectionRef, w *InspectionWrite) (string, *InspectionView, error) {
	vm, err := s.store.VillageMonth(ctx, ref.Village, ref.Month)
	if err != nil {
		return writes.Rejected, nil, err
	}
	cur := vm.Inspection(ref.ID)
	if cur == nil {
		// Claimed but never stored: a create that stopped half way, which
		// only its own op may finish.
		if w.BaseVersion == 0 && ref.CreateOp == w.OpID {
			return s.createInspection(ctx, u, ref.ID, w)
		}
		return writes.Rejected, nil, cunjie.Errorf(cunjie.ENOTFOUND, "inspection %s not found", ref.ID)
	}
	if slices.Contains(cur.Ops, w.OpID) || (w.BaseVersion == 0 && ref.CreateOp == w.OpID) {
		// Finish what a write that stopped half way left undone.
		view, err := s.inspectionView(ctx, cur)
		if err == nil {
			s.afterInspection(ctx, cur, view.Problems)
		}
		return writes.Duplicate, view, err
	}
	view, err := s.inspectionView(ctx, cur)
	if err != nil {
		return writes.Rejected, nil, err
	}
	if w.BaseVersion == 0 {
		return writes.Conflict, view, conflictWith(view, "inspection %s exists (created by another op)", ref.ID)
	}
	if w.BaseVersion != cur.Version {
		return writes.Conflict, view, conflictWith(view, "inspection %s is at version %d, not %d", ref.ID, cur.Version, w.BaseVersion)
	}
	next, problems, err := s.buildInspection(ctx, u, ref.ID, w, cur)
	if err != nil {
		if cunjie.ErrorCode(err) == cunjie.ECONFLICT {
			return writes.Conflict, view, withCurrent(err, view)
		}
		return writes.Rejected, nil, err
	}
	fresh, err := s.insertProblems(ctx, problems)
	if err != nil {
		return outcomeOf(err), nil, err
	}
	_, err = s.store.UpdateVillageMonth(ctx, ref.Village, ref.Month, func(vm *store.VillageMonth) error {
		if vm.Closed {
			return errMonthClosed(ref.Month)
		}
		i := slices.IndexFunc(vm.Inspections, func(in *cunjie.Inspection) bool { return in.ID == ref.ID })
		if i < 0 || vm.Inspections[i].Version != cur.Version {
			return cunjie.Errorf(cunjie.ECONFLICT, "inspection %s was changed meanwhile", ref.ID)
		}
		vm.Inspections[i] = next
		return nil
	})
	if err != nil {
		if err := s.store.DeleteProblems(ctx, ref.ID, fresh); err != nil {
			s.log.Warn("problems of a refused correction not removed", "inspection", ref.ID, "err", err)
		}
		if cunjie.ErrorCode(err) == cunjie.ECONFLICT {
			if now, err2 := s.inspection(ctx, ref); err2 == nil {
				return writes.Conflict, now, withCurrent(err, now)
			}
		}
		return outcomeOf(err), nil, err
	}
	s.afterInspection(ctx, next, problems)
	view, err = s.inspectionView(ctx, next)
	if err != nil {
		return writes.Rejected, nil, err
	}
	return writes.Applied, view, nil
}

// outcomeOf names the result of a failed write.
func outcomeOf(err error) string {
	if cunjie.ErrorCode(err) == cunjie.ECONFLICT {
		return writes.Conflict
	}
	return writes.Rejected
}

// buildInspection makes the inspection a write asks for, with its new
// problems, and checks it: the village, the template version, the scores,
// and that the month is open. (That a problem id is not another
// inspection's is checked when the problems are stored.) cur is the stored
// inspection a correction changes (nil for a create): its village and
// month stay, and problems it has already keep their own state.
func (s *Server) buildInspection(ctx context.Context, u *cunjie.User, id string, w *InspectionWrite, cur *cunjie.Inspection) (*cunjie.Inspection, []*cunjie.Problem, error) {
	fe := cunjie.FieldErrors{}
	village, month := w.Village, w.Month
	if cur != nil {
		if village != "" && village != cur.Village {
			fe.Add("village", "cannot change; record a new inspection for the other village")
		}
		if month != "" && month != cur.Month {
			fe.Add("month", "cannot change; record a new inspection for the other month")
		}
		village, month = cur.Village, cur.Month
	}
	if _, ok := s.villages.Load().Get(village); !ok {
		fe.Add("village", "no village with code %q", village)
	}
	if !cunjie.ValidID(w.Template) {
		fe.Add("template", "required: the id of the checklist template")
	}
	if w.TemplateVersion < 1 {
		fe.Add("templateVersion", "required: the version of the template scored with")
	}
	now := s.nowMs()
	in := &cunjie.Inspection{ID: id, Village: village, Month: month, Template: w.Template, TemplateVersion: w.TemplateVersion,
		Scores: make([]cunjie.Score, len(w.Scores)), At: w.At.UTC().Truncate(time.Millisecond), Version: 1, Problems: []string{},
		CreatedBy: u.Username, CreatedAt: now, UpdatedBy: u.Username, UpdatedAt: now, Ops: []string{w.OpID}}
	if cur != nil {
		in.Version, in.CreatedBy, in.CreatedAt = cur.Version+1, cur.CreatedBy, cur.CreatedAt
		in.Problems, in.Ops = slices.Clone(cur.Problems), keepOps(cur.Ops, w.OpID)
	}
	for i, sw := range w.Scores {
		if sw.Points == nil {
			fe.Add("scores["+strconv.Itoa(i)+"].points", "required")
			continue
		}
		in.Scores[i] = cunjie.Score{Item: sw.Item, Points: *sw.Points, Note: sw.Note}
	}
	// Every problem listed is checked; those the inspection has already
	// are then left as they are stored.
	all := make([]*cunjie.Problem, len(w.Problems))
	for i, pw := range w.Problems {
		p := &cunjie.Problem{ID: pw.ID, Inspection: id, Village: village, Month: month, Description: pw.Description,
			Photos: nonNil(pw.Photos), Deadline: pw.Deadline, Status: cunjie.ProblemOpen, Version: 1,
			CreatedBy: u.Username, CreatedAt: now, UpdatedAt: now, Ops: []string{w.OpID}}
		if pw.Location == nil {
			fe.Add("problems["+strconv.Itoa(i)+"].location", "required: where the problem is")
		} else {
			p.Location = *pw.Location
		}
		all[i] = p
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	t, err := s.store.Template(ctx, w.Template, w.TemplateVersion)
	if cunjie.ErrorCode(err) == cunjie.ENOTFOUND {
		return nil, nil, cunjie.Invalid("templateVersion", "template %s has no version %d", w.Template, w.TemplateVersion)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := cunjie.ValidateInspection(in, t, all, now); err != nil {
		return nil, nil, err
	}
	var fresh []*cunjie.Problem
	for _, p := range all {
		if slices.Contains(in.Problems, p.ID) {
			continue
		}
		if p.Deadline == "" {
			p.Deadline = cunjie.DefaultDeadline(in.At)
		}
		p.History = []cunjie.ProblemEvent{{Action: "created", By: u.Username, At: in.At, Photos: p.Photos, Deadline: p.Deadline, Op: w.OpID}}
		in.Problems = append(in.Problems, p.ID)
		fresh = append(fresh, p)
	}
	if err := s.checkMonthOpen(ctx, month); err != nil {
		return nil, nil, err
	}
	return in, fresh, nil
}

// checkMonthOpen refuses a write to a closed month. The village's month
// document says so too (see CloseMonth); this covers villages that had no
// document when the month was closed.
func (s *Server) checkMonthOpen(ctx context.Context, month string) error {
	m, err := s.store.AssessmentMonth(ctx, month)
	if err != nil {
		return err
	}
	if m.Closed {
		return errMonthClosed(month)
	}
	return nil
}

// insertProblems stores new problems and returns the ids stored now (not
// those an earlier try of the same write stored).
func (s *Server) insertProblems(ctx context.Context, ps []*cunjie.Problem) ([]string, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	existed, err := s.store.InsertProblems(ctx, ps)
	if err != nil {
		return nil, err
	}
	var fresh []string
	for i, p := range ps {
		if !existed[i] {
			fresh = append(fresh, p.ID)
		}
	}
	return fresh, nil
}

// afterInspection lists the inspection's problems in their village and
// links their photos to it. Both are idempotent: a replay repeats them to
// finish a write that stopped half way.
func (s *Server) afterInspection(ctx context.Context, in *cunjie.Inspection, problems []*cunjie.Problem) {
	if len(problems) == 0 {
		return
	}
	entries := make([]store.ProblemEntry, len(problems))
	var photos []string
	for i, p := range problems {
		entries[i] = problemEntry(p)
		photos = append(photos, p.Photos...)
	}
	if err := s.store.PutProblemEntries(ctx, in.Village, entries, false); err != nil {
		s.log.Error("problems not listed in their village", "inspection", in.ID, "err", err)
	}
	s.linkPhotos(ctx, in.Village, photos)
}

func problemEntry(p *cunjie.Problem) store.ProblemEntry {
	e := store.ProblemEntry{ID: p.ID, Inspection: p.Inspection, Month: p.Month, Status: p.Status, Deadline: p.Deadline,
		Opened: cunjie.Day(p.CreatedAt)}
	for _, h := range p.History {
		if h.Action == "rectified" {
			e.Rectified = cunjie.Day(h.At)
		}
	}
	return e
}

// linkPhotos gives a village's photos to the village, so that its cleaner
// may see them; photos still on their way are linked when they arrive.
func (s *Server) linkPhotos(ctx context.Context, village string, ids []string) {
	if len(ids) == 0 {
		return
	}
	missing, err := s.store.LinkPhotos(ctx, village, ids)
	if err == nil && len(missing) > 0 {
		if err = s.store.AwaitPhotos(ctx, village, missing); err == nil {
			// One may have arrived between the two looks.
			_, err = s.store.LinkPhotos(ctx, village, missing)
		}
	}
	if err != nil {
		s.log.Warn("photos not linked to their village", "village", village, "err", err)
	}
}

// today is the town's day now, for overdue flags.
func (s *Server) today() string { return cunjie.Day(s.now()) }

// view is an inspection with the problems given, flagged overdue as of now.
func (s *Server) view(in *cunjie.Inspection, problems []*cunjie.Problem) *InspectionView {
	today := s.today()
	for _, p := range problems {
		p.Overdue = p.IsOverdue(today)
	}
	if problems == nil {
		problems = []*cunjie.Problem{}
	}
	return &InspectionView{Inspection: in, Problems: problems}
}

// inspectionView reads the inspection's problems as they stand now.
func (s *Server) inspectionView(ctx context.Context, in *cunjie.Inspection) (*InspectionView, error) {
	ps := make([]*cunjie.Problem, 0, len(in.Problems))
	for _, id := range in.Problems {
		p, err := s.store.Problem(ctx, id)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return s.view(in, ps), nil
}

// inspection reads a stored inspection with its problems.
func (s *Server) inspection(ctx context.Context, ref store.InspectionRef) (*InspectionView, error) {
	vm, err := s.store.VillageMonth(ctx, ref.Village, ref.Month)
	if err != nil {
		return nil, err
	}
	in := vm.Inspection(ref.ID)
	if in == nil {
		return nil, cunjie.Errorf(cunjie.ENOTFOUND, "inspection %s not found", ref.ID)
	}
	return s.inspectionView(ctx, in)
}

func (s *Server) getInspection(c *fiber.Ctx) error {
	id := c.Params("id")
	notFound := cunjie.Errorf(cunjie.ENOTFOUND, "inspection %s not found", id)
	if !cunjie.ValidID(id) {
		return notFound
	}
	ref, err := s.store.InspectionRef(c.UserContext(), id)
	if err != nil {
		return err
	}
	if !currentUser(c).CanReadVillage(ref.Village) {
		return notFound
	}
	v, err := s.inspection(c.UserContext(), ref)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// monthQuery reads a month parameter; def is taken when it is empty ("" requires it).
func monthQuery(value, field, def string) (string, error) {
	if value == "" {
		value = def
	}
	if !cunjie.ValidMonth(value) {
		return "", cunjie.Invalid(field, "a month YYYY-MM is required")
	}
	return value, nil
}

// queryVillages is the village a request names, or every village the
// caller may read.
func (s *Server) queryVillages(c *fiber.Ctx) ([]string, error) {
	if code := c.Query("village"); code != "" {
		if _, err := s.village(c, code); err != nil {
			return nil, err
		}
		return []string{code}, nil
	}
	return s.readableVillages(currentUser(c)), nil
}

func (s *Server) listInspections(c *fiber.Ctx) error {
	month, err := monthQuery(c.Query("month"), "month", "")
	if err != nil {
		return err
	}
	codes, err := s.queryVillages(c)
	if err != nil {
		return err
	}
	out := []*InspectionView{}
	for _, code := range codes {
		vm, err := s.store.VillageMonth(c.UserContext(), code, month)
		if err != nil {
			return err
		}
		for _, in := range vm.Inspections {
			v, err := s.inspectionView(c.UserContext(), in)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
	}
	return c.JSON(fiber.Map{"month": month, "inspections": out})
}

// ---- Problems and the rectification loop

// RectifyWrite is the body of POST /problems/{id}/rectify.
type RectifyWrite struct {
	OpID   string    `json:"opId"`
	Note   string    `json:"note"`
	Photos []string  `json:"photos"` // at least one, of the fixed place
	At     time.Time `json:"at"`     // when it was fixed; now when left out
}

// VerifyWrite is the body of POST /problems/{id}/verify.
type VerifyWrite struct {
	OpID   string    `json:"opId"`
	Accept *bool     `json:"accept"`
	Note   string    `json:"note"`
	At     time.Time `json:"at"`
	// Deadline is the new last day of a refused rectification; 7 days on when empty.
	Deadline string `json:"deadline"`
}

func (s *Server) getProblem(c *fiber.Ctx) error {
	p, err := s.findProblem(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	p.Overdue = p.IsOverdue(s.today())
	return c.JSON(p)
}

// findProblem reads a problem the caller may see; one of a village they
// may not see is answered as not found, so ids cannot be probed.
func (s *Server) findProblem(ctx context.Context, u *cunjie.User, id string) (*cunjie.Problem, error) {
	notFound := cunjie.Errorf(cunjie.ENOTFOUND, "problem %s not found", id)
	if !cunjie.ValidID(id) {
		return nil, notFound
	}
	p, err := s.store.Problem(ctx, id)
	if cunjie.ErrorCode(err) == cunjie.ENOTFOUND || (err == nil && !u.CanReadVillage(p.Village)) {
		return nil, notFound
	}
	return p, err
}

func (s *Server) rectifyProblem(c *fiber.Ctx) error {
	var w RectifyWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	result, p, err := s.RectifyProblem(c.UserContext(), currentUser(c), c.Params("id"), &w)
	return writeAnswer(c, result, p, err, false)
}

// RectifyProblem marks an open problem rectified: the village's cleaner, or
// staff, with a photo of the fixed place.
func (s *Server) RectifyProblem(ctx context.Context, u *cunjie.User, id string, w *RectifyWrite) (string, *cunjie.Problem, error) {
	return s.changeProblem(ctx, u, id, w.OpID, func(p *cunjie.Problem, now time.Time) error {
		at := w.At
		if at.IsZero() {
			at = now
		}
		return p.Rectify(u.Username, at.UTC().Truncate(time.Millisecond), now, w.Note, nonNil(w.Photos), w.OpID)
	})
}

func (s *Server) verifyProblem(c *fiber.Ctx) error {
	var w VerifyWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	result, p, err := s.VerifyProblem(c.UserContext(), currentUser(c), c.Params("id"), &w)
	return writeAnswer(c, result, p, err, false)
}

// VerifyProblem accepts a rectification (verified) or refuses it (open
// again with a new deadline); inspectors and admins only.
func (s *Server) VerifyProblem(ctx context.Context, u *cunjie.User, id string, w *VerifyWrite) (string, *cunjie.Problem, error) {
	if !u.IsStaff() {
		return writes.Rejected, nil, cunjie.Errorf(cunjie.EFORBIDDEN, "only inspectors and admins verify rectifications")
	}
	if w.Accept == nil {
		return writes.Rejected, nil, cunjie.Invalid("accept", "required: true to accept the rectification, false to reopen the problem")
	}
	return s.changeProblem(ctx, u, id, w.OpID, func(p *cunjie.Problem, now time.Time) error {
		at := w.At
		if at.IsZero() {
			at = now
		}
		return p.Verify(u.Username, at.UTC().Truncate(time.Millisecond), now, *w.Accept, w.Note, w.Deadline, w.OpID)
	})
}

// errReplayed stops a step whose op was applied already.
var errReplayed = errors.New("op applied already")

// changeProblem applies one step of the rectification loop to a stored
// problem: a replayed op answers duplicate, a step from the wrong state a
// conflict with the server's copy. A problem in a village the caller may
// not touch is not found.
func (s *Server) changeProblem(ctx context.Context, u *cunjie.User, id, op string, step func(p *cunjie.Problem, now time.Time) error) (string, *cunjie.Problem, error) {
	if !cunjie.ValidID(op) {
		return writes.Rejected, nil, cunjie.Invalid("opId", "required: 1–64 letters, digits, '-' or '_'")
	}
	notFound := cunjie.Errorf(cunjie.ENOTFOUND, "problem %s not found", id)
	if !cunjie.ValidID(id) {
		return writes.Rejected, nil, notFound
	}
	now := s.nowMs()
	before, after, err := s.store.UpdateProblem(ctx, id, func(p *cunjie.Problem) error {
		if !u.CanWriteVillage(p.Village) {
			return notFound
		}
		if slices.Contains(p.Ops, op) {
			return errReplayed
		}
		if err := step(p, now); err != nil {
			return err
		}
		p.Version, p.UpdatedAt, p.Ops = p.Version+1, now, keepOps(p.Ops, op)
		return nil
	})
	today := s.today()
	switch {
	case errors.Is(err, errReplayed):
		// The village's list may lag if the first try stopped half way.
		if err := s.store.PutProblemEntries(ctx, before.Village, []store.ProblemEntry{problemEntry(before)}, true); err != nil {
			s.log.Warn("problem entry not repaired", "problem", id, "err", err)
		}
		before.Overdue = before.IsOverdue(today)
		return writes.Duplicate, before, nil
	case cunjie.ErrorCode(err) == cunjie.ECONFLICT && before != nil:
		before.Overdue = before.IsOverdue(today)
		return writes.Conflict, before, withCurrent(err, before)
	case err != nil:
		return writes.Rejected, nil, err
	}
	if err := s.store.PutProblemEntries(ctx, after.Village, []store.ProblemEntry{problemEntry(after)}, true); err != nil {
		s.log.Error("problem entry not updated", "problem", id, "err", err)
	}
	s.linkPhotos(ctx, after.Village, after.History[len(after.History)-1].Photos)
	after.Overdue = after.IsOverdue(today)
	return writes.Applied, after, nil
}

// MaxProblemsPage bounds one answer of GET /problems.
const MaxProblemsPage = 2000

func (s *Server) listProblems(c *fiber.Ctx) error {
	codes, err := s.queryVillages(c)
	if err != nil {
		return err
	}
	var statuses []cunjie.ProblemStatus
	for _, st := range splitList(c.Query("status")) {
		if !cunjie.ValidProblemStatus(cunjie.ProblemStatus(st)) {
			return cunjie.Invalid("status", "open, rectified or verified (a comma list)")
		}
		statuses = append(statuses, cunjie.ProblemStatus(st))
	}
	month := c.Query("month")
	if month != "" && !cunjie.ValidMonth(month) {
		return cunjie.Invalid("month", "a month YYYY-MM")
	}
	overdueOnly := c.Query("overdue") == "true"
	limit, err := intQuery(c, "limit", 500, 1, MaxProblemsPage)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	today := s.today()
	keep := func(st cunjie.ProblemStatus) bool { return len(statuses) == 0 || slices.Contains(statuses, st) }
	out := []*cunjie.Problem{}
	for _, code := range codes {
		entries, err := s.store.VillageProblems(ctx, code)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if (month != "" && e.Month != month) || !keep(e.Status) {
				continue
			}
			p, err := s.store.Problem(ctx, e.ID)
			if err != nil {
				return err
			}
			// The problem itself is the truth; its entry may lag.
			p.Overdue = p.IsOverdue(today)
			if keep(p.Status) && (!overdueOnly || p.Overdue) {
				out = append(out, p)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Deadline != out[j].Deadline {
			return out[i].Deadline < out[j].Deadline
		}
		return out[i].ID < out[j].ID
	})
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return c.JSON(fiber.Map{"problems": out, "more": more})
}

// ---- Scores and ranking

// Ranking is a month's villages ranked by score.
type Ranking struct {
	Month    string     `json:"month"`
	Closed   bool       `json:"closed"`
	ClosedAt *time.Time `json:"closedAt,omitempty"`
	ClosedBy string     `json:"closedBy,omitempty"`
	// Average is the mean of the villages' scores; null with none.
	Average  *float64              `json:"average"`
	Villages []cunjie.VillageScore `json:"villages"`
}

// monthScore is a village's score of a month and how many inspections made it.
type monthScore struct {
	score       float64
	inspections int
}

// monthScores returns the scores of a month's inspected villages: from the
// final ranking of a closed month, else from the inspections.
func (s *Server) monthScores(ctx context.Context, month string) (map[string]monthScore, error) {
	m, err := s.store.AssessmentMonth(ctx, month)
	if err != nil {
		return nil, err
	}
	out := map[string]monthScore{}
	if m.Closed {
		for _, r := range m.Ranking {
			if r.Score != nil {
				out[r.Village] = monthScore{*r.Score, r.Inspections}
			}
		}
		return out, nil
	}
	vms, err := s.store.VillageMonths(ctx, month)
	if err != nil {
		return nil, err
	}
	for _, v := range s.villages.Load().All() {
		vm, ok := vms[v.Code]
		if !ok {
			continue
		}
		totals := make([]float64, len(vm.Inspections))
		for i, in := range vm.Inspections {
			totals[i] = in.Total
		}
		if score, ok := cunjie.MonthScore(totals); ok {
			out[v.Code] = monthScore{score, len(totals)}
		}
	}
	return out, nil
}

// liveRanking ranks every village by its month score from the inspections,
// compared with the month before.
func (s *Server) liveRanking(ctx context.Context, month string) ([]cunjie.VillageScore, error) {
	cur, err := s.monthScores(ctx, month)
	if err != nil {
		return nil, err
	}
	prev, err := s.monthScores(ctx, cunjie.AddMonths(month, -1))
	if err != nil {
		return nil, err
	}
	var rows []cunjie.VillageScore
	for _, v := range s.villages.Load().All() {
		r := cunjie.VillageScore{Village: v.Code, Name: v.Name}
		if ms, ok := cur[v.Code]; ok {
			r.Score, r.Inspections = &ms.score, ms.inspections
		}
		if ms, ok := prev[v.Code]; ok {
			r.PreviousScore = &ms.score
		}
		rows = append(rows, r)
	}
	cunjie.RankVillages(rows)
	return rows, nil
}

// ranking is a month's ranking as u may see it: the final one of a closed
// month or the live one, with the problem counts as they are now. The rank
// is among all villages; a cleaner sees the rows of their villages.
func (s *Server) ranking(ctx context.Context, u *cunjie.User, month string) (*Ranking, error) {
	return s.rankingFrom(ctx, u, month, func(village string) ([]store.ProblemEntry, error) {
		return s.store.VillageProblems(ctx, village)
	})
}

// rankingFrom is ranking with each village's problem list read by
// problems (the overview reads each list once for two uses).
func (s *Server) rankingFrom(ctx context.Context, u *cunjie.User, month string, problems func(village string) ([]store.ProblemEntry, error)) (*Ranking, error) {
	m, err := s.store.AssessmentMonth(ctx, month)
	if err != nil {
		return nil, err
	}
	out := &Ranking{Month: month, Closed: m.Closed, ClosedBy: m.ClosedBy, Villages: []cunjie.VillageScore{}}
	rows := slices.Clone(m.Ranking)
	if m.Closed {
		at := m.ClosedAt
		out.ClosedAt = &at
	} else if rows, err = s.liveRanking(ctx, month); err != nil {
		return nil, err
	}
	today := s.today()
	var scores []float64
	for _, r := range rows {
		if r.Score != nil {
			scores = append(scores, *r.Score)
		}
		if !u.CanReadVillage(r.Village) {
			continue
		}
		entries, err := problems(r.Village)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Month != month {
				continue
			}
			switch e.Status {
			case cunjie.ProblemOpen:
				r.OpenProblems++
				if e.Deadline != "" && today > e.Deadline {
					r.OverdueProblems++
				}
			case cunjie.ProblemRectified:
				r.RectifiedProblems++
			}
		}
		out.Villages = append(out.Villages, r)
	}
	if avg, ok := cunjie.MonthScore(scores); ok {
		out.Average = &avg
	}
	return out, nil
}

// Ranking returns a month's ranking as u may see it.
func (s *Server) Ranking(ctx context.Context, u *cunjie.User, month string) (*Ranking, error) {
	if !cunjie.ValidMonth(month) {
		return nil, cunjie.Invalid("month", "a month YYYY-MM")
	}
	return s.ranking(ctx, u, month)
}

func (s *Server) getRanking(c *fiber.Ctx) error {
	month, err := monthQuery(c.Query("month"), "month", cunjie.MonthOf(s.now()))
	if err != nil {
		return err
	}
	r, err := s.ranking(c.UserContext(), currentUser(c), month)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) closeMonthHandler(c *fiber.Ctx) error {
	result, r, err := s.CloseMonth(c.UserContext(), currentUser(c), c.Params("month"))
	return writeAnswer(c, result, r, err, false)
}

// errNoChange leaves a village's month as it is.
var errNoChange = errors.New("no change")

// CloseMonth makes a month's assessment final: every village's inspections
// of the month are marked closed (by compare-and-set, so a write racing
// with the close is either in the ranking or refused), then the ranking is
// computed and kept. Closing a closed month answers its ranking as a
// duplicate.
func (s *Server) CloseMonth(ctx context.Context, u *cunjie.User, month string) (string, *Ranking, error) {
	if !cunjie.ValidMonth(month) {
		return writes.Rejected, nil, cunjie.Invalid("month", "a month YYYY-MM")
	}
	if month > cunjie.MonthOf(s.now()) {
		return writes.Rejected, nil, cunjie.Invalid("month", "a month yet to come cannot be closed")
	}
	m, err := s.store.AssessmentMonth(ctx, month)
	if err != nil {
		return writes.Rejected, nil, err
	}
	result := writes.Duplicate
	if !m.Closed {
		for _, v := range s.villages.Load().All() {
			_, err := s.store.UpdateVillageMonth(ctx, v.Code, month, func(vm *store.VillageMonth) error {
				if vm.Closed {
					return errNoChange
				}
				vm.Closed = true
				return nil
			})
			if err != nil && !errors.Is(err, errNoChange) {
				return writes.Rejected, nil, err
			}
		}
		rows, err := s.liveRanking(ctx, month)
		if err != nil {
			return writes.Rejected, nil, err
		}
		m = &store.AssessmentMonth{Month: month, Closed: true, ClosedAt: s.nowMs(), ClosedBy: u.Username, Ranking: rows}
		if err := s.store.PutAssessmentMonth(ctx, m); err != nil {
			return writes.Rejected, nil, err
		}
		result = writes.Applied
	}
	r, err := s.ranking(ctx, u, month)
	if err != nil {
		return writes.Rejected, nil, err
	}
	return result, r, nil
}

// Trend is month scores for a chart, oldest month first.
type Trend struct {
	Months []string `json:"months"`
	// Average is the town's mean of village scores each month.
	Average  []*float64    `json:"average"`
	Villages []TrendSeries `json:"villages"`
}

// TrendSeries is one village's scores, null for months it was not inspected.
type TrendSeries struct {
	Village     string     `json:"village"`
	Name        string     `json:"name"`
	Scores      []*float64 `json:"scores"`
	Inspections []int      `json:"inspections"`
}

// MaxTrendMonths bounds a trend: each month is a read per village.
const MaxTrendMonths = 36

func (s *Server) getTrend(c *fiber.Ctx) error {
	n, err := intQuery(c, "months", 12, 1, MaxTrendMonths)
	if err != nil {
		return err
	}
	to, err := monthQuery(c.Query("to"), "to", cunjie.MonthOf(s.now()))
	if err != nil {
		return err
	}
	codes, err := s.queryVillages(c)
	if err != nil {
		return err
	}
	t := &Trend{Months: []string{}, Average: []*float64{}, Villages: []TrendSeries{}}
	for _, code := range codes {
		v, _ := s.villages.Load().Get(code)
		t.Villages = append(t.Villages, TrendSeries{Village: code, Name: v.Name, Scores: []*float64{}, Inspections: []int{}})
	}
	for i := n - 1; i >= 0; i-- {
		month := cunjie.AddMonths(to, -i)
		scores, err := s.monthScores(c.UserContext(), month)
		if err != nil {
			return err
		}
		t.Months = append(t.Months, month)
		var all []float64
		for _, v := range s.villages.Load().All() {
			if ms, ok := scores[v.Code]; ok {
				all = append(all, ms.score)
			}
		}
		var avg *float64
		if a, ok := cunjie.MonthScore(all); ok {
			avg = &a
		}
		t.Average = append(t.Average, avg)
		for j := range t.Villages {
			sv := &t.Villages[j]
			var score *float64
			ms, ok := scores[sv.Village]
			if ok {
				score = &ms.score
			}
			sv.Scores = append(sv.Scores, score)
			sv.Inspections = append(sv.Inspections, ms.inspections)
		}
	}
	return c.JSON(t)
}
