package cunjie

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Kind is what a feature is. The Chinese labels live in the web app's i18n table.
type Kind string

const (
	KindBin             Kind = "bin"              // 垃圾桶
	KindGarbagePool     Kind = "garbage_pool"     // 垃圾池
	KindCollectionPoint Kind = "collection_point" // 垃圾收集点
	KindTransferStation Kind = "transfer_station" // 垃圾压缩中转站
	KindPublicToilet    Kind = "public_toilet"    // 公厕
	KindHouseholdToilet Kind = "household_toilet" // 户厕改造
	KindDemolition      Kind = "demolition"       // 危旧房拆除
	KindHousingReform   Kind = "housing_reform"   // 农村安居工程
	KindHousehold       Kind = "household"        // 农户（一户一档）
)

// Location is a GPS fix in WGS-84; Accuracy is the phone's radius in metres.
type Location struct {
	Lon      float64 `json:"lon"`
	Lat      float64 `json:"lat"`
	Accuracy float64 `json:"accuracy,omitempty"`
}

// Flags mark what an office worker should look at again.
type Flags struct {
	LowAccuracy       bool     `json:"lowAccuracy,omitempty"`
	OutsideVillage    bool     `json:"outsideVillage,omitempty"`
	PossibleDuplicate string   `json:"possibleDuplicate,omitempty"` // id of the near feature
	PhotosPending     []string `json:"photosPending,omitempty"`     // photo ids not yet uploaded
}

// Feature is one thing recorded at a GPS point: a bin, a toilet, a house.
type Feature struct {
	ID      string `json:"id"`
	Village string `json:"village"`
	Kind    Kind   `json:"kind"`
	// Code is the short code on the feature's label (一户一码), e.g.
	// 201-0042, given by the server; empty until it has one.
	Code     string         `json:"code,omitempty"`
	Location Location       `json:"location"`
	Attrs    map[string]any `json:"attrs"`
	Photos   []string       `json:"photos"`
	Flags    Flags          `json:"flags"`
	Version  int64          `json:"version"`
	// Seq is the village's write sequence number at this feature's last
	// change; the changes feed pages by it.
	Seq       int64     `json:"seq"`
	Deleted   bool      `json:"deleted,omitempty"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedBy string    `json:"updatedBy"`
	UpdatedAt time.Time `json:"updatedAt"`
	// Events holds the latest few events, packed; the full history is
	// kept apart.
	Events Events `json:"events"`
	// Ops are the hashed ids of the latest writes applied to the feature
	// (newest last), to answer a replay as a duplicate.
	Ops []OpHash `json:"-"`
	// Changes counts the writes to the feature since its creation that
	// are in its history: the store keeps a document per change, found
	// by this count.
	Changes int64 `json:"-"`
}

// AuditEntry records one write: who, when, from which op, what changed.
type AuditEntry struct {
	Op      string            `json:"op"`
	Action  string            `json:"action"` // create, update, delete, event, photos
	By      string            `json:"by"`
	At      time.Time         `json:"at"`
	Version int64             `json:"version"`
	Changes map[string]Change `json:"changes,omitempty"`
}

// Change is one field's value before and after a write.
type Change struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// Event is something that happened to a feature: emptied, repaired, a stage changed.
type Event struct {
	ID       string    `json:"id"`
	Feature  string    `json:"feature"`
	Type     string    `json:"type"`
	At       time.Time `json:"at"`
	Location *Location `json:"location,omitempty"`
	Note     string    `json:"note,omitempty"`
	Photos   []string  `json:"photos"`
	// Status is the new status or stage the event sets, if any.
	Status string    `json:"status,omitempty"`
	By     string    `json:"by"`
	Stored time.Time `json:"storedAt"`
}

// LatestEvents is how many events a feature keeps inline.
const LatestEvents = 5

// RecentOps is how many op ids a feature remembers, so a replayed update or
// event is recognised as already applied.
const RecentOps = 32

// OpHash stands for an op id in a feature's recent ops. A feature keeps
// its last RecentOps for as long as it lives, in memory too: 8 bytes each
// instead of a string of 16 bytes plus its 24–48 bytes of text. Two of a
// feature's 32 ids sharing a 64-bit hash is a chance of about 2^-55;
// SHA-256 keeps anyone from choosing an id that collides with another's.
type OpHash uint64

// HashOp is the OpHash of op id.
func HashOp(op string) OpHash {
	sum := sha256.Sum256([]byte(op))
	return OpHash(binary.BigEndian.Uint64(sum[:8]))
}
