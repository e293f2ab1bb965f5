package api

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"github.com/cunjie/cunjie"
)

// The images of these tests are made here, not committed: each test says in
// code what its image is.

func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	return img
}

func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pngHeaderOnly is the start of a PNG that claims w×h pixels: the signature
// and an IHDR chunk with a correct CRC, which is all a decoder reads before
// it allocates the picture. 40 bytes can claim 2.5 gigapixels.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := []byte("IHDR")
	ihdr = binary.BigEndian.AppendUint32(ihdr, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8 bits, RGB, deflate, no filter, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr)) // over type and data
	return b
}

// webpSolid writes a lossless WebP (VP8L) of one opaque colour. Every
// Huffman code has a single symbol, so the pixels take no bits at all and
// the file is 32 bytes whatever its size: both a real WebP to decode and,
// large, a bomb. Layout from the WebP lossless bitstream specification.
func webpSolid(w, h int, r, g, b uint8) []byte {
	var bw bitWriter
	bw.put(0x2f, 8) // VP8L signature
	bw.put(uint64(w-1), 14)
	bw.put(uint64(h-1), 14)
	bw.put(0, 1) // alpha not used
	bw.put(0, 3) // version 0
	bw.put(0, 1) // no transform
	bw.put(0, 1) // no colour cache
	bw.put(0, 1) // one set of prefix codes for the whole image
	// Green, red, blue, alpha: a "simple" code of one 8-bit symbol.
	for _, sym := range []uint8{g, r, b, 255} {
		bw.put(1, 1) // simple code
		bw.put(0, 1) // one symbol
		bw.put(1, 1) // the symbol takes 8 bits
		bw.put(uint64(sym), 8)
	}
	// Distance: a simple code of the 1-bit symbol 0 (never used).
	bw.put(1, 1)
	bw.put(0, 1)
	bw.put(0, 1)
	bw.put(0, 1)
	data := bw.bytes()
	pad := len(data) % 2 // RIFF chunks are padded to even lengths
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(4+8+len(data)+pad))
	out = append(out, "WEBPVP8L"...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(data)))
	out = append(out, data...)
	if pad == 1 {
		out = append(out, 0)
	}
	return out
}

// bitWriter packs bits least significant first, as VP8L reads them.
type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.nbits
	w.nbits += n
	for w.nbits >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.nbits -= 8
	}
}

func (w *bitWriter) bytes() []byte {
	if w.nbits > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.nbits = 0, 0
	}
	return w.buf
}

// webpLossy1x1 is a 1×1 grey lossy WebP (VP8), the image of the WebP FAQ's
// feature-detection snippet, to cover the lossy decoder too.
var webpLossy1x1 = []byte{
	'R', 'I', 'F', 'F', 0x22, 0x00, 0x00, 0x00, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ',
	0x16, 0x00, 0x00, 0x00, 0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x01, 0x00, 0x01, 0x00, 0x0e, 0xc0,
	0xfe, 0x25, 0xa4, 0x00, 0x03, 0x70, 0x00, 0x00, 0x00, 0x00,
}

// withOrientation inserts an EXIF segment with orientation o after a
// JPEG's start-of-image marker, written in the given TIFF byte order.
func withOrientation(jpg []byte, o uint16, order binary.AppendByteOrder) []byte {
	tiff := []byte("MM\x00\x2a")
	if order == binary.LittleEndian {
		tiff = []byte("II\x2a\x00")
	}
	tiff = order.AppendUint32(tiff, 8) // first directory right after this header
	tiff = order.AppendUint16(tiff, 1) // one entry
	tiff = order.AppendUint16(tiff, 0x0112)
	tiff = order.AppendUint16(tiff, 3) // SHORT
	tiff = order.AppendUint32(tiff, 1) // one value
	tiff = order.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0)          // value field padding
	tiff = order.AppendUint32(tiff, 0) // no next directory
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(2+len(seg)))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func TestCheckImageFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		ct   string
		w, h int
	}{
		{"jpeg", jpegBytes(t, testImage(64, 48)), "image/jpeg", 64, 48},
		{"png", pngBytes(t, testImage(30, 70)), "image/png", 30, 70},
		{"webp lossless", webpSolid(800, 600, 10, 200, 30), "image/webp", 800, 600},
		{"webp lossy", webpLossy1x1, "image/webp", 1, 1},
		// At the limits exactly: accepted (the header is all that is read).
		{"12000 a side", pngHeaderOnly(12000, 4000), "image/png", 12000, 4000},
		{"50 megapixels", pngHeaderOnly(10000, 5000), "image/png", 10000, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, w, h, err := checkImage(tc.data)
			if err != nil || ct != tc.ct || w != tc.w || h != tc.h {
				t.Errorf("checkImage = %q %d×%d %v, want %q %d×%d", ct, w, h, err, tc.ct, tc.w, tc.h)
			}
		})
	}
}

