package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/cunjie/cunjie"
)

// The monthly assessment is read and written by _id, in collections that
// stay small. On the embedded backend a lookup by _id reads the collection
// until it finds the document, and an update by _id reads all of it (its
// SQL does not match the _id index), so a collection's size is the cost of
// every write to it. The documents that change live in one collection per
// month, as features live in one per village:
//
//	village_months_YYYYMM {_id: village, closed, version, inspections: [...]}
//	problems_YYYYMM       {_id: problem id, ..., history: [...]}: found that month
//	problem_ids           {_id: problem id, village, month, inspection}: small, insert-only
//	inspection_ids        {_id: inspection id, village, month, op}: small, insert-only
//	village_problems      {_id: village, version, entries: [{id, month, status, deadline}]}
//	assessment_months     {_id: "YYYY-MM", closed, closedAt, closedBy, ranking: [...]}
//	template_heads        {_id: template id, version, current: the latest version}
//	templates             {_id: "<id>/v<version>"}: every version, never changed
//
// A village's inspections of a month live in one document, written by
// compare-and-set on its version: closing the month sets its closed flag
// the same way, so an inspection is either in the final ranking or refused.
const (
	colTemplateHeads   = "template_heads"
	colTemplates       = "templates"
	colInspectionIDs   = "inspection_ids"
	colProblemIDs      = "problem_ids"
	colAssessmentMonth = "assessment_months"
	colVillageProblems = "village_problems"
)

// villageMonthsCol and problemsCol name a month's collections ("2026-10"
// becomes "..._202610": names without a dash suit every backend).
func villageMonthsCol(month string) string {
	return "village_months_" + strings.ReplaceAll(month, "-", "")
}
func problemsCol(month string) string { return "problems_" + strings.ReplaceAll(month, "-", "") }

// casRetries bounds read-modify-write loops on a busy document.
const casRetries = 10

type templateItemDoc struct {
	ID          string `bson:"id"`
	Description string `bson:"description"`
	MaxPoints   int    `bson:"maxPoints"`
}

type templateDoc struct {
	ID        string            `bson:"_id"`
	Template  string            `bson:"template"`
	Version   int64             `bson:"version"`
	Name      string            `bson:"name"`
	Items     []templateItemDoc `bson:"items"`
	CreatedBy string            `bson:"createdBy"`
	CreatedAt time.Time         `bson:"createdAt"`
}

type templateHeadDoc struct {
	ID      string      `bson:"_id"`
	Version int64       `bson:"version"`
	Current templateDoc `bson:"current"`
}

func templateVersionID(id string, version int64) string { return fmt.Sprintf("%s/v%d", id, version) }

func templateToDoc(t *cunjie.Template) templateDoc {
	d := templateDoc{ID: templateVersionID(t.ID, t.Version), Template: t.ID, Version: t.Version, Name: t.Name,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt}
	for _, it := range t.Items {
		d.Items = append(d.Items, templateItemDoc{ID: it.ID, Description: it.Description, MaxPoints: it.MaxPoints})
	}
	return d
}

func (d *templateDoc) toDomain() *cunjie.Template {
	t := &cunjie.Template{ID: d.Template, Version: d.Version, Name: d.Name, Items: []cunjie.TemplateItem{},
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC()}
	for _, it := range d.Items {
		t.Items = append(t.Items, cunjie.TemplateItem{ID: it.ID, Description: it.Description, MaxPoints: it.MaxPoints})
		t.Total += it.MaxPoints
	}
	return t
}

// CreateTemplate stores version 1 of a new template. Returns ECONFLICT when
// the id is taken.
func (s *Store) CreateTemplate(ctx context.Context, t *cunjie.Template) error {
	d := templateToDoc(t)
	if _, err := s.db.Collection(colTemplateHeads).InsertOne(ctx, templateHeadDoc{ID: t.ID, Version: t.Version, Current: d}); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return cunjie.Errorf(cunjie.ECONFLICT, "template %s exists", t.ID)
		}
		return err
	}
	return s.putTemplateVersion(ctx, d)
}

// putTemplateVersion writes a version document; writing it again with the
// same content is harmless, which is what makes a crashed update repairable.
func (s *Store) putTemplateVersion(ctx context.Context, d templateDoc) error {
	_, err := s.db.Collection(colTemplates).ReplaceOne(ctx, bson.M{"_id": d.ID}, d, options.Replace().SetUpsert(true))
	return err
}

