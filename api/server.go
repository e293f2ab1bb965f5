// Package api is Cunjie's HTTP interface: a Fiber v2 app with the routes of
// the v1 contract, authentication and role checks, and one error handler that
// turns domain error codes into HTTP statuses.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// Limits on what one request may carry. Each is documented in the README.
const (
	MaxJSONBody   = 1 << 20  // 1 MiB for an ordinary JSON request
	MaxImportBody = 32 << 20 // 32 MiB for a village boundary file
)

// Options configure the server.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Static serves the web app; nil serves nothing at /.
	Static fiber.Handler
	// Version is the build's version, shown in health answers.
	Version string
	// Now is the clock; tests move it.
	Now func() time.Time
	// IndexVillages bounds how many villages' features are held in memory.
	IndexVillages int
}

// Server holds what the handlers share.
type Server struct {
	app      *fiber.App
	store    *store.Store
	log      *slog.Logger
	now      func() time.Time
	version  string
	villages atomic.Pointer[geo.Villages]
	logins   *loginLimiter
	sessions *sessionCache
	routes   []route
	// index holds each village's current features in memory; every read
	// of features is served from it.
	index    *geo.Cache
	warmCtx  context.Context
	stopWarm context.CancelFunc
}

// warm loads village indexes in the background after start, so the first
// map view does not wait; requests for a village not loaded yet load it
// themselves (the cache shares one load between callers).
func (s *Server) warm(ctx context.Context, limit int) {
	if limit <= 0 {
		limit = DefaultIndexVillages
	}
	for i, v := range s.villages.Load().All() {
		if i >= limit || ctx.Err() != nil {
			return
		}
		if _, err := s.index.Village(ctx, v.Code); err != nil && ctx.Err() == nil {
			s.log.Warn("index warm-up", "village", v.Code, "err", err)
		}
	}
}

// DefaultIndexVillages is how many villages' features are kept in memory
// unless configured.
const DefaultIndexVillages = 64

// Close stops background work; the caller closes the store afterwards.
func (s *Server) Close() { s.stopWarm() }

// New builds the Fiber app with every route, and loads the village shapes.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{store: o.Store, log: o.Logger, now: o.Now, version: o.Version, logins: newLoginLimiter(), sessions: newSessionCache()}
	if err := s.reloadVillages(ctx); err != nil {
		return nil, err
	}
	if o.IndexVillages <= 0 {
		o.IndexVillages = DefaultIndexVillages
	}
	s.index = geo.NewCache(s.loadVillageIndex, s.store.VillageRev, geo.CacheOptions{MaxVillages: o.IndexVillages})
	s.warmCtx, s.stopWarm = context.WithCancel(context.Background())
	go s.warm(s.warmCtx, o.IndexVillages)
	s.app = fiber.New(fiber.Config{
		AppName:               "cunjie",
		ErrorHandler:          s.errorHandler,
		BodyLimit:             MaxImportBody,
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          120 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// Handlers keep strings from the request past their return (in
		// stores and indexes): make Fiber hand out copies.
		Immutable: true,
	})
	s.app.Use(s.recoverer, s.requestID)
	s.routes = s.routeTable()
	v1 := s.app.Group("/api/v1")
	for _, r := range s.routes {
		h := r.handler
		if r.roles != nil {
			h = s.requireRole(r.roles, h)
		}
		if !r.public {
			h = s.authenticate(h)
		}
		v1.Add(r.method, r.path, h)
	}
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	s.app.All("/api/*", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	if o.Static != nil {
		s.app.Use(o.Static)
	}
	return s, nil
}

// App returns the Fiber app, to listen or to test.
func (s *Server) App() *fiber.App { return s.app }

func (s *Server) reloadVillages(ctx context.Context) error {
	vs, err := s.store.Villages(ctx)
	if err != nil {
		return fmt.Errorf("load villages: %w", err)
	}
	shapes := make([]geo.VillageShape, 0, len(vs))
	for _, v := range vs {
		mp, err := geo.DecodeBoundary(v.Boundary)
		if err != nil {
			return fmt.Errorf("village %s: stored boundary: %w", v.Code, err)
		}
		shapes = append(shapes, geo.VillageShape{Code: v.Code, Name: v.Name, Town: v.Town, Shape: mp})
	}
	s.villages.Store(geo.NewVillages(shapes))
	return nil
}

// loadVillageIndex reads a village's features for the index.
func (s *Server) loadVillageIndex(ctx context.Context, village string) ([]geo.Item, int64, error) {
	fs, rev, err := s.store.VillageFeatures(ctx, village)
	if err != nil {
		return nil, 0, err
	}
	items := make([]geo.Item, len(fs))
	for i, f := range fs {
		items[i] = featureItem(f)
	}
	return items, rev, nil
}

func (s *Server) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			logPanic(s.log, c, v, debug.Stack())
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return c.Next()
}

// requestID gives every request an id that its log lines and any error
// answer carry, so a person's report can be matched to the log.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get("X-Request-Id")
	if id == "" || len(id) > 64 || strings.ContainsAny(id, " \t\r\n\"") {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Locals("requestId", id)
	c.Set("X-Request-Id", id)
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestId").(string)
	return id
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok", "version": s.version})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.Status(fiber.StatusServiceUnavailable).JSON(ErrorBody{Error: ErrorDetail{
			Code: cunjie.EINTERNAL, Message: "store unreachable", RequestID: requestID(c)}})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// decodeJSON reads the body into v, refusing bodies over limit and unknown
// content, and naming the problem.
func decodeJSON(c *fiber.Ctx, limit int, v any) error {
	// The raw body: Fiber's c.Body() would inflate a compressed body with
	// no bound, so compressed requests are refused instead.
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && enc != "identity" {
		return cunjie.Invalid("Content-Encoding", "compressed request bodies are not accepted")
	}
	body := c.Request().Body()
	if len(body) > limit {
		return cunjie.Errorf(cunjie.ETOOLARGE, "request body over %d bytes", limit)
	}
	if len(body) == 0 {
		return cunjie.Invalid("body", "empty; a JSON object is expected")
	}
	return decodeStrict(body, v)
}