func TestCheckImageRejectsNonImages(t *testing.T) {
	realPNG := pngBytes(t, testImage(10, 10))
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("hello, this is a photo.jpg, honest")},
		{"html", []byte("<!doctype html><script>alert(1)</script>")},
		// The JPEG magic bytes then text: passes the sniff, not the header.
		{"fake jpeg", []byte("\xFF\xD8\xFF\xE0 not really a JPEG, only its first bytes")},
		{"fake png", append([]byte("\x89PNG\r\n\x1a\n"), "IHDR and nothing else"...)},
		{"png with bad crc", append(pngHeaderOnly(10, 10)[:29], 0, 0, 0, 0)},
		// RIFF/WEBP container, but no VP8 chunk inside.
		{"fake webp", []byte("RIFF\x10\x00\x00\x00WEBPJUNKJUNKJUNK")},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")},
		{"png cut in the signature", realPNG[:6]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := checkImage(tc.data)
			if cunjie.ErrorCode(err) != cunjie.EINVALID {
				t.Fatalf("checkImage: %v, want invalid", err)
			}
			if e := err.(*cunjie.Error); e.Fields["body"] != "not a JPEG, PNG or WebP image" {
				t.Errorf("fields = %v", e.Fields)
			}
		})
	}
}

func TestCheckImageRefusesBombs(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"png 50000×50000", pngHeaderOnly(50000, 50000)},
		{"png side over 12000", pngHeaderOnly(12001, 10)},
		{"png over 50 megapixels", pngHeaderOnly(10000, 5001)},
		{"webp 16384×16384", webpSolid(16384, 16384, 1, 2, 3)},
		// image/png itself refuses sides whose product overflows; that
		// header is answered as not an image.
		{"png 2³¹ a side", pngHeaderOnly(1<<31-1, 1<<31-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := cunjie.ETOOLARGE
			if tc.name == "png 2³¹ a side" {
				want = cunjie.EINVALID
			}
			_, _, _, err := checkImage(tc.data)
			if cunjie.ErrorCode(err) != want {
				t.Fatalf("checkImage: %v, want %s", err, want)
			}
			// makeThumb refuses it too, before decoding: a decode of
			// 16384² pixels would take a gigabyte and seconds.
			start := time.Now()
			if _, err := makeThumb(tc.data, 320); cunjie.ErrorCode(err) != want {
				t.Fatalf("makeThumb: %v, want %s", err, want)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("makeThumb took %v to refuse", d)
			}
		})
	}
}

func decodeThumb(t *testing.T, thumb []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(thumb))
	if err != nil {
		t.Fatalf("thumbnail is not a JPEG: %v", err)
	}
	return img
}

func TestMakeThumbSizes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		tw, th int
	}{
		{"landscape jpeg", jpegBytes(t, testImage(1000, 500)), 320, 160},
		{"portrait png", pngBytes(t, testImage(500, 1000)), 160, 320},
		{"odd ratio", pngBytes(t, testImage(999, 333)), 320, 107},
		{"square", jpegBytes(t, testImage(640, 640)), 320, 320},
		{"small, not enlarged", pngBytes(t, testImage(100, 50)), 100, 50},
		{"a thin line keeps a pixel", pngBytes(t, testImage(2000, 1)), 320, 1},
		{"webp", webpSolid(800, 600, 10, 200, 30), 320, 240},
		{"lossy webp", webpLossy1x1, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thumb, err := makeThumb(tc.data, 320)
			if err != nil {
				t.Fatal(err)
			}
			b := decodeThumb(t, thumb).Bounds()
			if b.Dx() != tc.tw || b.Dy() != tc.th {
				t.Errorf("thumbnail %d×%d, want %d×%d", b.Dx(), b.Dy(), tc.tw, tc.th)
			}
		})
	}
}

func TestMakeThumbColours(t *testing.T) {
	// The WebP is solid (10, 200, 30): the thumbnail keeps the colour,
	// within what JPEG changes.
	img := decodeThumb(t, mustThumb(t, webpSolid(400, 300, 10, 200, 30)))
	wantNear(t, img.At(100, 100), color.RGBA{10, 200, 30, 255})

	// A transparent PNG is shown on white, not black.
	clear := image.NewNRGBA(image.Rect(0, 0, 400, 400))
	img = decodeThumb(t, mustThumb(t, pngBytes(t, clear)))
	wantNear(t, img.At(160, 160), color.RGBA{255, 255, 255, 255})
}

func mustThumb(t *testing.T, data []byte) []byte {
	t.Helper()
	thumb, err := makeThumb(data, 320)
	if err != nil {
		t.Fatal(err)
	}
	return thumb
}

