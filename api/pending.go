package api

import (
	"context"
	"slices"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/writes"
)

// markPendingPhotos sets each feature's photosPending to the photos it (or
// one of its latest events) names that have not arrived yet, and links the
// arrived ones to the feature's village for the photo access checks.
func (s *Server) markPendingPhotos(ctx context.Context, u *cunjie.User, fs []*cunjie.Feature) {
	for _, f := range fs {
		ids := slices.Clone(f.Photos)
		for e := range f.Events.All() {
			ids = append(ids, e.Photos...)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) == 0 {
			f.Flags.PhotosPending = nil
			continue
		}
		// Say the feature waits before looking whether the photos are
		// there: a photo arriving in between then finds the record and
		// clears the flag (it waits for our village lock to do so).
		if err := s.store.AddPendingPhotos(ctx, f.Village, f.ID, u.ID, ids); err != nil {
			s.log.Warn("pending photos not recorded", "feature", f.ID, "err", err)
		}
		missing, err := s.store.LinkPhotos(ctx, f.Village, ids)
		if err != nil {
			// Unknown is safer shown as pending: an office worker looks.
			s.log.Warn("photo link failed", "feature", f.ID, "err", err)
			missing = ids
		}
		f.Flags.PhotosPending = missing
	}
}

// systemUser makes the server's own changes (clearing flags) through the
// same write path as people's.
var systemUser = &cunjie.User{ID: "system", Username: "system", Role: cunjie.RoleAdmin}

// photoArrived clears the photo from the flags of the features waiting for it.
func (s *Server) photoArrived(ctx context.Context, photoID string) {
	village, features, err := s.store.TakePendingPhoto(ctx, photoID)
	if err != nil {
		s.log.Warn("pending photo lookup failed", "photo", photoID, "err", err)
		return
	}
	if village != "" {
		if _, err := s.store.LinkPhotos(ctx, village, []string{photoID}); err != nil {
			s.log.Warn("photo link failed", "photo", photoID, "err", err)
		}
	}
	for _, id := range features {
		o := s.writes.Change(ctx, systemUser, id, &writes.Change{Op: "photo-" + photoID, Action: "photos",
			Apply: func(cur, next *cunjie.Feature, _ *geo.Index, _ *[]cunjie.Event) *writes.FeatureOutcome {
				if !slices.Contains(cur.Flags.PhotosPending, photoID) {
					return &writes.FeatureOutcome{Result: writes.Duplicate, Object: cur}
				}
				return nil // markPendingPhotos recomputes the flag
			}})
		if o.Err != nil {
			s.log.Warn("photos pending flag not cleared", "feature", id, "err", o.Err)
		}
	}
}

// checkPhotoNames refuses the photos u may not name on a record of
// village: one uploaded by someone else that belongs to no village or to
// another, or one not uploaded yet that another person's record awaits.
// Otherwise a person could take a photo that is not theirs into their own
// village, read it, and take it from its uploader's. Staff may name any.
func (s *Server) checkPhotoNames(ctx context.Context, u *cunjie.User, village string, ids []string) error {
	if u.IsStaff() {
		return nil
	}
	for _, id := range ids {
		p, err := s.store.Photo(ctx, id)
		switch {
		case err == nil:
			if p.UploadedBy == u.ID || p.Village == village {
				continue
			}
		case cunjie.ErrorCode(err) == cunjie.ENOTFOUND:
			by, err := s.store.PhotoAwaitedBy(ctx, id)
			if err != nil {
				return err
			}
			if by == "" || by == u.ID {
				continue
			}
		default:
			return err
		}
		e := cunjie.Errorf(cunjie.EFORBIDDEN, "photo %s is another person's; take a photo of your own", id)
		e.Fields = map[string]string{"photos": "photo " + id + " is another person's"}
		return e
	}
	return nil
}
