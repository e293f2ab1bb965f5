package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
)

type createUserRequest struct {
	Username string      `json:"username"`
	Password string      `json:"password"`
	Name     string      `json:"name"`
	Role     cunjie.Role `json:"role"`
	Villages []string    `json:"villages"`
}

// patchUserRequest has pointer fields: a field not sent is left as it is.
type patchUserRequest struct {
	Name     *string      `json:"name"`
	Role     *cunjie.Role `json:"role"`
	Villages *[]string    `json:"villages"`
	Disabled *bool        `json:"disabled"`
	Password *string      `json:"password"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req createUserRequest
	if err := decodeJSON(c, MaxJSONBody, &req); err != nil {
		return err
	}
	u := &cunjie.User{Username: req.Username, Name: req.Name, Role: req.Role, Villages: req.Villages}
	if err := s.checkVillagesExist("villages", u.Villages); err != nil {
		return err
	}
	if err := s.store.CreateUser(c.UserContext(), u, req.Password); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) patchUser(c *fiber.Ctx) error {
	var req patchUserRequest
	if err := decodeJSON(c, MaxJSONBody, &req); err != nil {
		return err
	}
	id := c.Params("id")
	if req.Villages != nil {
		if err := s.checkVillagesExist("villages", *req.Villages); err != nil {
			return err
		}
	}
	if id == currentUser(c).ID && ((req.Disabled != nil && *req.Disabled) || (req.Role != nil && *req.Role != cunjie.RoleAdmin)) {
		return cunjie.Invalid("role", "an admin cannot disable or demote themself")
	}
	u, err := s.store.UpdateUser(c.UserContext(), id, store.UserUpdate{
		Name: req.Name, Role: req.Role, Villages: req.Villages, Disabled: req.Disabled, Password: req.Password})
	if err != nil {
		return err
	}
	s.sessions.clear() // the user's rights changed: check tokens anew
	return c.JSON(u)
}

// checkVillagesExist refuses codes of villages the town does not have.
func (s *Server) checkVillagesExist(field string, codes []string) error {
	vs := s.villages.Load()
	for _, code := range codes {
		if _, ok := vs.Get(code); !ok {
			return cunjie.Invalid(field, "no village with code %q", code)
		}
	}
	return nil
}
