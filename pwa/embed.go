// Package pwa embeds the built web app so the one binary serves it.
//
// The files come from build/, made by `node build.mjs` in this directory
// (npm ci first); build/ is not in git, so run the build before `go build`.
//
// `go generate ./pwa` writes src/domain.gen.js, the app's copy of the
// domain table (kinds and their labels), from the Go table; it is in git.
package pwa

//go:generate go run ../cmd/domainjs src/domain.gen.js

import (
	"embed"
	"io/fs"
)

//go:embed all:build
var files embed.FS

// Files is the web app's root: index.html, sw.js, the hashed bundles.
func Files() fs.FS {
	sub, err := fs.Sub(files, "build")
	if err != nil {
		panic(err)
	}
	return sub
}