// UpdateTemplate makes t (whose Version is baseVersion+1) the template's
// latest version if the latest is still baseVersion. Returns ENOTFOUND, and
// ECONFLICT when another version was made meanwhile.
func (s *Store) UpdateTemplate(ctx context.Context, t *cunjie.Template, baseVersion int64) error {
	defer docLocks.lock(colTemplateHeads + "/" + t.ID)()
	var head templateHeadDoc
	if err := s.findVersioned(ctx, s.db.Collection(colTemplateHeads), t.ID, &head); err != nil {
		return notFound(err, "template")
	}
	if head.Version != baseVersion {
		return cunjie.Errorf(cunjie.ECONFLICT, "template %s is at version %d, not %d", t.ID, head.Version, baseVersion)
	}
	// The head is the commit point. Its version is archived first, so that
	// a crash after the head moved never loses a version inspections name.
	if err := s.putTemplateVersion(ctx, head.Current); err != nil {
		return err
	}
	d := templateToDoc(t)
	ok, err := s.replaceVersion(ctx, s.db.Collection(colTemplateHeads), t.ID, baseVersion, templateHeadDoc{ID: t.ID, Version: t.Version, Current: d})
	if err != nil {
		return err
	}
	if !ok {
		return cunjie.Errorf(cunjie.ECONFLICT, "template %s was changed meanwhile", t.ID)
	}
	return s.putTemplateVersion(ctx, d)
}

// Template returns a version of a template, the latest for version 0.
// Returns ENOTFOUND.
func (s *Store) Template(ctx context.Context, id string, version int64) (*cunjie.Template, error) {
	if version > 0 {
		var d templateDoc
		err := s.db.Collection(colTemplates).FindOne(ctx, bson.M{"_id": templateVersionID(id, version)}).Decode(&d)
		if err == nil {
			return d.toDomain(), nil
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return nil, err
		}
	}
	// The latest version is in the head even if its own document was not
	// written (a crash within an update).
	var head templateHeadDoc
	if err := s.findVersioned(ctx, s.db.Collection(colTemplateHeads), id, &head); err != nil {
		return nil, notFound(err, "template")
	}
	if version > 0 && head.Version != version {
		return nil, cunjie.Errorf(cunjie.ENOTFOUND, "template %s has no version %d", id, version)
	}
	return head.Current.toDomain(), nil
}

// Templates lists the latest version of every template, by id. A town has
// a handful, so the scan of the heads stays small.
func (s *Store) Templates(ctx context.Context) ([]*cunjie.Template, error) {
	docs, err := findAllVersioned[templateHeadDoc](ctx, s, s.db.Collection(colTemplateHeads), options.Find().SetSort(bson.M{"_id": 1}))
	if err != nil {
		return nil, err
	}
	out := make([]*cunjie.Template, len(docs))
	for i := range docs {
		out[i] = docs[i].Current.toDomain()
	}
	return out, nil
}

// InspectionRef is where an inspection lives and which op created it.
type InspectionRef struct {
	ID       string
	Village  string
	Month    string
	CreateOp string
}

type inspectionIDDoc struct {
	ID      string `bson:"_id"`
	Village string `bson:"village"`
	Month   string `bson:"month"`
	Op      string `bson:"op"`
}

// InspectionRef finds an inspection's village and month. Returns ENOTFOUND.
func (s *Store) InspectionRef(ctx context.Context, id string) (InspectionRef, error) {
	var d inspectionIDDoc
	if err := s.db.Collection(colInspectionIDs).FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return InspectionRef{}, notFound(err, "inspection")
	}
	return InspectionRef{ID: d.ID, Village: d.Village, Month: d.Month, CreateOp: d.Op}, nil
}

// ClaimInspectionID records a new inspection id with its village, month and
// creating op. It answers nil, or the existing ref when the id is taken.
func (s *Store) ClaimInspectionID(ctx context.Context, ref InspectionRef) (*InspectionRef, error) {
	d := inspectionIDDoc{ID: ref.ID, Village: ref.Village, Month: ref.Month, Op: ref.CreateOp}
	_, err := s.db.Collection(colInspectionIDs).InsertOne(ctx, d)
	if err == nil {
		return nil, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return nil, err
	}
	taken, err := s.InspectionRef(ctx, ref.ID)
	if err != nil {
		return nil, err
	}
	return &taken, nil
}

