package api

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Metrics are the server's Prometheus metrics, on a registry of their own
// so that tests can boot several servers in one process.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	syncOps  *prometheus.CounterVec
	store    *prometheus.HistogramVec
	photos   prometheus.Counter
}

// NewMetrics makes the metrics; the store's command monitor feeds the
// store latency, so it is made before the store is opened.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cunjie_http_requests_total",
			Help: "HTTP requests by route, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cunjie_http_request_duration_seconds",
			Help: "HTTP request latency by route and method.", Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)},
			[]string{"route", "method"}),
		syncOps: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cunjie_sync_ops_total",
			Help: "Sync and write ops by result: applied, duplicate, conflict, rejected."}, []string{"result"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cunjie_store_command_duration_seconds",
			Help:    "Database command latency by command and collection (per-village and per-month collections as one).",
			Buckets: prometheus.ExponentialBuckets(0.0002, 3, 10)},
			[]string{"command", "collection"}),
		photos: prometheus.NewCounter(prometheus.CounterOpts{Name: "cunjie_photos_stored_total",
			Help: "Photos stored (new uploads, not replays)."}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.syncOps, m.store, m.photos,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CommandMonitor times every database command for the store latency.
// The collection is only in the started event, so it is kept by request
// id until the command ends.
func (m *Metrics) CommandMonitor() *event.CommandMonitor {
	var colls sync.Map // request id → collection label
	observe := func(id int64, name string, d time.Duration) {
		col, _ := colls.LoadAndDelete(id)
		label, _ := col.(string)
		m.store.WithLabelValues(name, label).Observe(d.Seconds())
	}
	return &event.CommandMonitor{
		Started: func(_ context.Context, e *event.CommandStartedEvent) {
			colls.Store(e.RequestID, collectionLabel(e.Command))
		},
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			observe(e.RequestID, e.CommandName, e.Duration)
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) { observe(e.RequestID, e.CommandName, e.Duration) },
	}
}

// collectionLabel is the collection a command names (its first value),
// with a village's or a month's suffix made "*" so that the label stays
// one per kind of collection.
func collectionLabel(cmd bson.Raw) string {
	el, err := cmd.IndexErr(0)
	if err != nil {
		return ""
	}
	name, ok := el.Value().StringValueOK()
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(name, '_'); i >= 0 && i < len(name)-1 && strings.Trim(name[i+1:], "0123456789") == "" {
		return name[:i+1] + "*"
	}
	return name
}

// registerIndexMetrics reports the in-memory index from its stats at
// scrape time.
func (s *Server) registerIndexMetrics() {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	s.metrics.Registry.MustRegister(
		gauge("cunjie_index_villages", "Villages whose features are in memory.", func() float64 { return float64(s.writes.Stats().Villages) }),
		gauge("cunjie_index_features", "Features held in memory.", func() float64 { return float64(s.writes.Stats().Items) }),
		counter("cunjie_index_hits_total", "Index lookups served from memory.", func() float64 { return float64(s.writes.Stats().Hits) }),
		counter("cunjie_index_misses_total", "Index lookups that loaded a village.", func() float64 { return float64(s.writes.Stats().Misses) }),
		counter("cunjie_index_reloads_total", "Villages reloaded after another instance wrote.", func() float64 { return float64(s.writes.Stats().Reloads) }),
	)
}

// observe counts and times each request, labelled by its route pattern
// (not its path, which would hold ids), and writes the request log line.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status, _ = errorDetail(err)
	}
	route := c.Route().Path
	if route == "/" || route == "" || route == "/*" {
		route = "static"
	}
	d := time.Since(start)
	s.metrics.requests.WithLabelValues(route, c.Method(), strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(route, c.Method()).Observe(d.Seconds())
	attrs := []any{"method", c.Method(), "path", c.Path(), "status", status, "ms", float64(d.Microseconds()) / 1000,
		"requestId", requestID(c), "ip", c.IP()}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user", u.Username)
	}
	s.log.Info("request", attrs...)
	return err
}

// MetricsHandler serves the metrics in Prometheus' text format.
func (s *Server) MetricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
}
