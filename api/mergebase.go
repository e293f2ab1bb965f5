package api

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/writes"
)

// withBase adds to a version conflict the attributes the feature had at
// the version the phone edited, so the phone can merge field by field:
// a field only one side changed is taken from that side, only a field
// both changed is asked about. Without it the phone could only choose
// one whole copy and undo the other person's change.
// The base is shown with the attributes u's role may see, as the feature is.
func (s *Server) withBase(ctx context.Context, u *cunjie.User, o *writes.FeatureOutcome, cur *cunjie.Feature, baseVersion int64) {
	var de *cunjie.Error
	if !errors.As(o.Err, &de) || baseVersion < 1 || baseVersion >= cur.Version {
		return
	}
	_, audit, err := s.store.History(ctx, cur.ID, cur.Changes)
	if err != nil {
		s.log.Warn("conflict without base", "feature", cur.ID, "err", err)
		return // the phone falls back to choosing a whole copy
	}
	if attrs, ok := attrsAt(cur.Attrs, audit, baseVersion); ok {
		de.Base = map[string]any{"version": baseVersion, "attrs": cunjie.VisibleAttrs(u.Role, attrs)}
	}
}

// attrsAt walks the audit trail back from the current attributes,
// undoing every change made after version v. It fails when the trail does
// not reach back to v. A create has no entry of its own: the trail
// starts at version 1.
func attrsAt(cur map[string]any, audit []cunjie.AuditEntry, v int64) (map[string]any, bool) {
	attrs := maps.Clone(cur)
	if attrs == nil {
		attrs = map[string]any{}
	}
	reached := v == 1
	for _, a := range slices.Backward(audit) {
		if a.Version <= v {
			reached = a.Version == v
			break
		}
		for k, ch := range a.Changes {
			name, ok := strings.CutPrefix(k, "attrs.")
			if !ok {
				continue
			}
			if ch.From == nil {
				delete(attrs, name)
			} else {
				attrs[name] = ch.From
			}
		}
	}
	return attrs, reached
}
