// Command cunjie is the Cunjie (村洁) server: the API, the web app and, by
// default, its own embedded database in one binary.
//
//	cunjie [serve] [flags]   run the server (default)
//	cunjie demo [flags]      load the demo town
//	cunjie import FILE       import village boundaries (GeoJSON or KML)
//	cunjie user add ...      add a user
//	cunjie backup FILE       back up the database, photos included
//	cunjie restore FILE      load a backup into an empty store
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

var version = "dev"

func main() {
	// The heap is mostly the villages in memory, with each request's
	// garbage on top, and Go lets it grow to twice what is live. A
	// township's box is shorter of memory than of CPU: half that margin
	// kept the soak's server ~10 MB smaller (77 against 87 MB after 2
	// minutes at 40 batches/s) and its growth with the data within 15 %,
	// for 0.1 core more at that load. A GOGC the operator sets wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "cunjie:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, getenv, stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args, getenv, stdout, stderr)
	case "import":
		return cmdImport(ctx, args, getenv, stdout, stderr)
	case "user":
		return cmdUser(ctx, args, getenv, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return cmdRestore(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  cunjie [serve] [flags]             run the server (default)
  cunjie demo [flags]                load the demo town (idempotent)
  cunjie import [flags] FILE         import village boundaries (GeoJSON or KML)
  cunjie user add [flags] --username U --role R [--name N] [--villages C1,C2] [--password P]
  cunjie backup [flags] FILE         back up the database, photos included, to FILE (.tar.gz):
                                     through a running server with --url URL --token T
                                     ($CUNJIE_URL, $CUNJIE_TOKEN), else from the store itself
  cunjie restore [flags] [--force] FILE
                                     load a backup into an empty store (--data-dir or
                                     MONGODB_URI); --force drops the store's collections first
  cunjie version
Run any command with -h for its flags.`

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

func newLogger(c Config, w io.Writer) *slog.Logger {
	o := &slog.HandlerOptions{Level: logLevels[c.LogLevel]}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

func cmdServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig("serve", args, getenv)
	if err != nil {
		return err
	}
	m := NewMain(cfg, stdout, stderr)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	m.log.Info("shutting down")
	return m.Close()
}

// splitArgs separates flags (leading "-") from positional arguments, so
// that "import FILE --data-dir D" works as well as "import --data-dir D FILE".
func splitArgs(args []string) (flags, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(rest, args[i+1:]...)
		case len(a) > 1 && a[0] == '-':
			flags = append(flags, a)
			if !containsEq(a) && i+1 < len(args) && !isBoolFlag(a) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			rest = append(rest, a)
		}
	}
	return flags, rest
}

func containsEq(s string) bool {
	for _, r := range s {
		if r == '=' {
			return true
		}
	}
	return false
}

func isBoolFlag(a string) bool { return a == "-demo" || a == "--demo" || a == "-h" || a == "--help" }

var errUsage = errors.New(usage)
