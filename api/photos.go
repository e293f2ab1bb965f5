package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
	"github.com/cunjie/cunjie/store"
	"github.com/cunjie/cunjie/writes"
)

// MaxPhotoBytes bounds one photo upload. A phone photo is 2–5 MB; the limit
// also keeps a photo inside one database document (16 MB) with room to spare.
const MaxPhotoBytes = 8 << 20

// thumbSide is the longer side of a thumbnail: sharp in a list or a map
// popup on a phone screen, and a few tens of KB over a village's network.
const thumbSide = 320

// photoCacheControl lets a browser keep a photo for a year without asking:
// the bytes under an id never change (other bytes answer 409). "private"
// because the answer depends on who asks.
const photoCacheControl = "private, max-age=31536000, immutable"

// PhotoInfo answers an upload.
type PhotoInfo struct {
	ID          string `json:"id"`
	SHA256      string `json:"sha256"`
	ContentType string `json:"contentType"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
}

func photoInfo(p *store.Photo) PhotoInfo {
	return PhotoInfo{ID: p.ID, SHA256: p.SHA256, ContentType: p.ContentType, Width: p.Width, Height: p.Height, Bytes: p.Bytes}
}

// putPhoto stores the raw body as photo id: 201 when new, 200 when the same
// bytes were there already (a phone retrying), 409 for other bytes.
func (s *Server) putPhoto(c *fiber.Ctx) error {
	id := c.Params("id")
	if !cunjie.ValidID(id) {
		return cunjie.Invalid("id", "1–64 letters, digits, '-' or '_'")
	}
	// c.Body() would inflate a gzip or brotli body without any bound; an
	// image is compressed already, so only the bytes as sent are taken.
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return cunjie.Invalid("Content-Encoding", "send the image bytes as they are, without %s", enc)
	}
	p, existed, err := s.StorePhoto(c.UserContext(), currentUser(c), id, c.Request().Body())
	if err != nil {
		return err
	}
	if existed {
		c.Set("X-Cunjie-Result", writes.Duplicate)
	} else {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(photoInfo(p))
}

// StorePhoto checks and stores a photo with its thumbnail, and tells the
// features waiting for it; existed reports the same bytes were there. The
// upload route and the demo loader use it.
func (s *Server) StorePhoto(ctx context.Context, u *cunjie.User, id string, body []byte) (*store.Photo, bool, error) {
	if len(body) > MaxPhotoBytes {
		return nil, false, cunjie.Errorf(cunjie.ETOOLARGE, "a photo may be at most %d MB; this one is %.1f MB",
			MaxPhotoBytes>>20, float64(len(body))/(1<<20))
	}
	if len(body) == 0 {
		return nil, false, cunjie.Invalid("body", "empty; send the image bytes")
	}
	contentType, w, h, err := checkImage(body)
	if err != nil {
		return nil, false, err
	}
	// A retry of a finished upload (the phone lost our answer) is answered
	// from the metadata, without decoding the image again. Telling the
	// waiting features again is one read by _id when nothing waits, and
	// finishes the job if the server stopped before it.
	sum := sha256.Sum256(body)
	if old, err := s.store.Photo(ctx, id); err == nil {
		if old.SHA256 != hex.EncodeToString(sum[:]) {
			return nil, false, cunjie.Errorf(cunjie.ECONFLICT, "photo %s already exists with other content; a new photo needs a new id", id)
		}
		s.photoArrived(ctx, id)
		return old, true, nil
	} else if cunjie.ErrorCode(err) != cunjie.ENOTFOUND {
		return nil, false, err
	}
	// A record that names a photo before it is uploaded keeps its place
	// for its writer: another person's bytes under that id would show in
	// a record that is not theirs.
	if !u.IsStaff() {
		by, err := s.store.PhotoAwaitedBy(ctx, id)
		if err != nil {
			return nil, false, err
		}
		if by != "" && by != u.ID && by != systemUser.ID {
			return nil, false, cunjie.Errorf(cunjie.EFORBIDDEN, "photo %s is awaited by another person's record; a new photo needs a new id", id)
		}
	}
	thumb, err := makeThumb(body, thumbSide)
	if err != nil {
		return nil, false, err
	}
	p := &store.Photo{ID: id, ContentType: contentType, Width: w, Height: h, UploadedBy: u.ID, UploadedAt: s.now()}
	existed, err := s.store.PutPhoto(ctx, p, body, thumb)
	if err != nil {
		return nil, false, err
	}
	if !existed {
		s.metrics.photos.Inc()
	}
	s.photoArrived(ctx, id)
	return p, existed, nil
}

// getPhoto serves a photo's bytes (?size=full, the default, or thumb) to
// those who may see it.
func (s *Server) getPhoto(c *fiber.Ctx) error {
	id := c.Params("id")
	thumb := false
	switch c.Query("size") {
	case "", "full":
	case "thumb":
		thumb = true
	default:
		return cunjie.Invalid("size", "full or thumb")
	}
	// One answer for "no such photo" and "not yours": a 403 would tell a
	// prober which ids exist.
	notFound := cunjie.Errorf(cunjie.ENOTFOUND, "photo not found")
	if !cunjie.ValidID(id) {
		return notFound
	}
	ctx := c.UserContext()
	p, err := s.store.Photo(ctx, id)
	if cunjie.ErrorCode(err) == cunjie.ENOTFOUND {
		return notFound
	}
	if err != nil {
		return err
	}
	if !mayReadPhoto(currentUser(c), p) {
		return notFound
	}

	contentType, etag := p.ContentType, `"`+p.SHA256+`"`
	if thumb {
		contentType, etag = "image/jpeg", `"`+p.SHA256+`-thumb"`
	}
	// The caching headers go only with a success: an error answer
	// carrying them would be kept by the browser for a year.
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		setPhotoCaching(c, etag)
		return c.SendStatus(fiber.StatusNotModified)
	}
	data, err := s.store.PhotoBytes(ctx, id, thumb)
	if err != nil {
		return err
	}
	setPhotoCaching(c, etag)
	c.Set(fiber.HeaderContentType, contentType)
	// The bytes are checked to be an image, but a browser must never
	// guess another type (HTML) from them.
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(data)
}

func setPhotoCaching(c *fiber.Ctx, etag string) {
	c.Set(fiber.HeaderCacheControl, photoCacheControl)
	c.Set(fiber.HeaderETag, etag)
}

// mayReadPhoto: staff read every photo; a cleaner the photos they uploaded
// and those of their villages. A photo no feature names yet has no village,
// so only its uploader and staff see it.
func mayReadPhoto(u *cunjie.User, p *store.Photo) bool {
	if u.IsStaff() || p.UploadedBy == u.ID {
		return true
	}
	return p.Village != "" && u.CanReadVillage(p.Village)
}

// etagMatches reports whether an If-None-Match header names etag (or is "*").
func etagMatches(header, etag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
