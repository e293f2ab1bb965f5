package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie/geo"
	"github.com/cunjie/cunjie/store"
)

// Backups of a running server. The embedded store admits one process per
// data directory, so `cunjie backup` cannot open it beside the server: it
// asks the server instead, which writes the archive with store.Backup.
//
// Consistency: while the feature data is read (index snapshots, features,
// histories, pending photos, village counters), the server holds every
// village's read lock, which each of its feature writers takes for writing
// around its store writes. That data is therefore one cut: no feature write
// of this server is half in it. Writes wait meanwhile (about a second for
// the demo town's 3,000 features); reads go on, except of a village whose
// writer waits. The rest is read after the locks are let go, each
// collection as it is at its turn: users, sessions, villages, assessments,
// the audit log (their writers take no village lock), then the id claims
// (each feature read has its claim), then the photos. A photo uploaded
// meanwhile may be in the archive while a feature naming it still shows it
// as pending (the phone's next upload of it clears that). Writers of other
// server instances on one MongoDB are not held.

// backupTimeout bounds the reading of the database for one backup.
const backupTimeout = 30 * time.Minute

// backupSendTimeout is how long a backup download may stall before it is
// cut; it is extended at every block sent, so a large archive over a slow
// link still arrives (the server's WriteTimeout would cut it).
const backupSendTimeout = 2 * time.Minute

func (s *Server) backupRoutes() []route {
	return []route{
		{method: "GET", path: "/admin/backup", summary: "Download a backup archive (tar.gz) of the whole database, photos included; feature writes wait while the feature data is read", tag: "admin", roles: adminOnly, handler: s.backup},
	}
}

// backup writes the archive to an unlinked temporary file, so that writers
// wait only for the database to be read, never for the network, and then
// sends the file with its length.
func (s *Server) backup(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), backupTimeout)
	defer cancel()
	// On record like every export, and before the reading, so the archive
	// itself says who took it.
	u := currentUser(c)
	if err := s.store.AddAuditLog(ctx, store.AuditLog{At: s.now(), User: u.Username, Role: string(u.Role),
		Action: "backup", Detail: "the whole database, photos and personal data included", IP: c.IP()}); err != nil {
		return err
	}
	f, err := os.CreateTemp("", "cunjie-backup-*.tar.gz")
	if err != nil {
		return err
	}
	// Unlinked at once: the space comes back when the file is closed,
	// however the request ends.
	os.Remove(f.Name())
	start := time.Now()
	var held time.Duration
	m, err := s.store.Backup(ctx, f, store.BackupOptions{Pause: func(ctx context.Context) (func(), error) {
		resume, err := s.holdWriters(ctx)
		if err != nil {
			return nil, err
		}
		t := time.Now()
		return func() { resume(); held = time.Since(t) }, nil
	}})
	if err != nil {
		f.Close()
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return err
	}
	s.log.Info("backup", "by", u.Username, "collections", len(m.Collections), "documents", m.Documents(),
		"bytes", size, "took", time.Since(start).Round(time.Millisecond), "writesHeld", held.Round(time.Millisecond))

	name := fmt.Sprintf("cunjie-%s-%s.tar.gz", m.Database, m.Created.Format("20060102-150405"))
	c.Set(fiber.HeaderContentType, "application/gzip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	// The archive is gzip already: without Accept-Encoding the compress
	// middleware leaves it alone instead of compressing it again.
	c.Request().Header.Del(fiber.HeaderAcceptEncoding)
	// fasthttp closes the reader once sent, which frees the file.
	c.Context().SetBodyStream(&sendWithDeadline{f: f, conn: c.Context().Conn()}, int(size))
	return nil
}

// holdWriters takes every village's read lock, in code order, and returns
// the function that lets go. Writers take a village's lock for writing, so
// none is inside its store writes while the locks are held; readers go on.
// The indexes are fetched before any lock is taken: Cache.Village takes a
// village's read lock itself, which must not queue behind a waiting writer
// while this holds another. A town has more villages than the index keeps
// in memory only in a county-sized set-up; the cache is then over its bound
// until its next load.
func (s *Server) holdWriters(ctx context.Context) (resume func(), err error) {
	var codes []string
	for _, v := range s.villages.Load().All() {
		codes = append(codes, v.Code)
	}
	slices.Sort(codes)
	vis := make([]*geo.VillageIndex, 0, len(codes))
	for _, code := range codes {
		vi, err := s.writes.Village(ctx, code)
		if err != nil {
			return nil, fmt.Errorf("village %s: %w", code, err)
		}
		vis = append(vis, vi)
	}
	for _, vi := range vis {
		vi.RLock()
	}
	return func() {
		for _, vi := range vis {
			vi.RUnlock()
		}
	}, nil
}

// sendWithDeadline reads the archive for fasthttp and pushes the
// connection's write deadline forward at each block.
type sendWithDeadline struct {
	f    *os.File
	conn net.Conn
}

func (r *sendWithDeadline) Read(p []byte) (int, error) {
	r.conn.SetWriteDeadline(time.Now().Add(backupSendTimeout))
	return r.f.Read(p)
}

func (r *sendWithDeadline) Close() error { return r.f.Close() }