// ReleaseInspectionID forgets a claim that op made, for a create that was
// refused after the claim. (Read, then deleted by _id alone: see casFilter.)
func (s *Store) ReleaseInspectionID(ctx context.Context, id, op string) error {
	defer docLocks.lock(colInspectionIDs + "/" + id)()
	ref, err := s.InspectionRef(ctx, id)
	if cunjie.ErrorCode(err) == cunjie.ENOTFOUND || (err == nil && ref.CreateOp != op) {
		return nil // gone, or another op's
	}
	if err != nil {
		return err
	}
	_, err = s.db.Collection(colInspectionIDs).DeleteOne(ctx, bson.M{"_id": id})
	return err
}

type scoreDoc struct {
	Item   string  `bson:"item"`
	Points float64 `bson:"points"`
	Note   string  `bson:"note,omitempty"`
}

type inspectionDoc struct {
	ID              string     `bson:"id"`
	Template        string     `bson:"template"`
	TemplateVersion int64      `bson:"templateVersion"`
	Scores          []scoreDoc `bson:"scores"`
	Total           float64    `bson:"total"`
	Problems        []string   `bson:"problems"`
	At              time.Time  `bson:"at"`
	Version         int64      `bson:"version"`
	CreatedBy       string     `bson:"createdBy"`
	CreatedAt       time.Time  `bson:"createdAt"`
	UpdatedBy       string     `bson:"updatedBy"`
	UpdatedAt       time.Time  `bson:"updatedAt"`
	Ops             []string   `bson:"ops"`
}

type villageMonthDoc struct {
	ID          string          `bson:"_id"` // the village
	Month       string          `bson:"month"`
	Closed      bool            `bson:"closed"`
	Version     int64           `bson:"version"`
	Inspections []inspectionDoc `bson:"inspections"`
}

func (d *villageMonthDoc) toDomain() *VillageMonth {
	vm := &VillageMonth{Village: d.ID, Month: d.Month, Closed: d.Closed, Version: d.Version, Inspections: []*cunjie.Inspection{}}
	for i := range d.Inspections {
		vm.Inspections = append(vm.Inspections, d.Inspections[i].toDomain(d.ID, d.Month))
	}
	return vm
}

// VillageMonth is a village's inspections of one month. Version 0 means
// nothing is stored yet.
type VillageMonth struct {
	Village, Month string
	// Closed is set when the month is closed: the inspections are final.
	Closed      bool
	Inspections []*cunjie.Inspection
	Version     int64
}

// Inspection returns the inspection id, or nil.
func (vm *VillageMonth) Inspection(id string) *cunjie.Inspection {
	for _, in := range vm.Inspections {
		if in.ID == id {
			return in
		}
	}
	return nil
}

func inspectionToDoc(in *cunjie.Inspection) inspectionDoc {
	d := inspectionDoc{ID: in.ID, Template: in.Template, TemplateVersion: in.TemplateVersion, Total: in.Total,
		Problems: in.Problems, At: in.At, Version: in.Version, CreatedBy: in.CreatedBy, CreatedAt: in.CreatedAt,
		UpdatedBy: in.UpdatedBy, UpdatedAt: in.UpdatedAt, Ops: in.Ops}
	for _, sc := range in.Scores {
		d.Scores = append(d.Scores, scoreDoc{Item: sc.Item, Points: sc.Points, Note: sc.Note})
	}
	if d.Problems == nil {
		d.Problems = []string{}
	}
	return d
}

func (d *inspectionDoc) toDomain(village, month string) *cunjie.Inspection {
	in := &cunjie.Inspection{ID: d.ID, Village: village, Month: month, Template: d.Template, TemplateVersion: d.TemplateVersion,
		Scores: []cunjie.Score{}, Total: d.Total, Problems: d.Problems, At: d.At.UTC(), Version: d.Version,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedBy: d.UpdatedBy, UpdatedAt: d.UpdatedAt.UTC(), Ops: d.Ops}
	for _, sc := range d.Scores {
		in.Scores = append(in.Scores, cunjie.Score{Item: sc.Item, Points: sc.Points, Note: sc.Note})
	}
	if in.Problems == nil {
		in.Problems = []string{}
	}
	return in
}

