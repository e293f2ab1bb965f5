// Package api is Cunjie's HTTP interface: a Fiber v2 app with the routes of
// the v1 contract, authentication and role checks, and one error handler that
// turns domain error codes into HTTP statuses.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
	"github.com/cunjie/cunjie/writes"
)

// Limits on what one request may carry. Each is documented in the README.
const (
	MaxJSONBody   = 1 << 20  // 1 MiB for an ordinary JSON request
	MaxImportBody = 32 << 20 // 32 MiB for a village boundary file
	// MaxHeaderBytes bounds a request's line and headers together.
	MaxHeaderBytes = 16 << 10
)

// Options configure the server.
type Options struct {
	Store  *store.Store
	Logger *slog.Logger
	// Static is the web app's files; nil serves nothing at /.
	Static fs.FS
	// Tiles is the map tile source the web app uses.
	Tiles TileConfig
	// Metrics collects the server's metrics; nil makes a registry here.
	Metrics *Metrics
	// MetricsPublic serves /metrics without a token (when it listens on
	// a separate, private address); else only admins read it.
	MetricsPublic bool
	// TrustedProxies are reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed, so rate limits and logs see the
	// real client.
	TrustedProxies []string
	// Version is the build's version, shown in health answers.
	Version string
	// Now is the clock; tests move it.
	Now func() time.Time
	// IndexVillages bounds how many villages' features are held in memory.
	IndexVillages int
	// SnapshotEvery is how often one changed village is saved as a
	// snapshot; 0 means writes.DefaultSnapshotEvery.
	SnapshotEvery time.Duration
}

// Server holds what the handlers share.
type Server struct {
	app      *fiber.App
	store    *store.Store
	log      *slog.Logger
	clock    atomic.Pointer[func() time.Time] // read by now; tests move it with SetClock
	version  string
	villages atomic.Pointer[geo.Villages]
	// codesDone is closed when the start-up's code migration ends.
	codesDone chan struct{}
	logins    *loginLimiter
	sessions  *sessionCache
	routes    []route
	// writes applies every write and holds each village's current
	// features in memory, which every read of features is served from.
	writes   *writes.Writer
	warmCtx  context.Context
	stopWarm context.CancelFunc
	warmed   atomic.Bool
	tiles    TileConfig
	csp      string
	metrics  *Metrics
	conns    conns
	seen     seenTracker // when users were last heard from
	// overviews keeps each village's overview figures until it changes.
	overviews overviewCache
}

// warm loads village indexes in the background after start, so the first
// map view does not wait; requests for a village not loaded yet load it
// themselves (the cache shares one load between callers).
func (s *Server) warm(ctx context.Context, limit int) {
	defer s.warmed.Store(true)
	start := time.Now()
	all := s.villages.Load().All()
	codes := make(chan string)
	var wg sync.WaitGroup
	// Two loaders keep both cores busy: the store decodes while the
	// index is built.
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for code := range codes {
				if _, err := s.writes.Village(ctx, code); err != nil && ctx.Err() == nil {
					s.log.Warn("index warm-up", "village", code, "err", err)
				}
			}
		}()
	}
	for i, v := range all {
		if i >= limit || ctx.Err() != nil {
			break
		}
		codes <- v.Code
	}
	close(codes)
	wg.Wait()
	s.warmOverview(ctx, limit)
	st := s.writes.Stats()
	s.log.Info("index warm", "villages", st.Villages, "features", st.Items, "took", time.Since(start).Round(time.Millisecond))
}

// DefaultIndexVillages is how many villages' features are kept in memory
// unless configured.
const DefaultIndexVillages = 64

// Close stops background work and writes the snapshots of changed
// villages (within a short budget, so shutdown stays quick); the caller
// closes the store afterwards.
func (s *Server) Close() {
	s.stopWarm()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.writes.Close(ctx)
}

