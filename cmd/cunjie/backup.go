package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cunjie/cunjie/store"
)

// cmdBackup writes an archive of the whole database to FILE: through a
// running server (--url, --token), or straight from the store when no
// server has it open. Either way the archive is read back and checked
// against its manifest before it takes FILE's name, so a FILE that exists
// is a whole backup.
func cmdBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	own, rest, err := takeFlags(args, map[string]bool{"url": true, "token": true})
	if err != nil {
		return err
	}
	storeFlags, files := splitArgs(rest)
	if len(files) != 1 {
		return fmt.Errorf("backup needs one FILE to write\n%s", usage)
	}
	url := cmp.Or(own["url"], getenv("CUNJIE_URL"))
	token := cmp.Or(own["token"], getenv("CUNJIE_TOKEN"))
	start := time.Now()
	var fill func(w io.Writer) error
	if url != "" {
		if len(storeFlags) > 0 {
			return fmt.Errorf("backup: --url backs up through a running server; %s is for a stopped one: give one or the other", storeFlags[0])
		}
		if token == "" {
			return errors.New("backup: --url needs --token or $CUNJIE_TOKEN, an admin's token (from POST /api/v1/auth/login)")
		}
		fill = func(w io.Writer) error { return downloadBackup(ctx, url, token, w) }
	} else {
		m, err := openForCommand(ctx, "backup", storeFlags, getenv, stderr)
		if err != nil {
			if m != nil {
				m.Close()
			}
			// The embedded store's lock says a server has it open.
			if strings.Contains(err.Error(), "in use by another cunjie process") {
				err = fmt.Errorf("%w\nthe server is running: back up through it with --url http://HOST:PORT --token TOKEN", err)
			}
			return err
		}
		defer m.Close()
		if !m.Store.Embedded() {
			// A MongoDB may have a server writing to it as this reads.
			fmt.Fprintln(stdout, "note: writes are not held; for one consistent cut of a running server's feature data, back up through it with --url")
		}
		fill = func(w io.Writer) error {
			_, err := m.Store.Backup(ctx, w, store.BackupOptions{TempDir: filepath.Dir(files[0])})
			return err
		}
	}
	man, size, err := writeChecked(files[0], fill)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup of database %q (%s): %d collections, %d documents, %s, in %s → %s\n",
		man.Database, man.Source, len(man.Collections), man.Documents(), megabytes(size),
		time.Since(start).Round(10*time.Millisecond), files[0])
	return nil
}

// writeChecked has fill write a temporary file beside path, checks it as
// an archive, and renames it to path. The file is readable by its owner
// only: it holds password hashes.
func writeChecked(path string, fill func(w io.Writer) error) (*store.Manifest, int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return nil, 0, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := fill(tmp); err != nil {
		return nil, 0, err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	m, err := store.VerifyArchive(tmp)
	if err != nil {
		return nil, 0, fmt.Errorf("the archive written does not read back: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return nil, 0, err
	}
	if err := tmp.Close(); err != nil {
		return nil, 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, 0, err
	}
	done = true
	return m, size, nil
}

// downloadBackup copies the server's backup archive to w.
func downloadBackup(ctx context.Context, url, token string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(url, "/")+"/api/v1/admin/backup", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	// The archive is gzip already; asking for no encoding also keeps Go's
	// client from undoing a Content-Encoding on the way.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string }
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, msg)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// cmdRestore loads an archive into an empty store, or with --force into
// one whose collections it drops first. The archive is checked whole
// before the store is touched.
func cmdRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	own, rest, err := takeFlags(args, map[string]bool{"force": false})
	if err != nil {
		return err
	}
	force := false
	if v, ok := own["force"]; ok {
		if force, err = strconv.ParseBool(v); err != nil {
			return fmt.Errorf("--force=%q is not true or false", v)
		}
	}
	storeFlags, files := splitArgs(rest)
	if len(files) != 1 {
		return fmt.Errorf("restore needs one FILE to read\n%s", usage)
	}
	f, err := os.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	m, err := openForCommand(ctx, "restore", storeFlags, getenv, stderr)
	if err != nil {
		if m != nil {
			m.Close()
		}
		if strings.Contains(err.Error(), "in use by another cunjie process") {
			err = fmt.Errorf("%w\nstop the server before restoring into its data dir", err)
		}
		return err
	}
	defer m.Close()
	man, err := m.Store.Restore(ctx, f, store.RestoreOptions{Force: force})
	if errors.Is(err, store.ErrNotEmpty) {
		return fmt.Errorf("restore: %w\nrestore goes into an empty store; --force drops every collection there first, and its data with them", err)
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	target := "data dir " + m.Config.DataDir
	if m.Config.MongoURI != "" {
		target = fmt.Sprintf("MongoDB database %q", m.Config.DB)
	}
	fmt.Fprintf(stdout, "restored %d collections, %d documents (backup of %q taken %s) into %s in %s\n",
		len(man.Collections), man.Documents(), man.Database, man.Created.Format(time.RFC3339), target,
		time.Since(start).Round(10*time.Millisecond))
	return nil
}

// takeFlags takes a command's own flags out of args (own maps a name to
// whether it takes a value): "-name", "--name", "--name=value" and
// "--name value". What is left keeps its order for splitArgs, the store's
// flags and the positional arguments.
func takeFlags(args []string, own map[string]bool) (map[string]string, []string, error) {
	vals := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		takesValue, ok := own[name]
		if !strings.HasPrefix(a, "-") || !ok {
			rest = append(rest, a)
			continue
		}
		switch {
		case hasVal:
		case takesValue:
			if i+1 == len(args) {
				return nil, nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			val = args[i]
		default:
			val = "true"
		}
		vals[name] = val
	}
	return vals, rest, nil
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