// VillageMonth reads a village's inspections of a month; an empty one
// (Version 0) when there are none.
func (s *Store) VillageMonth(ctx context.Context, village, month string) (*VillageMonth, error) {
	var d villageMonthDoc
	err := s.findVersioned(ctx, s.db.Collection(villageMonthsCol(month)), village, &d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return &VillageMonth{Village: village, Month: month, Inspections: []*cunjie.Inspection{}}, nil
	}
	if err != nil {
		return nil, err
	}
	return d.toDomain(), nil
}

// VillageMonths reads every village's inspections of a month, by village,
// in one read of the month's small collection.
func (s *Store) VillageMonths(ctx context.Context, month string) (map[string]*VillageMonth, error) {
	docs, err := findAllVersioned[villageMonthDoc](ctx, s, s.db.Collection(villageMonthsCol(month)))
	if err != nil {
		return nil, err
	}
	out := make(map[string]*VillageMonth, len(docs))
	for i := range docs {
		out[docs[i].ID] = docs[i].toDomain()
	}
	return out, nil
}

// UpdateVillageMonth reads a village's month, lets change modify it, and
// stores it if no one wrote it meanwhile, trying again otherwise. change
// must decide from what it is given alone, since it may run more than
// once; an error from it is returned as it is and nothing is stored.
func (s *Store) UpdateVillageMonth(ctx context.Context, village, month string, change func(vm *VillageMonth) error) (*VillageMonth, error) {
	defer docLocks.lock(villageMonthsCol(month) + "/" + village)()
	if err := s.prepareMonth(ctx, month); err != nil {
		return nil, err
	}
	col := s.db.Collection(villageMonthsCol(month))
	for range casRetries {
		vm, err := s.VillageMonth(ctx, village, month)
		if err != nil {
			return nil, err
		}
		if err := change(vm); err != nil {
			return nil, err
		}
		base := vm.Version
		vm.Version++
		d := villageMonthDoc{ID: village, Month: month, Closed: vm.Closed, Version: vm.Version, Inspections: []inspectionDoc{}}
		for _, in := range vm.Inspections {
			d.Inspections = append(d.Inspections, inspectionToDoc(in))
		}
		if base == 0 {
			if _, err := col.InsertOne(ctx, d); mongo.IsDuplicateKeyError(err) {
				continue
			} else if err != nil {
				return nil, err
			}
			return vm, nil
		}
		if ok, err := s.replaceVersion(ctx, col, d.ID, base, d); err != nil || ok {
			return vm, err
		}
	}
	return nil, cunjie.Errorf(cunjie.ECONFLICT, "the inspections of village %s in %s are being changed by others; try again", village, month)
}

type rankDoc struct {
	Rank          int      `bson:"rank"`
	Village       string   `bson:"village"`
	Name          string   `bson:"name"`
	Score         *float64 `bson:"score"`
	Inspections   int      `bson:"inspections"`
	PreviousScore *float64 `bson:"previousScore"`
	Change        *float64 `bson:"change"`
}

type assessmentMonthDoc struct {
	ID       string    `bson:"_id"`
	Closed   bool      `bson:"closed"`
	ClosedAt time.Time `bson:"closedAt"`
	ClosedBy string    `bson:"closedBy"`
	Ranking  []rankDoc `bson:"ranking"`
}

// AssessmentMonth is the town's state of a month's assessment.
type AssessmentMonth struct {
	Month    string
	Closed   bool
	ClosedAt time.Time
	ClosedBy string
	// Ranking is the final ranking, kept when the month is closed. Its
	// problem counts are not kept: they go on changing.
	Ranking []cunjie.VillageScore
}

// AssessmentMonth reads a month's state; an open month with no ranking
// when nothing is stored.
func (s *Store) AssessmentMonth(ctx context.Context, month string) (*AssessmentMonth, error) {
	var d assessmentMonthDoc
	err := s.db.Collection(colAssessmentMonth).FindOne(ctx, bson.M{"_id": month}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return &AssessmentMonth{Month: month}, nil
	}
	if err != nil {
		return nil, err
	}
	m := &AssessmentMonth{Month: month, Closed: d.Closed, ClosedAt: d.ClosedAt.UTC(), ClosedBy: d.ClosedBy}
	for _, r := range d.Ranking {
		m.Ranking = append(m.Ranking, cunjie.VillageScore{Rank: r.Rank, Village: r.Village, Name: r.Name, Score: r.Score,
			Inspections: r.Inspections, PreviousScore: r.PreviousScore, Change: r.Change})
	}
	return m, nil
}