func wantNear(t *testing.T, got color.Color, want color.RGBA) {
	t.Helper()
	r, g, b, _ := got.RGBA()
	d := func(x uint32, y uint8) int { return max(int(x>>8)-int(y), int(y)-int(x>>8)) }
	if d(r, want.R) > 12 || d(g, want.G) > 12 || d(b, want.B) > 12 {
		t.Errorf("colour %d,%d,%d, want about %v", r>>8, g>>8, b>>8, want)
	}
}

func TestMakeThumbDamaged(t *testing.T) {
	// The header is fine, the pixel data is cut off: refused, not stored.
	full := pngBytes(t, testImage(200, 100))
	_, err := makeThumb(full[:len(full)/2], 320)
	if cunjie.ErrorCode(err) != cunjie.EINVALID {
		t.Fatalf("makeThumb of a cut PNG: %v, want invalid", err)
	}
	jpg := jpegBytes(t, testImage(200, 100))
	_, err = makeThumb(jpg[:len(jpg)/2], 320)
	if cunjie.ErrorCode(err) != cunjie.EINVALID {
		t.Fatalf("makeThumb of a cut JPEG: %v, want invalid", err)
	}
}

// TestMakeThumbOrientation: a phone's portrait photo stored as landscape
// pixels with EXIF orientation 6 (or 8) gets an upright thumbnail.
func TestMakeThumbOrientation(t *testing.T) {
	// Left half red, right half blue, 400×200 as stored.
	img := image.NewRGBA(image.Rect(0, 0, 400, 200))
	for y := range 200 {
		for x := range 400 {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 200 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	jpg := jpegBytes(t, img)
	for _, tc := range []struct {
		name        string
		data        []byte
		w, h        int
		first, last color.RGBA // at the top-left corner, at the bottom-right
	}{
		{"none", jpg, 320, 160, red, blue},
		{"6, turn clockwise", withOrientation(jpg, 6, binary.BigEndian), 160, 320, red, blue},
		{"8, turn counter-clockwise", withOrientation(jpg, 8, binary.LittleEndian), 160, 320, blue, red},
		{"3, half turn", withOrientation(jpg, 3, binary.LittleEndian), 320, 160, blue, red},
		{"2, mirrored", withOrientation(jpg, 2, binary.BigEndian), 320, 160, blue, red},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// checkImage reports the stored size, whatever the tag.
			if _, w, h, err := checkImage(tc.data); err != nil || w != 400 || h != 200 {
				t.Fatalf("checkImage = %d×%d %v", w, h, err)
			}
			thumb := decodeThumb(t, mustThumb(t, tc.data))
			b := thumb.Bounds()
			if b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("thumbnail %d×%d, want %d×%d", b.Dx(), b.Dy(), tc.w, tc.h)
			}
			wantNear(t, thumb.At(10, 10), tc.first)
			wantNear(t, thumb.At(b.Dx()-10, b.Dy()-10), tc.last)
		})
	}
}

func TestJPEGOrientation(t *testing.T) {
	jpg := jpegBytes(t, testImage(8, 8))
	for o := uint16(1); o <= 8; o++ {
		if got := jpegOrientation(withOrientation(jpg, o, binary.BigEndian)); got != int(o) {
			t.Errorf("big-endian %d: got %d", o, got)
		}
		if got := jpegOrientation(withOrientation(jpg, o, binary.LittleEndian)); got != int(o) {
			t.Errorf("little-endian %d: got %d", o, got)
		}
	}
	tagged := withOrientation(jpg, 6, binary.BigEndian)
	for name, data := range map[string][]byte{
		"no exif":       jpg,
		"bad value":     withOrientation(jpg, 9, binary.BigEndian),
		"cut segment":   tagged[:20],
		"not a jpeg":    []byte("hello"),
		"empty":         nil,
		"garbage after": append([]byte{0xFF, 0xD8, 0x00}, tagged[2:]...),
	} {
		if got := jpegOrientation(data); got != 1 {
			t.Errorf("%s: got %d, want 1", name, got)
		}
	}
}

func TestFitWithin(t *testing.T) {
	for _, tc := range []struct{ w, h, max, tw, th int }{
		{320, 320, 320, 320, 320},
		{321, 100, 320, 320, 100},
		{4000, 3000, 320, 320, 240},
		{3000, 4000, 320, 240, 320},
		{12000, 1, 320, 320, 1},
		{1, 12000, 320, 1, 320},
	} {
		if tw, th := fitWithin(tc.w, tc.h, tc.max); tw != tc.tw || th != tc.th {
			t.Errorf("fitWithin(%d, %d, %d) = %d×%d, want %d×%d", tc.w, tc.h, tc.max, tw, th, tc.tw, tc.th)
		}
	}
}
