package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"
)

// testPNG makes a w×h PNG whose pixels depend on seed, so two seeds give
// two different photos.
func testPNG(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x) + seed, uint8(y), seed, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPhotosUploadAndAccess(t *testing.T) {
	tw := newTown(t)
	photo := testPNG(t, 800, 600, 1)
	// A feature names the photo before it arrives: photosPending.
	id := newID("b")
	f := tw.clean.must(201, "PUT", "/api/v1/features/"+id, map[string]any{"opId": newID("op"), "kind": "bin",
		"location": tw.pointIn(t, tw.v1), "photos": []string{"ph-1"}}).Map()
	if pp := f["flags"].(map[string]any)["photosPending"]; pp == nil {
		t.Fatalf("no photosPending: %v", f["flags"])
	}
	if r := tw.clean.do("PUT", "/api/v1/photos/ph-1", photo, "Content-Type", "image/png"); r.Status != 201 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	waitFor(t, 5*time.Second, "photosPending cleared", func() bool {
		g := tw.clean.must(200, "GET", "/api/v1/features/"+id, nil).Map()
		_, pending := g["flags"].(map[string]any)["photosPending"]
		return !pending
	})
	// The same bytes again: fine. Other bytes under the id: conflict.
	if r := tw.clean.do("PUT", "/api/v1/photos/ph-1", photo); r.Status != 200 {
		t.Errorf("same bytes again: %d", r.Status)
	}
	if r := tw.clean.do("PUT", "/api/v1/photos/ph-1", testPNG(t, 800, 600, 2)); r.Status != 409 {
		t.Errorf("other bytes: %d", r.Status)
	}
	full := tw.insp.must(200, "GET", "/api/v1/photos/ph-1", nil)
	if !bytes.Equal(full.Body, photo) || full.Header.Get("Content-Type") != "image/png" {
		t.Errorf("photo back: %d bytes, %s", len(full.Body), full.Header.Get("Content-Type"))
	}
	thumb := tw.insp.must(200, "GET", "/api/v1/photos/ph-1?size=thumb", nil)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(thumb.Body))
	if err != nil || max(cfg.Width, cfg.Height) > 320 || max(cfg.Width, cfg.Height) < 300 {
		t.Errorf("thumbnail %dx%d (%v)", cfg.Width, cfg.Height, err)
	}
	// A cleaner of another village cannot read it.
	tw.admin.must(201, "POST", "/api/v1/users", map[string]any{"username": "other", "password": "other-password", "role": "cleaner", "villages": []string{tw.v2}})
	other := login(t, tw.m, "other", "other-password")
	if r := other.do("GET", "/api/v1/photos/ph-1", nil); r.Status != 404 {
		t.Errorf("cleaner of another village reads the photo: %d", r.Status)
	}
	bad := []struct {
		name   string
		body   []byte
		status int
	}{
		{"text with a JPEG header", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte(strings.Repeat("not an image ", 50))...), 400},
		{"html", []byte("<html><script>alert(1)</script></html>"), 400},
		{"over 8 MB", make([]byte, 9<<20), 413},
	}
	for _, b := range bad {
		if r := tw.clean.do("PUT", "/api/v1/photos/"+newID("ph"), b.body, "Content-Type", "image/jpeg"); r.Status != b.status {
			t.Errorf("%s: %d %.200s, want %d", b.name, r.Status, r.Body, b.status)
		}
	}
}
