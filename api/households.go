package api

import (
	"context"
	"reflect"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
)

// Households (一户一档): the household record and the records linked to
// it (see household.go in the domain). A link is checked as it is written
// (linked); the file and the checks are read from the village in memory.

// householdChecks answers GET /villages/{code}/households/checks. The
// checks name household heads, personal data: staff only, as the route
// table says (see personal.go).
func (s *Server) householdChecks(c *fiber.Ctx) error {
	v, err := s.village(c, c.Params("code"))
	if err != nil {
		return err
	}
	fs, err := s.villageFeatures(c.UserContext(), v.Code, nil)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"village": v.Code, "checks": cunjie.HouseholdChecks(fs)})
}

// linked looks up, for u writing in village, the records a write's links
// name (cunjie.CheckLinks). A record of a village u may not read is none,
// so ids cannot be probed. x is the village's index when the caller holds
// its lock (an update), nil otherwise.
func (s *Server) linked(ctx context.Context, u *cunjie.User, village string, x *geo.Index) func(string) (*cunjie.Feature, error) {
	return func(id string) (*cunjie.Feature, error) {
		ref, err := s.store.FeatureRef(ctx, id)
		switch {
		case err != nil:
			return nil, err
		case !u.CanReadVillage(ref.Village):
			return nil, cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id)
		case ref.Village != village:
			return &cunjie.Feature{ID: id, Village: ref.Village}, nil
		case x == nil:
			return s.writes.Feature(ctx, village, id)
		}
		it, ok := x.Get(id)
		if !ok {
			return nil, cunjie.Errorf(cunjie.ENOTFOUND, "feature %s not found", id)
		}
		return it.Value.(*cunjie.Feature), nil
	}
}

// HouseholdFile is a household's file (一户一档): the household, the
// records linked to it with the stages each went through, every photo of
// them in time order, and the household's checks (一户一宅, 一户一厕).
type HouseholdFile struct {
	Household *cunjie.Feature         `json:"household"`
	Records   []HouseholdRecord       `json:"records"`
	Photos    []FileStep              `json:"photos"`
	Checks    []cunjie.HouseholdCheck `json:"checks"`
}

// HouseholdRecord is one record of a household's file.
type HouseholdRecord struct {
	Feature *cunjie.Feature `json:"feature"`
	Stages  []FileStep      `json:"stages"`
}

// FileStep is a stage a record reached, or a photo taken of it: who, when.
// A stage set by an event is dated by the event (when it happened, the
// phone may have been offline); one set by an edit, by the server.
type FileStep struct {
	Stage   string      `json:"stage,omitempty"`
	Photo   string      `json:"photo,omitempty"`
	Feature string      `json:"feature,omitempty"`
	Kind    cunjie.Kind `json:"kind,omitempty"`
	Event   string      `json:"event,omitempty"` // the type of the event that set the stage or took the photo
	Note    string      `json:"note,omitempty"`
	By      string      `json:"by"`
	ByName  string      `json:"byName,omitempty"`
	At      time.Time   `json:"at"`
}

// householdFile answers GET /households/{id}. Whoever may read the
// village reads the file; names and phone numbers only those who see
// personal data (shown), as everywhere else.
func (s *Server) householdFile(c *fiber.Ctx) error {
	ctx, u, id := c.UserContext(), currentUser(c), c.Params("id")
	ref, err := s.writes.FindFeature(ctx, u, id)
	if err != nil {
		return err
	}
	hh, err := s.writes.Feature(ctx, ref.Village, id)
	if err != nil {
		return err
	}
	if hh.Kind != cunjie.KindHousehold {
		return cunjie.Errorf(cunjie.ENOTFOUND, "feature %s is not a household", id)
	}
	fs, err := s.villageFeatures(ctx, ref.Village, nil)
	if err != nil {
		return err
	}
	names, err := s.userNames(ctx)
	if err != nil {
		return err
	}
	records := cunjie.HouseholdRecords(hh, fs)
	file := HouseholdFile{Household: shown(u, hh), Records: []HouseholdRecord{}, Photos: []FileStep{}}
	for _, f := range append([]*cunjie.Feature{hh}, records...) {
		events, audit, err := s.store.History(ctx, f.ID, f.Changes)
		if err != nil {
			return err
		}
		file.Photos = append(file.Photos, photosOf(f, events, audit)...)
		if f != hh {
			file.Records = append(file.Records, HouseholdRecord{Feature: shown(u, f), Stages: named(stagesOf(f, events, audit), names)})
		}
	}
	slices.SortStableFunc(file.Photos, func(a, b FileStep) int { return a.At.Compare(b.At) })
	file.Photos = named(file.Photos, names)
	file.Checks = cunjie.ChecksOf(cunjie.HouseholdChecks(fs), hh, records)
	if !cunjie.SeesPersonal(u.Role) {
		for i := range file.Checks {
			file.Checks[i].HouseholdHead = ""
		}
	}
	return c.JSON(file)
}

