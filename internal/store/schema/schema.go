// Package schema reads a store's embedded migrations, the SQL files
// migrations/NNNN_name.sql, for both SQL stores: the rule for what a
// migration file is and how versions follow each other is one.
package schema

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// File is one migration: version NNNN, its name, and its SQL.
type File struct {
	Version int
	Name    string
	SQL     string
}

// Load reads the *.sql files of fsys's migrations directory, sorted by
// version. Versions must be 1, 2, 3 ... without gaps.
func Load(fsys fs.FS) ([]File, error) {
	files, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	var out []File
	for _, f := range files {
		num, name, ok := strings.Cut(strings.TrimSuffix(path.Base(f), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", f)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", f, err)
		}
		out = append(out, File{Version: v, Name: name, SQL: string(b)})
	}
	slices.SortFunc(out, func(a, b File) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %d_%s: versions must run 1, 2, 3 ... without gaps", m.Version, m.Name)
		}
	}
	return out, nil
}
