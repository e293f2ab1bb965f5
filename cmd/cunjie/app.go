package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/pprof"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/api"
	"github.com/cunjie/cunjie/pwa"
	"github.com/cunjie/cunjie/store"
)

// Main is the running program: tests boot it on port 0 and close it.
type Main struct {
	Config Config
	Store  *store.Store
	Server *api.Server

	log     *slog.Logger
	stdout  io.Writer
	ln      net.Listener
	served  chan error
	metrics *api.Metrics
	// metricsApp serves /metrics alone on --metrics-addr.
	metricsApp *fiber.App
	metricsLn  net.Listener
}

// metricsAddr is where --metrics-addr listens, once running.
func (m *Main) metricsAddr() string {
	if m.metricsLn == nil {
		return ""
	}
	return m.metricsLn.Addr().String()
}

// NewMain returns a program that logs to stderr and prints what a person
// must see (URL, logins) to stdout.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	return &Main{Config: cfg, log: newLogger(cfg, stderr), stdout: stdout, metrics: api.NewMetrics()}
}

// Run opens the store, makes the first admin, optionally loads the demo
// town, and starts serving. It returns once the server listens.
func (m *Main) Run(ctx context.Context) error {
	m.log.Info("starting", "version", version, "config", m.Config.String())
	st, err := m.openStore(ctx)
	if err != nil {
		return err
	}
	m.Store = st
	if err := m.ensureAdmin(ctx); err != nil {
		return err
	}
	if m.Config.Demo {
		if err := loadDemo(ctx, st, m.Config.DataDir, m.stdout, m.log); err != nil {
			return fmt.Errorf("demo town: %w", err)
		}
	}
	m.Server, err = api.New(ctx, api.Options{
		Store: st, Logger: m.log, Version: version,
		Static: pwa.Files(), IndexVillages: m.Config.IndexVillages, SnapshotEvery: m.Config.SnapshotEvery, Metrics: m.metrics, TrustedProxies: m.Config.TrustedProxies,
		Tiles: api.TileConfig{TileURL: m.Config.TileURL, TileGCJ02: m.Config.TileGCJ02,
			TileAttribution: m.Config.TileAttribution, TileSubdomains: m.Config.TileSubdomains},
	})
	if err != nil {
		return err
	}
	if m.Config.Demo {
		if err := loadDemoFeaturesAs(ctx, m.Store, m.Server, m.log); err != nil {
			return fmt.Errorf("demo town: %w", err)
		}
	}
	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = api.LingerListener(m.ln)
	if m.Config.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey)
		if err != nil {
			m.ln.Close()
			return fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		m.ln = tls.NewListener(m.ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.Server.App().Listener(m.ln) }()
	if m.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", m.Config.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", m.Config.MetricsAddr, err)
		}
		m.metricsLn = mln
		m.metricsApp = fiber.New(fiber.Config{DisableStartupMessage: true})
		m.metricsApp.Get("/metrics", m.Server.MetricsHandler())
		// Go's profiles too: this address is private, and a slow server
		// is best understood from where its time goes.
		m.metricsApp.Use(pprof.New())
		go m.metricsApp.Listener(mln)
		m.log.Info("metrics", "addr", mln.Addr().String())
	}
	fmt.Fprintf(m.stdout, "Cunjie (村洁) is serving at %s\n", m.URL())
	return nil
}

func (m *Main) openStore(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, store.Config{URI: m.Config.MongoURI, DataDir: m.Config.DataDir, DB: m.Config.DB, Logger: m.log,
		Monitor: m.metrics.CommandMonitor()})
}

// URL is where a browser on this machine reaches the server.
func (m *Main) URL() string {
	addr, _ := m.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	scheme := "http"
	if m.Config.TLSCert != "" {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close stops taking requests, lets running ones finish for a few seconds,
// and closes the store. Closing again does nothing.
func (m *Main) Close() error {
	var errs []error
	if m.metricsApp != nil {
		// Bounded: a scraper's connection that sent nothing, or a 30 s
		// profile, would hold the stop (this app has no read timeout), and
		// metrics are not worth waiting for.
		m.metricsApp.ShutdownWithTimeout(time.Second)
		m.metricsApp = nil
	}
	if m.Server != nil && m.ln != nil {
		if err := m.Server.Shutdown(4 * time.Second); err != nil {
			errs = append(errs, err)
		}
		// Fiber's Shutdown does nothing if it comes before the serving
		// goroutine started; closing the listener ends that goroutine too.
		m.ln.Close()
		<-m.served
		m.ln = nil
	}
	if m.Server != nil {
		m.Server.Close()
		m.Server = nil
	}
	// The metrics' collectors read the server's index: dropped too, so a
	// closed Main holds none of the features (a test process that ran a
	// server keeps the Main until it ends).
	m.metrics = nil
	if m.Store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		errs = append(errs, m.Store.Close(ctx))
		m.Store = nil
	}
	return errors.Join(errs...)
}

const adminPasswordFile = "initial-admin-password"

// ensureAdmin creates the first admin on an empty store. Its password comes
// from CUNJIE_ADMIN_PASSWORD or is generated, printed once and, on the
// embedded store, kept in a file only the owner can read.
func (m *Main) ensureAdmin(ctx context.Context) error {
	n, err := m.Store.CountUsers(ctx)
	if err != nil {
		return err
	}
	pwFile := ""
	if m.Store.Embedded() {
		pwFile = filepath.Join(m.Config.DataDir, adminPasswordFile)
	}
	if n > 0 {
		if pwFile != "" {
			if _, err := os.Stat(pwFile); err == nil {
				fmt.Fprintf(m.stdout, "Admin login: admin, password in %s (delete the file once you changed it)\n", pwFile)
			}
		}
		return nil
	}
	pw := m.Config.AdminPassword
	generated := pw == ""
	if generated {
		pw = randomPassword()
	}
	u := &cunjie.User{Username: "admin", Name: "镇办管理员", Role: cunjie.RoleAdmin}
	if err := m.Store.CreateUser(ctx, u, pw); err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	if !generated {
		fmt.Fprintln(m.stdout, "Admin login: admin, password from CUNJIE_ADMIN_PASSWORD")
		return nil
	}
	fmt.Fprintf(m.stdout, "Admin login: admin / %s   (shown once", pw)
	if pwFile != "" {
		if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(m.stdout, "; also kept in %s", pwFile)
	}
	fmt.Fprintln(m.stdout, ")")
	return nil
}

// randomPassword returns 16 characters that are easy to read aloud and type
// on a phone: no 0/O, 1/l/I.
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	var b [16]byte
	rand.Read(b[:])
	var sb strings.Builder
	for _, x := range b {
		sb.WriteByte(alphabet[int(x)%len(alphabet)])
	}
	return sb.String()
}
