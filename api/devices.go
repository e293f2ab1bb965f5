package api

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

// recordSync keeps what the phone reported on a sync, after the ops were
// applied. A failure to keep it is logged: the ops are stored, and the
// phone must not send them again for a report.
func (s *Server) recordSync(ctx context.Context, u *cunjie.User, r *DeviceReport, sent int) {
	now := s.now()
	d := store.Device{User: u.ID, Device: r.Device, LastSyncAt: now, AppVersion: r.AppVersion, OpsSent: sent}
	if r.PendingOps != nil {
		d.PendingOps = *r.PendingOps
	}
	if r.RejectedOps != nil {
		d.RejectedOps = *r.RejectedOps
	}
	if err := s.store.RecordSync(ctx, d); err != nil {
		s.log.Warn("device report not kept", "user", u.Username, "err", err)
	}
	// The device's record says when the user synced; their last-seen
	// time is written no more often than for any other request.
	s.seen.record(ctx, s, u.ID, now, false)
}

// seenEvery bounds how often a user's "last seen" is written: a phone
// makes many requests a minute, the office needs minutes, not seconds.
const seenEvery = 5 * time.Minute

// seenTracker remembers when each user's last-seen time was last written.
type seenTracker struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// record writes that user id was heard from at now, unless it was written
// within seenEvery (always when force).
func (t *seenTracker) record(ctx context.Context, s *Server, id string, now time.Time, force bool) {
	t.mu.Lock()
	if t.last == nil || len(t.last) > 10000 {
		t.last = map[string]time.Time{}
	}
	prev, ok := t.last[id]
	due := force || !ok || now.Sub(prev) >= seenEvery || now.Before(prev)
	if due {
		t.last[id] = now
	}
	t.mu.Unlock()
	if !due {
		return
	}
	if err := s.store.Seen(ctx, id, now); err != nil {
		s.log.Warn("last seen not kept", "user", id, "err", err)
	}
}

// userActivity is a user as GET /users shows them: with when they were
// last heard from and what their phones last reported.
type userActivity struct {
	*cunjie.User
	LastSeenAt *time.Time `json:"lastSeenAt"`
	// LastSyncAt, AppVersion and PendingOps are of the phone that synced
	// last; Devices lists every phone.
	LastSyncAt  *time.Time     `json:"lastSyncAt"`
	AppVersion  string         `json:"appVersion"`
	PendingOps  int            `json:"pendingOps"`
	RejectedOps int            `json:"rejectedOps"`
	Devices     []store.Device `json:"devices"`
}

func withActivity(u *cunjie.User, seen map[string]time.Time, devices []store.Device) userActivity {
	a := userActivity{User: u, Devices: []store.Device{}}
	if t, ok := seen[u.ID]; ok {
		a.LastSeenAt = &t
	}
	for _, d := range devices { // newest sync first
		if d.User != u.ID {
			continue
		}
		if a.LastSyncAt == nil {
			t := d.LastSyncAt
			a.LastSyncAt, a.AppVersion, a.PendingOps, a.RejectedOps = &t, d.AppVersion, d.PendingOps, d.RejectedOps
		}
		a.Devices = append(a.Devices, d)
	}
	// A sync is being heard from too, and its record is the fresher.
	if a.LastSyncAt != nil && (a.LastSeenAt == nil || a.LastSyncAt.After(*a.LastSeenAt)) {
		t := *a.LastSyncAt
		a.LastSeenAt = &t
	}
	return a
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	ctx := c.UserContext()
	us, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	seen, err := s.store.LastSeen(ctx)
	if err != nil {
		return err
	}
	devices, err := s.store.Devices(ctx)
	if err != nil {
		return err
	}
	out := make([]userActivity, len(us))
	for i, u := range us {
		out[i] = withActivity(u, seen, devices)
	}
	return c.JSON(fiber.Map{"users": out})
}

// me is the logged-in user with what the server last heard from their
// phones: a person whose phone lost its storage learns how many records
// it still held unsent, and when.
func (s *Server) me(c *fiber.Ctx) error {
	u := currentUser(c)
	devices, err := s.store.UserDevices(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	seen, err := s.store.LastSeen(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(withActivity(u, seen, devices))
}
