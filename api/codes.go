package api

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cunjie/cunjie"
)

// shortVillageCode is the village's part of its features' codes: the
// shortest tail of its 12-digit code, at least 3 digits, that no other
// village of the store ends with (the demo's 360803101201 → 201).
func shortVillageCode(code string, all []string) string {
	for n := 3; n < len(code); n++ {
		tail := code[len(code)-n:]
		unique := true
		for _, o := range all {
			if o != code && strings.HasSuffix(o, tail) {
				unique = false
				break
			}
		}
		if unique {
			return tail
		}
	}
	return code
}

// codePrefix is the village's part of its features' codes
// (writes.Options.CodePrefix).
func (s *Server) codePrefix(village string) string {
	all := s.villages.Load().All()
	codes := make([]string, len(all))
	for i, v := range all {
		codes[i] = v.Code
	}
	return shortVillageCode(village, codes)
}

// migrateCodes gives the features stored before codes existed theirs,
// village by village, through the writer. It runs at every start and
// finds nothing to do once done.
func (s *Server) migrateCodes(ctx context.Context) {
	defer close(s.codesDone)
	start := time.Now()
	total := 0
	for _, v := range s.villages.Load().All() {
		if ctx.Err() != nil {
			return
		}
		n, err := s.writes.AssignMissingCodes(ctx, v.Code)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("feature codes not assigned", "village", v.Code, "err", err)
			}
			continue
		}
		total += n
	}
	if total > 0 {
		s.log.Info("feature codes assigned", "features", total, "took", time.Since(start).Round(time.Millisecond))
	}
}

// CodesMigrated is closed once the start-up's code migration has ended.
func (s *Server) CodesMigrated() <-chan struct{} { return s.codesDone }

// featuresByCode answers GET /features?code=: the feature with that
// label code, if the caller may read its village; else none.
func (s *Server) featuresByCode(c *fiber.Ctx) error {
	code := strings.ToUpper(strings.TrimSpace(c.Query("code")))
	if len(code) > 40 {
		return cunjie.Invalid("code", "is too long")
	}
	fs := []*cunjie.Feature{}
	ref, err := s.store.FindCode(c.UserContext(), code)
	if err != nil && !(cunjie.ErrorCode(err) == cunjie.ENOTFOUND) {
		return err
	}
	if err == nil && currentUser(c).CanReadVillage(ref.Village) {
		f, err := s.writes.Feature(c.UserContext(), ref.Village, ref.Feature)
		if err != nil && !(cunjie.ErrorCode(err) == cunjie.ENOTFOUND) {
			return err
		}
		// A code given back that a failure left behind leads to a
		// feature with another code.
		if err == nil && !f.Deleted && f.Code == code {
			fs = append(fs, f)
		}
	}
	return sendCollection(c, fs)
}
