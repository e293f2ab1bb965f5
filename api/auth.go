package api

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// authenticate admits a request with a valid bearer token and keeps its user.
func (s *Server) authenticate(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
		if !ok {
			return cunjie.Errorf(cunjie.EUNAUTHORIZED, "missing bearer token")
		}
		token = strings.TrimSpace(token)
		u, err := s.sessions.get(token, s.now(), func() (*cunjie.User, error) {
			return s.store.SessionUser(c.UserContext(), token, s.now())
		})
		if err != nil {
			return err
		}
		c.Locals("user", u)
		c.Locals("token", token)
		s.seen.record(c.UserContext(), s, u.ID, s.now(), false)
		return next(c)
	}
}

func (s *Server) requireRole(roles []cunjie.Role, next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := currentUser(c)
		for _, r := range roles {
			if u.Role == r {
				return next(c)
			}
		}
		return cunjie.Errorf(cunjie.EFORBIDDEN, "your role (%s) may not do this", u.Role)
	}
}

func currentUser(c *fiber.Ctx) *cunjie.User {
	u, _ := c.Locals("user").(*cunjie.User)
	return u
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token string       `json:"token"`
	User  *cunjie.User `json:"user"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, 4<<10, &req); err != nil {
		return err
	}
	now := s.now()
	keys := []string{"u:" + strings.ToLower(req.Username), "a:" + c.IP()}
	if wait := s.logins.blocked(keys, now); wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
		return cunjie.Errorf(cunjie.ERATELIMITED, "too many failed logins; try again in %d minutes", int(wait.Minutes())+1)
	}
	u, err := s.store.Authenticate(c.UserContext(), req.Username, req.Password)
	if err != nil {
		if cunjie.ErrorCode(err) == cunjie.EUNAUTHORIZED {
			s.logins.fail(keys, now)
		}
		return err
	}
	s.logins.succeed(keys[0])
	s.seen.record(c.UserContext(), s, u.ID, now, true)
	token, err := s.store.CreateSession(c.UserContext(), u.ID, now)
	if err != nil {
		return err
	}
	return c.JSON(loginResponse{Token: token, User: u})
}

func (s *Server) logout(c *fiber.Ctx) error {
	token, _ := c.Locals("token").(string)
	if err := s.store.DeleteSession(c.UserContext(), token); err != nil {
		return err
	}
	s.sessions.forget(token)
	return c.SendStatus(fiber.StatusNoContent)
}

// Failed logins allowed per username and per address within loginWindow
// before login answers 429 until the window has passed.
const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
	// An address may fail more often than one username: a town office
	// behind one NAT address holds many people.
	loginMaxFailuresAddr = 30
)

// loginLimiter counts recent failed logins in memory. Counts are lost on
// restart, which only shortens a lockout.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
	swept time.Time
}

func newLoginLimiter() *loginLimiter { return &loginLimiter{fails: map[string][]time.Time{}} }

func limitFor(key string) int {
	if strings.HasPrefix(key, "a:") {
		return loginMaxFailuresAddr
	}
	return loginMaxFailures
}

// blocked returns how long the most blocked key must still wait.
func (l *loginLimiter) blocked(keys []string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range keys {
		ts := recent(l.fails[k], now)
		l.fails[k] = ts
		if len(ts) >= limitFor(k) {
			if w := ts[len(ts)-limitFor(k)].Add(loginWindow).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait
}

func (l *loginLimiter) fail(keys []string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.fails[k] = append(recent(l.fails[k], now), now)
	}
	// Forget old entries now and then so the map stays small under a
	// spray of usernames.
	if now.Sub(l.swept) > loginWindow {
		for k, ts := range l.fails {
			if len(recent(ts, now)) == 0 {
				delete(l.fails, k)
			}
		}
		l.swept = now
	}
}

func (l *loginLimiter) succeed(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}

func recent(ts []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= loginWindow {
		i++
	}
	return ts[i:]
}

// sessionCacheTTL is how long a checked token is trusted without asking the
// store: a phone syncing in batches would otherwise pay two reads a batch.
// Logout and changes to users clear the cache at once on this instance;
// another instance notices within the TTL.
const sessionCacheTTL = 10 * time.Second

type cachedSession struct {
	user    *cunjie.User
	checked time.Time
}

type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

func newSessionCache() *sessionCache { return &sessionCache{m: map[string]cachedSession{}} }

func (sc *sessionCache) get(token string, now time.Time, load func() (*cunjie.User, error)) (*cunjie.User, error) {
	sc.mu.Lock()
	e, ok := sc.m[token]
	sc.mu.Unlock()
	if ok && now.Sub(e.checked) < sessionCacheTTL && now.Sub(e.checked) >= 0 {
		return e.user, nil
	}
	u, err := load()
	if err != nil {
		sc.forget(token)
		return nil, err
	}
	sc.mu.Lock()
	if len(sc.m) > 10000 { // bound memory; entries refill on use
		clear(sc.m)
	}
	sc.m[token] = cachedSession{user: u, checked: now}
	sc.mu.Unlock()
	return u, nil
}

func (sc *sessionCache) forget(token string) {
	sc.mu.Lock()
	delete(sc.m, token)
	sc.mu.Unlock()
}

func (sc *sessionCache) clear() {
	sc.mu.Lock()
	clear(sc.m)
	sc.mu.Unlock()
}
