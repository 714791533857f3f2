// Package migrations embeds the numbered SQL migrations, one folder per backend. Each file opens
// with a comment saying why it exists. Files are never edited once landed: a change is a new file.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// For returns the migrations of one backend ("sqlite" or "postgres").
func For(backend string) (fs.FS, error) {
	return fs.Sub(files, backend)
}
