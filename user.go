package cunjie

import (
	"regexp"
	"slices"
	"time"
)

// Role is what a user may do.
type Role string

const (
	RoleAdmin     Role = "admin"     // 镇办: everything, alone manages users, villages, templates, deletions
	RoleInspector Role = "inspector" // 检查员: reads all, writes features, events, inspections anywhere
	RoleCleaner   Role = "cleaner"   // 保洁员: reads and writes only in their own villages
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleInspector || r == RoleCleaner
}

// User is a person who logs in.
type User struct {
	ID       string    `json:"id"`
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Villages []string  `json:"villages"` // division codes; meaningful for cleaners
	Disabled bool      `json:"disabled"`
	Created  time.Time `json:"createdAt"`
}

// CanReadVillage reports whether u may see objects of village code.
func (u *User) CanReadVillage(code string) bool {
	if u.Role == RoleCleaner {
		return slices.Contains(u.Villages, code)
	}
	return true
}

// CanWriteVillage reports whether u may record in village code.
func (u *User) CanWriteVillage(code string) bool {
	return u.CanReadVillage(code)
}

// IsStaff reports whether u is an inspector or admin (reads everything).
func (u *User) IsStaff() bool { return u.Role == RoleAdmin || u.Role == RoleInspector }

var usernameRe = regexp.MustCompile(`^[a-zA-Z0-9_.\-]{2,32}$`)

// MinPasswordLen is the shortest password accepted, in bytes.
const MinPasswordLen = 8

// MaxPasswordBytes is the longest password accepted: bcrypt reads 72
// bytes and would silently ignore the rest. A Chinese character is 3
// bytes in UTF-8, so that is 24 of them.
const MaxPasswordBytes = 72

// ValidateUser checks a new or changed user. password is checked only when
// not empty (an update may leave it unchanged).
func ValidateUser(u *User, password string, isNew bool) error {
	fe := FieldErrors{}
	if !usernameRe.MatchString(u.Username) {
		fe.Add("username", "2–32 letters, digits, '_', '.' or '-'")
	}
	if !u.Role.Valid() {
		fe.Add("role", "must be admin, inspector or cleaner")
	}
	if len([]rune(u.Name)) > 64 {
		fe.Add("name", "at most 64 characters")
	}
	if isNew && password == "" {
		fe.Add("password", "required")
	}
	if password != "" && len(password) < MinPasswordLen {
		fe.Add("password", "at least %d characters", MinPasswordLen)
	}
	if len(password) > MaxPasswordBytes {
		fe.Add("password", "at most %d bytes (a Chinese character takes 3); this one has %d", MaxPasswordBytes, len(password))
	}
	if u.Role == RoleCleaner && len(u.Villages) == 0 {
		fe.Add("villages", "a cleaner needs at least one village")
	}
	if len(u.Villages) > 200 {
		fe.Add("villages", "at most 200")
	}
	for _, c := range u.Villages {
		if !ValidVillageCode(c) {
			fe.Add("villages", "%q is not a 12-digit division code", c)
		}
	}
	return fe.Err()
}