// New builds the Fiber app with every route, and loads the village shapes.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{store: o.Store, log: o.Logger, version: o.Version, logins: newLoginLimiter(), sessions: newSessionCache(),
		tiles: o.Tiles, csp: contentSecurityPolicy(o.Tiles.TileURL)}
	s.SetClock(o.Now)
	if err := s.reloadVillages(ctx); err != nil {
		return nil, err
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s.metrics = o.Metrics
	if o.IndexVillages <= 0 {
		o.IndexVillages = DefaultIndexVillages
	}
	s.writes = writes.New(writes.Options{Store: s.store, Log: s.log, Now: s.now, MaxVillages: o.IndexVillages,
		SnapshotEvery: o.SnapshotEvery, Prepare: s.markPendingPhotos, CodePrefix: s.codePrefix})
	s.warmCtx, s.stopWarm = context.WithCancel(context.Background())
	s.codesDone = make(chan struct{})
	go func() {
		s.warm(s.warmCtx, o.IndexVillages)
		s.migrateCodes(s.warmCtx)
	}()
	go s.writes.Run(s.warmCtx)
	s.app = fiber.New(fiber.Config{
		AppName:      "cunjie",
		ErrorHandler: s.errorHandler,
		BodyLimit:    MaxImportBody,
		// Against slow clients: a request must arrive within 60 s (a
		// photo of 8 MB at 2 Mbit/s takes 32 s), an answer be taken within
		// 10 minutes (a whole town's XLSX on a slow line).
		ReadTimeout:             60 * time.Second,
		WriteTimeout:            10 * time.Minute,
		IdleTimeout:             120 * time.Second,
		ReadBufferSize:          MaxHeaderBytes, // room for long headers, bounded: more answers 431
		EnableTrustedProxyCheck: len(o.TrustedProxies) > 0,
		TrustedProxies:          o.TrustedProxies,
		ProxyHeader:             proxyHeader(o.TrustedProxies),
		DisableStartupMessage:   true,
		// A village's map is a few thousand features: goccy/go-json
		// encodes it in a fraction of encoding/json's time.
		JSONEncoder: gojson.Marshal,
		JSONDecoder: gojson.Unmarshal,
		// Handlers keep strings from the request past their return (in
		// stores and indexes): make Fiber hand out copies.
		Immutable: true,
	})
	s.app.Server().ConnState = s.conns.track
	s.registerIndexMetrics()
	s.app.Use(s.conns.answering, s.requestID, s.observe, s.recoverer, s.securityHeaders, compress.New(compress.Config{
		// Fastest level: a village's map shrinks ~8× either way, and the
		// default level costs more time than it saves bytes.
		Level: compress.LevelBestSpeed,
		// Photos and XLSX are compressed already, and exports stream:
		// compressing would hold them whole in memory.
		Next: func(c *fiber.Ctx) bool {
			p := c.Path()
			return strings.HasPrefix(p, "/api/v1/photos/") || strings.HasPrefix(p, "/api/v1/export/") || p == "/api/v1/admin/backup"
		},
	}))
	// Innermost, so that a failed sync can still change the answer.
	s.app.Use(s.durable)
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
	if o.MetricsPublic {
		s.app.Get("/metrics", s.MetricsHandler())
	} else {
		s.app.Get("/metrics", s.authenticate(s.requireRole(adminOnly, s.MetricsHandler())))
	}
	s.app.All("/api/*", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	if o.Static != nil {
		s.app.Use(staticHandler(o.Static))
	}
	return s, nil
}

// SetClock replaces the server's clock (tests move it to make problems
// overdue); writes read it too, through the now method.
func (s *Server) SetClock(now func() time.Time) { s.clock.Store(&now) }

func (s *Server) now() time.Time { return (*s.clock.Load())() }

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
		id = newRequestID()
	}
	c.Locals("requestId", id)
	c.Set("X-Request-Id", id)
	return c.Next()
}

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
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
	if !s.warmed.Load() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(ErrorBody{Error: ErrorDetail{
			Code: cunjie.EINTERNAL, Message: "loading features into memory", RequestID: requestID(c)}})
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

// proxyHeader is the header holding the client address, read only when
// proxies are configured (and then only from them).
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
