package api

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"

	"github.com/cunjie/cunjie"
)

// Limits on an image's size in pixels. A compressed file of a few KB can
// claim a huge picture (a "decompression bomb"), and decoding allocates 4–8
// bytes per pixel, so the size is checked from the header before any full
// decode. A 50-megapixel phone photo is 8160×6120; no camera we serve is bigger.
const (
	maxImagePixels = 50_000_000
	maxImageSide   = 12_000
)

// thumbQuality is the JPEG quality of thumbnails: at 320 px the difference
// from higher qualities is not visible, the size is about halved.
const thumbQuality = 80

func notImage() error { return cunjie.Invalid("body", "not a JPEG, PNG or WebP image") }

// imageFormat names the format of data by its first bytes, the only thing
// we trust: the Content-Type header is whatever the phone said.
func imageFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

// checkImage says what data is (by content) and its size in pixels, reading
// only the header. It refuses anything but JPEG, PNG and WebP, and images too
// big to decode safely.
func checkImage(data []byte) (contentType string, w, h int, err error) {
	contentType = imageFormat(data)
	var cfg image.Config
	switch contentType {
	case "image/jpeg":
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	case "image/png":
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	case "image/webp":
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
	default:
		return "", 0, 0, notImage()
	}
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		// A header that does not parse is as good as no image; the
		// decoder's words would mean nothing to the person.
		return "", 0, 0, notImage()
	}
	w, h = cfg.Width, cfg.Height
	if w > maxImageSide || h > maxImageSide || w*h > maxImagePixels {
		return "", 0, 0, cunjie.Errorf(cunjie.ETOOLARGE,
			"the image is %d×%d pixels; at most %d pixels a side and %d megapixels are accepted",
			w, h, maxImageSide, maxImagePixels/1_000_000)
	}
	return contentType, w, h, nil
}

// decodeSlots bounds how many images are decoded at once. A full decode of
// an image at the pixel limit holds 200–400 MB; a phone's backlog of photos
// arriving together must not take the server's memory with it.
var decodeSlots = make(chan struct{}, 2)

// makeThumb returns a JPEG whose longer side is at most maxSide pixels, with
// the aspect ratio of data kept and a JPEG's EXIF orientation applied (the
// thumbnail carries no EXIF, so it must be upright in its pixels).
func makeThumb(data []byte, maxSide int) ([]byte, error) {
	// checkImage again, so that no caller can reach the full decode below
	// with an image that has not passed the size limits.
	ct, w, h, err := checkImage(data)
	if err != nil {
		return nil, err
	}
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()

	var src image.Image
	switch ct {
	case "image/jpeg":
		src, err = jpeg.Decode(bytes.NewReader(data))
	case "image/png":
		src, err = png.Decode(bytes.NewReader(data))
	case "image/webp":
		src, err = webp.Decode(bytes.NewReader(data))
	}
	if err != nil {
		// The header was fine but the rest is cut short or damaged (or a
		// WebP feature, such as animation, that the decoder lacks).
		return nil, cunjie.Invalid("body", "the image data is damaged or uses an unsupported feature")
	}

	tw, th := fitWithin(w, h, maxSide)
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	// JPEG has no transparency: transparent parts of a PNG or WebP are
	// shown on white, as a browser shows them, instead of turning black.
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Over, nil)
	if ct == "image/jpeg" {
		dst = orient(dst, jpegOrientation(data))
	}

	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: thumbQuality}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fitWithin scales w×h down (never up) so that the longer side is at most
// maxSide, keeping the aspect ratio; neither side drops below one pixel.
func fitWithin(w, h, maxSide int) (int, int) {
	if w <= maxSide && h <= maxSide {
		return w, h
	}
	if w >= h {
		return maxSide, max(1, (h*maxSide+w/2)/w)
	}
	return max(1, (w*maxSide+h/2)/h), maxSide
}

// jpegOrientation returns the EXIF orientation (1–8) of a JPEG, 1 when it
// has none. Phones often store a portrait photo as landscape pixels plus
// this tag; browsers honour the tag when showing the original.
func jpegOrientation(data []byte) int {
	// Walk the segments before the image data: each is FF, a marker byte
	// and a big-endian length that counts itself.
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 1
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte before a marker
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image: no EXIF before
			return 1
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return 1
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from the first directory of the TIFF
// structure that EXIF is made of.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 1
	}
	dir := int(order.Uint32(t[4:]))
	if dir < 8 || dir+2 > len(t) {
		return 1
	}
	count := int(order.Uint16(t[dir:]))
	for k := range count {
		e := dir + 2 + 12*k // each entry: tag, type, count (4), value (4)
		if e+12 > len(t) {
			break
		}
		if order.Uint16(t[e:]) == 0x0112 {
			if v := int(order.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient returns img turned as EXIF orientation o says the picture is to be
// shown. Each case maps the stored pixel (x, y) to where it is seen.
func orient(img *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // the orientations that turn by a quarter swap the sides
		dw, dh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch o {
			case 2: // mirrored left to right
				dx, dy = w-1-x, y
			case 3: // turned half way
				dx, dy = w-1-x, h-1-y
			case 4: // mirrored top to bottom
				dx, dy = x, h-1-y
			case 5: // mirrored along the top-left to bottom-right diagonal
				dx, dy = y, x
			case 6: // to be turned a quarter clockwise
				dx, dy = h-1-y, x
			case 7: // mirrored along the other diagonal
				dx, dy = h-1-y, w-1-x
			case 8: // to be turned a quarter counter-clockwise
				dx, dy = y, w-1-x
			}
			out.SetRGBA(dx, dy, img.RGBAAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}