// PutAssessmentMonth stores a month's state.
func (s *Store) PutAssessmentMonth(ctx context.Context, m *AssessmentMonth) error {
	d := assessmentMonthDoc{ID: m.Month, Closed: m.Closed, ClosedAt: m.ClosedAt, ClosedBy: m.ClosedBy, Ranking: []rankDoc{}}
	for _, r := range m.Ranking {
		d.Ranking = append(d.Ranking, rankDoc{Rank: r.Rank, Village: r.Village, Name: r.Name, Score: r.Score,
			Inspections: r.Inspections, PreviousScore: r.PreviousScore, Change: r.Change})
	}
	_, err := s.db.Collection(colAssessmentMonth).ReplaceOne(ctx, bson.M{"_id": m.Month}, d, options.Replace().SetUpsert(true))
	return err
}

type problemEventDoc struct {
	Action   string    `bson:"action"`
	By       string    `bson:"by"`
	At       time.Time `bson:"at"`
	Note     string    `bson:"note,omitempty"`
	Photos   []string  `bson:"photos"`
	Deadline string    `bson:"deadline,omitempty"`
	Op       string    `bson:"op"`
}

type problemDoc struct {
	ID          string            `bson:"_id"`
	Inspection  string            `bson:"inspection"`
	Village     string            `bson:"village"`
	Month       string            `bson:"month"`
	Location    pointDoc          `bson:"location"`
	Accuracy    float64           `bson:"accuracy,omitempty"`
	Description string            `bson:"description"`
	Photos      []string          `bson:"photos"`
	Deadline    string            `bson:"deadline"`
	Status      string            `bson:"status"`
	Version     int64             `bson:"version"`
	CreatedBy   string            `bson:"createdBy"`
	CreatedAt   time.Time         `bson:"createdAt"`
	UpdatedAt   time.Time         `bson:"updatedAt"`
	History     []problemEventDoc `bson:"history"`
	Ops         []string          `bson:"ops"`
}

func problemToDoc(p *cunjie.Problem) problemDoc {
	d := problemDoc{ID: p.ID, Inspection: p.Inspection, Village: p.Village, Month: p.Month,
		Location: toPoint(p.Location.Lon, p.Location.Lat), Accuracy: p.Location.Accuracy, Description: p.Description,
		Photos: nonNilStrings(p.Photos), Deadline: p.Deadline, Status: string(p.Status), Version: p.Version,
		CreatedBy: p.CreatedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, History: []problemEventDoc{}, Ops: p.Ops}
	for _, e := range p.History {
		d.History = append(d.History, problemEventDoc{Action: e.Action, By: e.By, At: e.At, Note: e.Note,
			Photos: nonNilStrings(e.Photos), Deadline: e.Deadline, Op: e.Op})
	}
	return d
}

func (d *problemDoc) toDomain() *cunjie.Problem {
	p := &cunjie.Problem{ID: d.ID, Inspection: d.Inspection, Village: d.Village, Month: d.Month, Description: d.Description,
		Photos: nonNilStrings(d.Photos), Deadline: d.Deadline, Status: cunjie.ProblemStatus(d.Status), Version: d.Version,
		CreatedBy: d.CreatedBy, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), History: []cunjie.ProblemEvent{}, Ops: d.Ops}
	if len(d.Location.Coordinates) == 2 {
		p.Location = cunjie.Location{Lon: d.Location.Coordinates[0], Lat: d.Location.Coordinates[1], Accuracy: d.Accuracy}
	}
	for _, e := range d.History {
		p.History = append(p.History, cunjie.ProblemEvent{Action: e.Action, By: e.By, At: e.At.UTC(), Note: e.Note,
			Photos: nonNilStrings(e.Photos), Deadline: e.Deadline, Op: e.Op})
	}
	return p
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type problemIDDoc struct {
	ID         string `bson:"_id"`
	Village    string `bson:"village"`
	Month      string `bson:"month"`
	Inspection string `bson:"inspection"`
}

// problemMonth finds the month a problem was found in. Returns ENOTFOUND.
func (s *Store) problemMonth(ctx context.Context, id string) (problemIDDoc, error) {
	var d problemIDDoc
	err := s.db.Collection(colProblemIDs).FindOne(ctx, bson.M{"_id": id}).Decode(&d)
	return d, notFound(err, "problem")
}

