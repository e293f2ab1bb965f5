// Package pwa embeds the built web app so the one binary serves it.
package pwa

import (
	"embed"
	"io/fs"
)

//go:embed public
var files embed.FS

// Files is the web app's root.
func Files() fs.FS {
	sub, err := fs.Sub(files, "public")
	if err != nil {
		panic(err)
	}
	return sub
}