// userNames maps usernames to the names people know each other by.
func (s *Server) userNames(ctx context.Context) (map[string]string, error) {
	us, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(us))
	for _, u := range us {
		out[u.Username] = u.Name
	}
	return out, nil
}

func named(steps []FileStep, names map[string]string) []FileStep {
	for i := range steps {
		steps[i].ByName = names[steps[i].By]
	}
	return steps
}

// stagesOf lists the stages works record f went through, oldest first:
// the one it was created in, then each event that set one, and each edit
// that changed it without a correction event of its own (a correction
// is an event, listed already).
func stagesOf(f *cunjie.Feature, events []cunjie.Event, audit []cunjie.AuditEntry) []FileStep {
	attr := cunjie.StatusAttr(f.Kind)
	if attr != "stage" {
		return []FileStep{}
	}
	first, _ := f.Attrs[attr].(string)
	var steps []FileStep
	made := map[string]bool{}
	for _, e := range events {
		made[e.ID] = true
		if e.Status != "" {
			steps = append(steps, FileStep{Stage: e.Status, Event: e.Type, Note: e.Note, By: e.By, At: e.At})
		}
	}
	found := false
	for _, a := range audit {
		ch, ok := a.Changes["attrs."+attr]
		if !ok {
			continue
		}
		if !found {
			first, _ = ch.From.(string) // what it was before its first change
			found = true
		}
		if a.Action == "update" && !made[correctionID(a.Op)] {
			to, _ := ch.To.(string)
			steps = append(steps, FileStep{Stage: to, By: a.By, At: a.At})
		}
	}
	slices.SortStableFunc(steps, func(a, b FileStep) int { return a.At.Compare(b.At) })
	return append([]FileStep{{Stage: first, By: f.CreatedBy, At: f.CreatedAt}}, steps...)
}

// photosOf lists f's photos, each dated by the write that attached it
// (its creation, or the last edit that added it), and its events', each
// with the stage the write set, if it set one.
func photosOf(f *cunjie.Feature, events []cunjie.Event, audit []cunjie.AuditEntry) []FileStep {
	var out []FileStep
	for _, p := range f.Photos {
		ph := FileStep{Photo: p, Feature: f.ID, Kind: f.Kind, By: f.CreatedBy, At: f.CreatedAt}
		for _, a := range audit {
			if ch, ok := a.Changes["photos"]; ok && slices.Contains(idList(ch.To), p) && !slices.Contains(idList(ch.From), p) {
				ph.By, ph.At = a.By, a.At
				ph.Stage, _ = a.Changes["attrs.stage"].To.(string)
			}
		}
		out = append(out, ph)
	}
	for _, e := range events {
		for _, p := range e.Photos {
			out = append(out, FileStep{Photo: p, Feature: f.ID, Kind: f.Kind, Stage: e.Status, Event: e.Type, Note: e.Note, By: e.By, At: e.At})
		}
	}
	return out
}

// idList reads a list of ids as the audit trail keeps it: written as
// []string, read back from the store as an array of any.
func idList(v any) []string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil
	}
	out := make([]string, 0, rv.Len())
	for i := range rv.Len() {
		if s, ok := rv.Index(i).Interface().(string); ok {
			out = append(out, s)
		}
	}
	return out
}