// Problem reads one problem. Returns ENOTFOUND.
func (s *Store) Problem(ctx context.Context, id string) (*cunjie.Problem, error) {
	ref, err := s.problemMonth(ctx, id)
	if err != nil {
		return nil, err
	}
	var d problemDoc
	if err := s.findVersioned(ctx, s.db.Collection(problemsCol(ref.Month)), id, &d); err != nil {
		return nil, notFound(err, "problem")
	}
	return d.toDomain(), nil
}

// InsertProblems stores new problems of one inspection, answering per
// problem whether it was stored already (by an earlier try of the same
// write). Returns ECONFLICT when an id belongs to another inspection.
func (s *Store) InsertProblems(ctx context.Context, ps []*cunjie.Problem) ([]bool, error) {
	ids := make([]any, len(ps))
	docs := make([]any, len(ps))
	for i, p := range ps {
		ids[i] = problemIDDoc{ID: p.ID, Village: p.Village, Month: p.Month, Inspection: p.Inspection}
		docs[i] = problemToDoc(p)
	}
	// The ids first: a problem document is only written under a claimed id.
	taken, err := insertManyDups(ctx, s.db.Collection(colProblemIDs), ids)
	if err != nil {
		return nil, err
	}
	for _, i := range taken {
		ref, err := s.problemMonth(ctx, ps[i].ID)
		if err != nil {
			return nil, err
		}
		if ref.Inspection != ps[i].Inspection {
			// Refused: the ids claimed just now are let go again.
			for j, p := range ps {
				if !slices.Contains(taken, j) {
					s.db.Collection(colProblemIDs).DeleteOne(ctx, bson.M{"_id": p.ID})
				}
			}
			return nil, cunjie.Errorf(cunjie.ECONFLICT, "problem %s exists in another inspection; a new problem needs a new id", ps[i].ID)
		}
	}
	existed := make([]bool, len(ps))
	if len(ps) == 0 {
		return existed, nil
	}
	if err := s.prepareMonth(ctx, ps[0].Month); err != nil {
		return nil, err
	}
	dups, err := insertManyDups(ctx, s.db.Collection(problemsCol(ps[0].Month)), docs)
	if err != nil {
		return nil, err
	}
	for _, i := range dups {
		existed[i] = true
	}
	return existed, nil
}

