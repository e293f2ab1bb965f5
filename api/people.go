package api

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// Person is how the app names the author of a record: records carry the
// author's login (inspector.sheshang), people read their name.
type Person struct {
	Username string      `json:"username"`
	Name     string      `json:"name"`
	Role     cunjie.Role `json:"role"`
}

// listPeople answers the names of the people whose work the caller sees:
// for staff, everyone; for a cleaner, the staff and the cleaners of their
// own villages (a cleaner sees only those villages' records). Logins,
// names and roles only: no villages, phones or activity, which are the
// town office's (GET /users). Disabled users stay, since their records do.
func (s *Server) listPeople(c *fiber.Ctx) error {
	me := currentUser(c)
	us, err := s.store.Users(c.UserContext())
	if err != nil {
		return err
	}
	out := []Person{}
	for _, u := range us {
		if me.IsStaff() || u.IsStaff() || slices.ContainsFunc(u.Villages, me.CanReadVillage) {
			out = append(out, Person{Username: u.Username, Name: u.Name, Role: u.Role})
		}
	}
	return c.JSON(fiber.Map{"people": out})
}
