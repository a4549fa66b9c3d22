package freq

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadDir reads every frequency set in dir: NAME.hfx-metadata.json as HFX
// (with the CSV it names), other *.json as ATLAS sets, and *.csv, *.freqs
// (optionally .gz) that no HFX metadata names as GRIM files. A set's Name
// is its file name without extensions; a GRIM file's population is the
// part of its name after the last '_' (GRIM's own files are POP.freqs.gz).
//
// An HFX metadata file whose frequencyLocation names another set's file,
// which that set's own metadata also names, is skipped with a warning on
// the kept set: the published HEGL examples (hegl-2007) have
// HEGL_AFA.hfx-metadata.json naming HEGL_CAU.csv and population CAU, a
// copy of HEGL_CAU's; HEGL_AFA.csv is then read in GRIM form.
func LoadDir(dir string) ([]*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("freq: %w", err)
	}
	open := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	var metas, atlas, grim []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() {
			continue
		}
		switch low := strings.ToLower(n); {
		case strings.HasSuffix(low, ".hfx-metadata.json"):
			metas = append(metas, n)
		case strings.HasSuffix(low, ".json"):
			atlas = append(atlas, n)
		case strings.HasSuffix(low, ".csv"), strings.HasSuffix(low, ".csv.gz"), strings.HasSuffix(low, ".freqs"), strings.HasSuffix(low, ".freqs.gz"):
			grim = append(grim, n)
		}
	}
	// Which data file each metadata names, to find copies and the CSVs
	// that are not described by any metadata.
	named := map[string][]string{}
	for _, m := range metas {
		raw, err := open(m)
		if err != nil {
			return nil, fmt.Errorf("freq: %w", err)
		}
		var d hfxDoc
		if json.Unmarshal(raw, &d) == nil {
			if f, ok := strings.CutPrefix(strings.TrimSpace(d.Metadata.FrequencyLocation), "file://"); ok {
				named[f] = append(named[f], m)
			}
		}
	}
	var sets []*Set
	skipped := map[string]string{} // data file -> warning for its own set
	for _, m := range metas {
		stem := stemOf(m)
		raw, _ := open(m)
		var d hfxDoc
		_ = json.Unmarshal(raw, &d)
		file, _ := strings.CutPrefix(strings.TrimSpace(d.Metadata.FrequencyLocation), "file://")
		if file != "" && stemOf(file) != stem && len(named[file]) > 1 && ownerOf(named[file], file) != "" {
			skipped[file] += fmt.Sprintf("%s also names %s (a copy of this set's metadata); not loaded twice; ", m, file)
			continue
		}
		s, err := ReadHFX(raw, stem, open)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	for _, s := range sets {
		if w := skipped[s.Source]; w != "" {
			s.Warnings = append(s.Warnings, strings.TrimSuffix(w, "; "))
		}
	}
	for _, a := range atlas {
		raw, err := open(a)
		if err != nil {
			return nil, fmt.Errorf("freq: %w", err)
		}
		s, err := ReadATLAS(raw, stemOf(a))
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	for _, g := range grim {
		if owner := ownerOf(named[g], g); owner != "" {
			continue // the frequencies of an HFX set
		}
		f, err := os.Open(filepath.Join(dir, g))
		if err != nil {
			return nil, fmt.Errorf("freq: %w", err)
		}
		s, err := ReadGRIM(f, stemOf(g))
		f.Close()
		if err != nil {
			return nil, err
		}
		// GRIM's own files are named POP.freqs.gz; HEGL_AFA.csv is AFA.
		if i := strings.LastIndexByte(s.Name, '_'); i >= 0 && i < len(s.Name)-1 {
			s.Population = s.Name[i+1:]
		}
		if len(named[g]) == 0 {
			sets = append(sets, s)
		}
	}
	sort.Slice(sets, func(i, j int) bool { return sets[i].Name < sets[j].Name })
	for i := 1; i < len(sets); i++ {
		if sets[i].Name == sets[i-1].Name {
			return nil, fmt.Errorf("freq: two sets named %s in %s", sets[i].Name, dir)
		}
	}
	return sets, nil
}

// ownerOf is the metadata file among metas whose own name matches file's
// (HEGL_CAU.hfx-metadata.json for HEGL_CAU.csv), or "".
func ownerOf(metas []string, file string) string {
	for _, m := range metas {
		if stemOf(m) == stemOf(file) {
			return m
		}
	}
	return ""
}

// stemOf is a file name without its extensions (HEGL_CAU.hfx-metadata.json
// and HEGL_CAU.csv.gz are HEGL_CAU).
func stemOf(name string) string {
	name = filepath.Base(name)
	if i := strings.IndexByte(name, '.'); i > 0 {
		return name[:i]
	}
	return name
}

// Find returns the set named name, or else the set whose population is
// name, or else the one whose name ends in _name (AFA finds HEGL_AFA);
// case does not matter. nil when none.
func Find(sets []*Set, name string) *Set {
	if i := FindIndex(name, len(sets), func(i int) (string, string) { return sets[i].Name, sets[i].Population }); i >= 0 {
		return sets[i]
	}
	return nil
}

// FindIndex is Find over any list of n sets, at giving the name and
// population of the i-th: the index found, or -1.
func FindIndex(query string, n int, at func(i int) (name, population string)) int {
	for pass := range 3 {
		for i := range n {
			name, pop := at(i)
			switch pass {
			case 0:
				if strings.EqualFold(name, query) {
					return i
				}
			case 1:
				if strings.EqualFold(pop, query) {
					return i
				}
			case 2:
				if j := strings.LastIndexByte(name, '_'); j >= 0 && strings.EqualFold(name[j+1:], query) {
					return i
				}
			}
		}
	}
	return -1
}