// DeleteProblems removes problems of inspection that its refused write
// stored; problems of other inspections are left alone.
func (s *Store) DeleteProblems(ctx context.Context, inspection string, ids []string) error {
	for _, id := range ids {
		if err := s.deleteProblem(ctx, inspection, id); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) deleteProblem(ctx context.Context, inspection, id string) error {
	defer docLocks.lock(colProblemIDs + "/" + id)()
	ref, err := s.problemMonth(ctx, id)
	if cunjie.ErrorCode(err) == cunjie.ENOTFOUND || (err == nil && ref.Inspection != inspection) {
		return nil // gone, or another inspection's
	}
	if err != nil {
		return err
	}
	// The document, then its id: an id without a document is a problem
	// being created, which its writer finishes or takes back.
	col := s.db.Collection(problemsCol(ref.Month))
	if _, err := col.DeleteOne(ctx, bson.M{"_id": id}); err != nil {
		return err
	}
	if err := s.dropVersions(ctx, col, id); err != nil {
		return err
	}
	_, err = s.db.Collection(colProblemIDs).DeleteOne(ctx, bson.M{"_id": id})
	return err
}

// UpdateProblem reads a problem, lets change modify a copy, and stores it
// if no one wrote it meanwhile, trying again otherwise. It returns the
// problem as read (before) and as stored (after). An error from change is
// returned as it is, with before, and nothing is stored. Returns ENOTFOUND.
func (s *Store) UpdateProblem(ctx context.Context, id string, change func(p *cunjie.Problem) error) (before, after *cunjie.Problem, err error) {
	defer docLocks.lock(colProblemIDs + "/" + id)()
	for range casRetries {
		cur, err := s.Problem(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		next := *cur
		next.Photos, next.History, next.Ops = slices.Clone(cur.Photos), slices.Clone(cur.History), slices.Clone(cur.Ops)
		if err := change(&next); err != nil {
			return cur, nil, err
		}
		ok, err := s.replaceVersion(ctx, s.db.Collection(problemsCol(cur.Month)), id, cur.Version, problemToDoc(&next))
		if err != nil {
			return cur, nil, err
		}
		if ok {
			return cur, &next, nil
		}
	}
	return nil, nil, cunjie.Errorf(cunjie.ECONFLICT, "problem %s is being changed by others; try again", id)
}

// ProblemEntry is what a village's list of problems keeps of each: enough
// to count open and overdue problems and to pick which to read.
type ProblemEntry struct {
	ID         string
	Inspection string
	Month      string
	Status     cunjie.ProblemStatus
	Deadline   string
	// Opened and Rectified are the days (YYYY-MM-DD, town time) it was
	// found and last rectified, "" if never: the office's "today". Entries
	// written before they were kept have neither.
	Opened, Rectified string
}

type problemEntryDoc struct {
	ID         string `bson:"id"`
	Inspection string `bson:"inspection"`
	Month      string `bson:"month"`
	Status     string `bson:"status"`
	Deadline   string `bson:"deadline"`
	Opened     string `bson:"opened,omitempty"`
	Rectified  string `bson:"rectified,omitempty"`
}

type villageProblemsDoc struct {
	ID      string            `bson:"_id"`
	Version int64             `bson:"version"`
	Entries []problemEntryDoc `bson:"entries"`
}

func (s *Store) villageProblems(ctx context.Context, village string) (*villageProblemsDoc, error) {
	var d villageProblemsDoc
	err := s.findVersioned(ctx, s.db.Collection(colVillageProblems), village, &d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return &villageProblemsDoc{ID: village}, nil
	}
	return &d, err
}

// VillageProblems lists the entries of every problem found in a village,
// in the order they were found. The problem documents are the truth; an
// entry may lag behind one after a crash until the write is replayed.
func (s *Store) VillageProblems(ctx context.Context, village string) ([]ProblemEntry, error) {
	d, err := s.villageProblems(ctx, village)
	if err != nil {
		return nil, err
	}
	out := make([]ProblemEntry, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = ProblemEntry{ID: e.ID, Inspection: e.Inspection, Month: e.Month, Status: cunjie.ProblemStatus(e.Status), Deadline: e.Deadline,
			Opened: e.Opened, Rectified: e.Rectified}
	}
	return out, nil
}

// PutProblemEntries adds entries to a village's list and, with replace,
// updates the ones it has; without replace, entries already there are kept
// (a replayed create must not undo a later rectification).
func (s *Store) PutProblemEntries(ctx context.Context, village string, entries []ProblemEntry, replace bool) error {
	defer docLocks.lock(colVillageProblems + "/" + village)()
	col := s.db.Collection(colVillageProblems)
	for range casRetries {
		d, err := s.villageProblems(ctx, village)
		if err != nil {
			return err
		}
		changed := false
		for _, e := range entries {
			ed := problemEntryDoc{ID: e.ID, Inspection: e.Inspection, Month: e.Month, Status: string(e.Status), Deadline: e.Deadline,
				Opened: e.Opened, Rectified: e.Rectified}
			i := slices.IndexFunc(d.Entries, func(x problemEntryDoc) bool { return x.ID == e.ID })
			switch {
			case i < 0:
				d.Entries = append(d.Entries, ed)
				changed = true
			case replace && d.Entries[i] != ed:
				d.Entries[i] = ed
				changed = true
			}
		}
		if !changed {
			return nil
		}
		base := d.Version
		d.Version++
		if base == 0 {
			if _, err := col.InsertOne(ctx, d); mongo.IsDuplicateKeyError(err) {
				continue
			} else if err != nil {
				return err
			}
			return nil
		}
		if ok, err := s.replaceVersion(ctx, col, village, base, d); err != nil || ok {
			return err
		}
	}
	return cunjie.Errorf(cunjie.ECONFLICT, "the problems of village %s are being changed by others; try again", village)
}

// AwaitPhotos records that photos not uploaded yet belong to village, so
// that when one arrives it is linked to the village (and its cleaner may
// see it) like a feature's photo.
func (s *Store) AwaitPhotos(ctx context.Context, village string, photoIDs []string) error {
	col := s.db.Collection(colPendingPhotos)
	for _, id := range photoIDs {
		_, err := col.UpdateOne(ctx, bson.M{"_id": id}, bson.M{
			"$setOnInsert": bson.M{"village": village, "features": bson.A{}},
		}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return err
		}
	}
	return nil
}
