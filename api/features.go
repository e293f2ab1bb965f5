package api

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/writes"
)

// answer writes an Outcome as an HTTP answer: the feature when applied or
// a duplicate, the error (with the server copy on conflict) otherwise.
func answer(c *fiber.Ctx, o writes.FeatureOutcome, created bool) error {
	u := currentUser(c)
	switch o.Result {
	case writes.Applied:
		if created {
			c.Status(fiber.StatusCreated)
		}
		return c.JSON(shown(u, o.Object))
	case writes.Duplicate:
		c.Set("X-Cunjie-Result", writes.Duplicate)
		return c.JSON(shown(u, o.Object))
	}
	return shownErr(u, o.Err)
}

func (s *Server) putFeature(c *fiber.Ctx) error {
	var w FeatureWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	o := s.putFeatures(c.UserContext(), currentUser(c), []string{c.Params("id")}, []*FeatureWrite{&w})[0]
	return answer(c, o, w.BaseVersion == 0)
}

func (s *Server) getFeature(c *fiber.Ctx) error {
	ref, err := s.writes.FindFeature(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := s.writes.Feature(c.UserContext(), ref.Village, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(shown(currentUser(c), f))
}

func (s *Server) deleteFeature(c *fiber.Ctx) error {
	return answer(c, s.setDeleted(c.UserContext(), currentUser(c), c.Params("id"), opOf(c, "delete"), true), false)
}

func (s *Server) restoreFeature(c *fiber.Ctx) error {
	return answer(c, s.setDeleted(c.UserContext(), currentUser(c), c.Params("id"), opOf(c, "restore"), false), false)
}

// opOf is the ?opId= of a request, or a fresh one: without it a retry is
// not recognised, but deleting a deleted feature changes nothing, and
// restoring a restored one is a conflict that says so.
func opOf(c *fiber.Ctx, action string) string {
	if op := c.Query("opId"); op != "" {
		return op
	}
	return action + "-" + newRequestID()
}

// setDeleted soft-deletes a feature (deleted) or restores it. A deleted
// feature stays, marked, so phones learn of it through the changes feed,
// and an admin can restore it: a deletion is never final. Deleting twice
// is a duplicate; restoring one that is not deleted a conflict. Who may
// delete is cunjie.MayDelete's to say; the route lets admins alone restore.
func (s *Server) setDeleted(ctx context.Context, u *cunjie.User, id, op string, deleted bool) writes.FeatureOutcome {
	if !cunjie.ValidID(op) {
		return rejected(cunjie.Invalid("opId", "1–64 letters, digits, '-' or '_'"))
	}
	if deleted && !u.IsStaff() {
		return rejected(cunjie.Errorf(cunjie.EFORBIDDEN, "only admins, and inspectors within a day of recording, delete features"))
	}
	action := map[bool]string{true: "delete", false: "restore"}[deleted]
	return s.writes.Change(ctx, u, id, &writes.Change{Op: op, Action: action, Apply: func(cur, next *cunjie.Feature, _ *geo.Index, _ *[]cunjie.Event) *writes.FeatureOutcome {
		switch {
		case cur.Deleted == deleted && deleted:
			return &writes.FeatureOutcome{Result: writes.Duplicate, Object: cur}
		case cur.Deleted == deleted:
			o := conflict(cur, "feature %s is not deleted", id)
			return &o
		}
		if deleted {
			if err := cunjie.MayDelete(u, cur, s.now()); err != nil {
				o := rejected(err)
				return &o
			}
		}
		next.Deleted = deleted
		next.Version = cur.Version + 1
		return nil
	}})
}

// EventWrite is the body of POST /features/{id}/events and of a sync addEvent op.
type EventWrite struct {
	OpID     string           `json:"opId"`
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	At       time.Time        `json:"at"`
	Location *cunjie.Location `json:"location"`
	Note     string           `json:"note"`
	Photos   []string         `json:"photos"`
	Status   string           `json:"status"`
	By       json.RawMessage  `json:"by"`
}

func (s *Server) postEvent(c *fiber.Ctx) error {
	var w EventWrite
	if err := decodeJSON(c, MaxJSONBody, &w); err != nil {
		return err
	}
	return answer(c, s.addEvent(c.UserContext(), currentUser(c), c.Params("id"), &w), true)
}

// addEvent appends an event to a feature's history; an event that sets a
// status or stage changes the feature too.
func (s *Server) addEvent(ctx context.Context, u *cunjie.User, featureID string, w *EventWrite) writes.FeatureOutcome {
	ch, err := s.eventChange(ctx, u, featureID, w)
	if err != nil {
		return rejected(err)
	}
	return s.writes.Change(ctx, u, featureID, ch)
}

// putFeatureOps applies a sync batch's feature writes, their creates
// stored in bulk (see putFeatures).
func (s *Server) putFeatureOps(ctx context.Context, u *cunjie.User, ops []SyncOp) []writes.FeatureOutcome {
	ids := make([]string, len(ops))
	ws := make([]*FeatureWrite, len(ops))
	for i, op := range ops {
		w := op.Feature
		if w == nil {
			w = &FeatureWrite{}
		}
		if w.OpID == "" {
			w.OpID = op.OpID
		}
		ids[i], ws[i] = op.ID, w
	}
	return s.putFeatures(ctx, u, ids, ws)
}

// addEvents records events of a sync batch, committed together where
// they follow one another in a village (see writes.ChangeAll).
func (s *Server) addEvents(ctx context.Context, u *cunjie.User, ops []SyncOp) []writes.FeatureOutcome {
	out := make([]writes.FeatureOutcome, len(ops))
	var ts []writes.Target
	var at []int
	for i, op := range ops {
		w := op.Event
		if w == nil {
			out[i] = rejected(cunjie.Invalid("event", "required for addEvent"))
			continue
		}
		if w.OpID == "" {
			w.OpID = op.OpID
		}
		ch, err := s.eventChange(ctx, u, op.ID, w)
		if err != nil {
			out[i] = rejected(err)
			continue
		}
		ts = append(ts, writes.Target{ID: op.ID, Change: ch})
		at = append(at, i)
	}
	for k, o := range s.writes.ChangeAll(ctx, u, ts) {
		out[at[k]] = o
	}
	return out
}

// eventChange is the change an event makes to its feature, or why the
// event is refused before the feature is looked at.
func (s *Server) eventChange(ctx context.Context, u *cunjie.User, featureID string, w *EventWrite) (*writes.Change, error) {
	if !cunjie.ValidID(w.OpID) {
		return nil, cunjie.Invalid("opId", "required: 1–64 letters, digits, '-' or '_'")
	}
	if w.By != nil {
		return nil, cunjie.Invalid("by", "is set by the server")
	}
	now := s.now().UTC()
	ev := cunjie.Event{ID: w.ID, Feature: featureID, Type: w.Type, At: w.At.UTC(), Location: w.Location, Note: w.Note,
		Photos: nonNil(w.Photos), Status: w.Status, By: u.Username, Stored: now.Truncate(time.Millisecond)}
	return &writes.Change{Op: w.OpID, Action: "event", Events: []cunjie.Event{ev},
		Apply: func(cur, next *cunjie.Feature, _ *geo.Index, _ *[]cunjie.Event) *writes.FeatureOutcome {
			if cur.Deleted {
				o := conflict(cur, "feature %s was deleted", featureID)
				return &o
			}
			err := cunjie.ValidateEvent(cur.Kind, &ev, now)
			after := cur.Attrs
			if err == nil && ev.Status != "" {
				// The event's stage or status is a change of the
				// feature like any other; its note is the reason. A
				// stage reached fills its date with the event's day.
				after = maps.Clone(cur.Attrs)
				after[cunjie.StatusAttr(cur.Kind)] = ev.Status
				cunjie.FillStageDate(cur.Kind, cur.Attrs, after, ev.At)
				err = eventFields(cunjie.CheckAttrChange(u.Role, cur.Kind, cur.Attrs, after, ev.Note))
			}
			if err == nil {
				err = s.checkPhotoNames(ctx, u, cur.Village, ev.Photos)
			}
			if err != nil {
				o := rejected(err)
				return &o
			}
			if s.eventExists(ctx, cur, &ev) {
				o := conflict(cur, "event %s exists (recorded by another op)", ev.ID)
				return &o
			}
			if attr := cunjie.StatusAttr(cur.Kind); ev.Status != "" && cur.Attrs[attr] != ev.Status {
				next.Attrs = after
				next.Version = cur.Version + 1
			}
			next.Events = latestEvents(cur, ev)
			return nil
		}}, nil
}

// latestEvents returns f's inline events with ev added, in time order,
// the latest cunjie.LatestEvents of them.
func latestEvents(f *cunjie.Feature, ev cunjie.Event) cunjie.Events {
	all := append(f.Events.Slice(), ev)
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	return cunjie.PackEvents(f.ID, all[max(0, len(all)-cunjie.LatestEvents):])
}

// eventExists says whether feature f has an event with the id of ev. The
// feature keeps its latest events by time inline: when it has fewer than
// it could keep, or ev is newer than the oldest of them, an earlier record
// of the same event (an event keeps its time) would be among them, and
// the full history, a read that grows with it, is not needed.
func (s *Server) eventExists(ctx context.Context, f *cunjie.Feature, ev *cunjie.Event) bool {
	for e := range f.Events.All() {
		if e.ID == ev.ID {
			return true
		}
	}
	if f.Events.Len() < cunjie.LatestEvents {
		return false
	}
	if oldest, _ := f.Events.First(); ev.At.After(oldest.At) {
		return false
	}
	events, _, err := s.store.History(ctx, f.ID, f.Changes)
	return err == nil && slices.ContainsFunc(events, func(e cunjie.Event) bool { return e.ID == ev.ID })
}

func (s *Server) listEvents(c *fiber.Ctx) error {
	ref, err := s.writes.FindFeature(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := s.writes.Feature(c.UserContext(), ref.Village, c.Params("id"))
	if err != nil {
		return err
	}
	events, _, err := s.store.History(c.UserContext(), f.ID, f.Changes)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"events": events})
}

func (s *Server) audit(c *fiber.Ctx) error {
	id := c.Query("feature")
	if id == "" {
		return cunjie.Invalid("feature", "required: the feature whose audit trail to show")
	}
	ref, err := s.writes.FindFeature(c.UserContext(), currentUser(c), id)
	if err != nil {
		return err
	}
	f, err := s.writes.Feature(c.UserContext(), ref.Village, id)
	if err != nil {
		return err
	}
	_, entries, err := s.store.History(c.UserContext(), id, f.Changes)
	if err != nil {
		return err
	}
	// The create is not in the history (a bulk create writes none); it
	// is told by the feature and its id record.
	create := cunjie.AuditEntry{Op: ref.CreateOp, Action: "create", By: f.CreatedBy, At: f.CreatedAt, Version: 1}
	return c.JSON(fiber.Map{"feature": id, "entries": append([]cunjie.AuditEntry{create}, entries...)})
}

func (s *Server) auditLog(c *fiber.Ctx) error {
	limit, err := intQuery(c, "limit", 200, 1, 1000)
	if err != nil {
		return err
	}
	entries, err := s.store.AuditLogs(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": entries})
}

// Sync limits: a phone's backlog goes up in batches of at most this many ops
// and bytes.
const (
	MaxSyncOps   = 500
	MaxSyncBytes = 4 << 20
)

// SyncOp is one write in a batch. Type is putFeature, addEvent or deleteFeature.
type SyncOp struct {
	Type string `json:"type"`
	// ID is the feature's id (for addEvent, the feature the event is on).
	ID      string        `json:"id"`
	OpID    string        `json:"opId"`
	Feature *FeatureWrite `json:"feature"`
	Event   *EventWrite   `json:"event"`
	// Inspection is the body of a putInspection op (id: the inspection's).
	Inspection *InspectionWrite `json:"inspection"`
}

// SyncRequest is the body of POST /sync.
type SyncRequest struct {
	// Ops are decoded one by one, so a malformed op is rejected alone.
	Ops []json.RawMessage `json:"ops"`
	DeviceReport
}

// DeviceReport is what a phone says of itself on each sync, all optional:
// which phone, which build of the app, and what its outbox still holds
// besides this batch. The office sees it per user (GET /users), and a
// person whose phone lost its storage learns what it last held (GET /me).
type DeviceReport struct {
	Device      string `json:"device"`
	AppVersion  string `json:"appVersion"`
	PendingOps  *int   `json:"pendingOps"`
	RejectedOps *int   `json:"rejectedOps"`
}

// Limits of a device report.
const (
	maxDeviceLen     = 64
	maxAppVersionLen = 40
	maxReportedOps   = 1_000_000
)

// validate names each field of the report that is out of bounds.
func (d *DeviceReport) validate() error {
	fe := cunjie.FieldErrors{}
	if d.Device != "" && !cunjie.ValidID(d.Device) {
		fe.Add("device", "1–%d letters, digits, '-' or '_'", maxDeviceLen)
	}
	if len(d.AppVersion) > maxAppVersionLen || strings.ContainsFunc(d.AppVersion, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		fe.Add("appVersion", "at most %d printable bytes", maxAppVersionLen)
	}
	for name, n := range map[string]*int{"pendingOps": d.PendingOps, "rejectedOps": d.RejectedOps} {
		if n != nil && (*n < 0 || *n > maxReportedOps) {
			fe.Add(name, "a count from 0 to %d", maxReportedOps)
		}
	}
	return fe.Err()
}

// SyncResult answers one op.
type SyncResult struct {
	OpID    string          `json:"opId"`
	Result  string          `json:"result"`
	Feature *cunjie.Feature `json:"feature,omitempty"`
	// Inspection is the stored inspection of a putInspection op.
	Inspection any          `json:"inspection,omitempty"`
	Error      *ErrorDetail `json:"error,omitempty"`
}

func (s *Server) sync(c *fiber.Ctx) error {
	var req SyncRequest
	if err := decodeJSON(c, MaxSyncBytes, &req); err != nil {
		return err
	}
	if len(req.Ops) > MaxSyncOps {
		return cunjie.Errorf(cunjie.ETOOLARGE, "at most %d ops per batch, got %d", MaxSyncOps, len(req.Ops))
	}
	if err := req.DeviceReport.validate(); err != nil {
		return err
	}
	ops := make([]SyncOp, len(req.Ops))
	bad := make([]error, len(req.Ops))
	for i, raw := range req.Ops {
		if err := decodeStrict(raw, &ops[i]); err != nil {
			bad[i] = err
			// Keep the op id, if it can be read, so the phone can match
			// the rejection to its op.
			var loose struct {
				OpID string `json:"opId"`
			}
			json.Unmarshal(raw, &loose)
			ops[i] = SyncOp{Type: "invalid", OpID: loose.OpID}
		}
	}
	results := s.applySync(c.UserContext(), currentUser(c), ops, bad)
	s.recordSync(c.UserContext(), currentUser(c), &req.DeviceReport, len(ops))
	return c.JSON(fiber.Map{"results": results})
}

// applySync applies ops in order; consecutive feature writes go together
// so their creates are stored in bulk, and consecutive events so that each
// village's are committed at once. One bad op never sinks the others.
func (s *Server) applySync(ctx context.Context, u *cunjie.User, ops []SyncOp, bad []error) []SyncResult {
	outcomes := make([]writes.FeatureOutcome, len(ops))
	bodies := make([]any, len(ops)) // inspections stored by putInspection ops
	for i := 0; i < len(ops); {
		op := &ops[i]
		// A run of feature writes, or of events, is applied as one.
		var run func(context.Context, *cunjie.User, []SyncOp) []writes.FeatureOutcome
		switch op.Type {
		case "putFeature":
			run = s.putFeatureOps
		case "addEvent":
			run = s.addEvents
		}
		if run != nil {
			j := i + 1
			for j < len(ops) && ops[j].Type == op.Type {
				j++
			}
			copy(outcomes[i:j], run(ctx, u, ops[i:j]))
			i = j
			continue
		}
		switch op.Type {
		case "invalid":
			outcomes[i] = rejected(bad[i])
		case "deleteFeature":
			outcomes[i] = s.setDeleted(ctx, u, op.ID, op.OpID, true)
		case "putInspection":
			w := op.Inspection
			if w == nil {
				outcomes[i] = rejected(cunjie.Invalid("inspection", "required for putInspection"))
				break
			}
			if w.OpID == "" {
				w.OpID = op.OpID
			}
			res, body, err := s.putInspection(ctx, u, op.ID, w)
			outcomes[i] = writes.FeatureOutcome{Result: res, Err: err}
			bodies[i] = body
		default:
			outcomes[i] = rejected(cunjie.Invalid("type", "must be putFeature, addEvent, deleteFeature or putInspection"))
		}
		i++
	}
	results := make([]SyncResult, len(ops))
	for i, o := range outcomes {
		s.metrics.syncOps.WithLabelValues(o.Result).Inc()
		r := SyncResult{OpID: ops[i].OpID, Result: o.Result, Feature: shown(u, o.Object), Inspection: bodies[i]}
		if r.OpID == "" && ops[i].Feature != nil {
			r.OpID = ops[i].Feature.OpID
		}
		if r.OpID == "" && ops[i].Event != nil {
			r.OpID = ops[i].Event.OpID
		}
		if r.OpID == "" && ops[i].Inspection != nil {
			r.OpID = ops[i].Inspection.OpID
		}
		if o.Err != nil {
			status, d := errorDetail(o.Err)
			if status >= 500 {
				// The phone sees "internal"; the log says what it was.
				s.log.Error("sync op failed", "op", r.OpID, "type", ops[i].Type, "err", o.Err)
			}
			d.Current = nil // the feature field carries the server copy
			r.Error = &d
			if o.Result != writes.Conflict {
				r.Feature = nil
				r.Inspection = nil
			}
		}
		results[i] = r
	}
	return results
}

// MaxChangesPage bounds one page of the changes feed.
const MaxChangesPage = 1000

func (s *Server) changes(c *fiber.Ctx) error {
	code := c.Query("village")
	if _, err := s.village(c, code); err != nil {
		return err
	}
	since, err := strconv.ParseInt(c.Query("since", "0"), 10, 64)
	if err != nil || since < 0 {
		return cunjie.Invalid("since", "a cursor from a previous answer, or 0")
	}
	limit, err := strconv.Atoi(c.Query("limit", "500"))
	if err != nil || limit < 1 || limit > MaxChangesPage {
		return cunjie.Invalid("limit", "1 to %d", MaxChangesPage)
	}
	vi, err := s.writes.Current(c.UserContext(), code)
	if err != nil {
		return err
	}
	vi.RLock()
	items := vi.Index.Since(since, limit+1)
	vi.RUnlock()
	more := len(items) > limit
	if more {
		items = items[:limit]
	}
	fs := make([]*cunjie.Feature, len(items))
	next := since
	u := currentUser(c)
	for i, it := range items {
		fs[i] = shown(u, it.Value.(*cunjie.Feature))
		next = it.Seq
	}
	return c.JSON(fiber.Map{"village": code, "features": fs, "next": strconv.FormatInt(next, 10), "more": more})
}

// Apply runs a batch of ops as user u, as POST /sync does (the demo loader
// and the benchmarks use it).
func (s *Server) Apply(ctx context.Context, u *cunjie.User, ops []SyncOp) []SyncResult {
	return s.applySync(ctx, u, ops, make([]error, len(ops)))
}

// eventFields names an event's fields in an error about the change it
// makes: its status, and its note as the reason.
func eventFields(err error) error {
	var e *cunjie.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = map[string]string{}
	for k, v := range e.Fields {
		switch {
		case k == "reason":
			k = "note"
		case strings.HasPrefix(k, "attrs."):
			k = "status"
		}
		out.Fields[k] = v
	}
	return &out
}
