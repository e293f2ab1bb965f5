package api

import (
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// shellNoCache are the web-app files whose names do not change between
// releases: browsers must ask for them again, so a new service worker (and
// through it a new release) is found. Everything else the build names by
// content hash and may be cached for a year.
var shellNoCache = map[string]bool{"index.html": true, "sw.js": true, "manifest.webmanifest": true,
	"icon.svg": true, "icon-192.png": true, "icon-512.png": true}

func init() {
	mime.AddExtensionType(".webmanifest", "application/manifest+json")
}

// staticHandler serves the embedded web app. Unknown paths that are not
// files answer the app's index.html, so that deep links open the app.
func staticHandler(files fs.FS) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
			return fiber.ErrNotFound
		}
		name := strings.TrimPrefix(path.Clean("/"+c.Path()), "/")
		if name == "" {
			name = "index.html"
		}
		data, err := fs.ReadFile(files, name)
		if err != nil {
			if strings.Contains(path.Base(name), ".") {
				return fiber.ErrNotFound
			}
			name = "index.html"
			if data, err = fs.ReadFile(files, name); err != nil {
				return fiber.ErrNotFound
			}
		}
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			c.Set(fiber.HeaderContentType, ct)
		}
		if shellNoCache[name] {
			c.Set(fiber.HeaderCacheControl, "no-cache")
		} else {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		}
		return c.Send(data)
	}
}

// contentSecurityPolicy allows only the app's own scripts and styles (no
// inline script) and images from the tile server.
func contentSecurityPolicy(tileURL string) string {
	img := "'self' blob: data:"
	if host := tileOrigin(tileURL); host != "" {
		img += " " + host
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; connect-src 'self'; " +
		"worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}

// tileOrigin turns "https://t{s}.tianditu.gov.cn/..." into a CSP source
// ("https://*.tianditu.gov.cn") that covers every subdomain.
func tileOrigin(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if strings.Contains(host, "{s}") || strings.Contains(host, "{") {
		if _, after, ok := strings.Cut(host, "."); ok {
			host = "*." + after
		}
	}
	return scheme + "://" + host
}

// securityHeaders go on every answer.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", s.csp)
	if c.Protocol() == "https" {
		c.Set("Strict-Transport-Security", "max-age=31536000")
	}
	return c.Next()
}

// TileConfig tells the web app where map tiles come from.
type TileConfig struct {
	TileURL         string `json:"tileUrl"`
	TileGCJ02       bool   `json:"tileGcj02"`
	TileAttribution string `json:"tileAttribution"`
	TileSubdomains  string `json:"tileSubdomains,omitempty"`
}

func (s *Server) config(c *fiber.Ctx) error { return c.JSON(s.tiles) }
