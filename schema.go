package cunjie

import (
	"maps"
	"slices"
)

// KindSchema is what one kind records, with who may change what: what
// GET /kinds publishes and what the web app is built with
// (pwa/src/domain.gen.js, made by `go generate ./pwa`).
type KindSchema struct {
	Kind          Kind       `json:"kind"`
	StatusAttr    string     `json:"statusAttr"`
	Attrs         []AttrSpec `json:"attrs"`
	Events        []string   `json:"events"`
	SettledStages []string   `json:"settledStages,omitempty"`
	// StageDate is the date a write fills when the stage reaches one of
	// its stages and the date is empty (FillStageDate).
	StageDate *StageDate `json:"stageDate,omitempty"`
}

// Schema lists every kind's schema, in kind order.
func Schema() []KindSchema {
	out := make([]KindSchema, 0, len(kindOrder))
	for _, k := range kindOrder {
		ks := KindSchema{Kind: k, StatusAttr: StatusAttr(k), Attrs: AttrSpecs(k),
			Events: EventTypes(k), SettledStages: SettledStages(k)}
		if d, ok := stageDates[k]; ok {
			ks.StageDate = &d
		}
		out = append(out, ks)
	}
	return out
}

// StatusEventTypes lists the event types that exist to set a status or
// stage, so they need one.
func StatusEventTypes() []string { return slices.Sorted(maps.Keys(statusEvents)) }

// RestoringEventTypes lists the event types that, logged without a status,
// set it to "ok" (see ValidateEvent).
func RestoringEventTypes() []string { return slices.Sorted(maps.Keys(restoringEvents)) }
