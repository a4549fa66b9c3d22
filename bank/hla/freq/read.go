package freq

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxFileBytes bounds what a reader takes in (a 5-locus set of a few
// hundred thousand haplotypes is tens of MB).
const maxFileBytes = 512 << 20

// ReadGRIM reads a GRIM frequency file: rows haplotype,count,freq (or
// haplotype,freq), an optional header row (Haplo,Count,Freq), gzipped or
// not. name becomes the Set's Name and Population.
func ReadGRIM(r io.Reader, name string) (*Set, error) {
	data, err := readAll(r)
	if err != nil {
		return nil, err
	}
	s := &Set{Name: name, Format: FormatGRIM, Source: name}
	if err := readCSV(s, data, "", ""); err != nil {
		return nil, fmt.Errorf("freq: %s: %w", name, err)
	}
	if err := s.finish(); err != nil {
		return nil, fmt.Errorf("freq: %s: %w", name, err)
	}
	return s, nil
}

func readAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("freq: file larger than %d bytes", maxFileBytes)
	}
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("freq: gzip: %w", err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, maxFileBytes+1))
		if err != nil {
			return nil, fmt.Errorf("freq: gzip: %w", err)
		}
		if len(out) > maxFileBytes {
			return nil, fmt.Errorf("freq: file larger than %d bytes uncompressed", maxFileBytes)
		}
		return out, nil
	}
	return data, nil
}

// readCSV reads the frequency rows into s. hapCol and freqCol name the
// columns (HFX frequencyFileHeader); empty means GRIM's positions: the
// haplotype first and the frequency last.
func readCSV(s *Set, data []byte, hapCol, freqCol string) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	hi, fi := 0, -1
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 2 {
			return fmt.Errorf("row %d: want haplotype,count,freq, got %d column(s)", row, len(rec))
		}
		if row == 1 && !strings.Contains(rec[0], "*") {
			// A header: find the named columns, or keep GRIM's positions.
			if hapCol != "" || freqCol != "" {
				hi, fi = -1, -1
				for i, c := range rec {
					switch strings.TrimSpace(c) {
					case hapCol:
						hi = i
					case freqCol:
						fi = i
					}
				}
				if hi < 0 || fi < 0 {
					return fmt.Errorf("header %q lacks the columns %q and %q named by the metadata", strings.Join(rec, ","), hapCol, freqCol)
				}
			}
			continue
		}
		f := fi
		if f < 0 {
			f = len(rec) - 1
		}
		if hi >= len(rec) || f >= len(rec) {
			return fmt.Errorf("row %d: %d column(s)", row, len(rec))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[f]), 64)
		if err != nil {
			return fmt.Errorf("row %d: frequency %q is not a number", row, rec[f])
		}
		if err := s.addHaplotype(rec[hi], v, row); err != nil {
			return err
		}
	}
}

// hfxDoc is the part of HFX 0.1.0 metadata the service uses.
type hfxDoc struct {
	Metadata struct {
		OutputResolution []struct {
			Locus      string `json:"locus"`
			Resolution string `json:"resolution"`
		} `json:"outputResolution"`
		CohortDescription struct {
			Population []struct {
				Name string `json:"name"`
			} `json:"population"`
			CohortSize json.Number `json:"cohortSize"`
		} `json:"cohortDescription"`
		NomenclatureUsed struct {
			Database string `json:"database"`
			Version  string `json:"version"`
		} `json:"nomenclatureUsed"`
		FrequencyLocation   string `json:"frequencyLocation"`
		FrequencyFileHeader struct {
			Haplotype string `json:"haplotype"`
			Frequency string `json:"frequency"`
		} `json:"frequencyFileHeader"`
		CheckSum string `json:"checkSum"`
	} `json:"metadata"`
	FrequencyData []struct {
		Haplotype string  `json:"haplotype"`
		Frequency float64 `json:"frequency"`
	} `json:"frequencyData"`
}

// ReadHFX reads HFX metadata and its frequencies: inline (frequencyData)
// or from the file frequencyLocation names (file://NAME, opened with open,
// relative to the metadata's folder). A checkSum that does not match the
// frequency file's MD5 is a warning, not an error: the published HEGL
// examples carry one file's checksum in every metadata file.
func ReadHFX(meta []byte, name string, open func(string) ([]byte, error)) (*Set, error) {
	var d hfxDoc
	if err := json.Unmarshal(meta, &d); err != nil {
		return nil, fmt.Errorf("freq: %s: HFX metadata: %w", name, err)
	}
	m := &d.Metadata
	s := &Set{Name: name, Format: FormatHFX, Source: name, Nomenclature: strings.TrimSpace(m.NomenclatureUsed.Version)}
	if len(m.CohortDescription.Population) > 0 {
		s.Population = strings.TrimSpace(m.CohortDescription.Population[0].Name)
	}
	if n, err := m.CohortDescription.CohortSize.Float64(); err == nil && n > 0 && n < 1e10 {
		s.CohortSize = int(n)
	}
	if len(m.OutputResolution) > 0 {
		s.Resolution = map[string]string{}
		for _, r := range m.OutputResolution {
			s.Resolution[strings.ToUpper(r.Locus)] = r.Resolution
		}
	}
	switch loc := strings.TrimSpace(m.FrequencyLocation); {
	case loc == "" || strings.EqualFold(loc, "inline"):
		if len(d.FrequencyData) == 0 {
			return nil, fmt.Errorf("freq: %s: HFX metadata names no frequency file and has no frequencyData", name)
		}
		for i, h := range d.FrequencyData {
			if err := s.addHaplotype(h.Haplotype, h.Frequency, i+1); err != nil {
				return nil, fmt.Errorf("freq: %s: frequencyData: %w", name, err)
			}
		}
	default:
		file, ok := strings.CutPrefix(loc, "file://")
		if !ok || file == "" || strings.Contains(file, "..") || strings.ContainsAny(file, `/\`) {
			return nil, fmt.Errorf("freq: %s: frequencyLocation %q: only file://NAME beside the metadata is read", name, loc)
		}
		if open == nil {
			return nil, fmt.Errorf("freq: %s: frequencyLocation %q needs a folder to read from", name, loc)
		}
		raw, err := open(file)
		if err != nil {
			return nil, fmt.Errorf("freq: %s: %w", name, err)
		}
		if sum := strings.TrimSpace(m.CheckSum); sum != "" {
			got := md5.Sum(raw)
			if !strings.EqualFold(sum, hex.EncodeToString(got[:])) {
				s.Warnings = append(s.Warnings, fmt.Sprintf("checkSum %s does not match %s (MD5 %x)", sum, file, got))
			}
		}
		data, err := readAll(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("freq: %s: %w", name, err)
		}
		s.Source = file
		hc, fc := m.FrequencyFileHeader.Haplotype, m.FrequencyFileHeader.Frequency
		if hc == "" {
			hc = "Haplo"
		}
		if fc == "" {
			fc = "Freq"
		}
		if err := readCSV(s, data, hc, fc); err != nil {
			return nil, fmt.Errorf("freq: %s: %s: %w", name, file, err)
		}
	}
	if err := s.finish(); err != nil {
		return nil, fmt.Errorf("freq: %s: %w", name, err)
	}
	return s, nil
}

// atlasDoc is the ATLAS HF set JSON (Anthony-Nolan/Atlas:
// Schemas/HFSetSchema.json, plus typingCategory from its code).
type atlasDoc struct {
	NomenclatureVersion json.RawMessage `json:"nomenclatureVersion"`
	DonPool             []string        `json:"donPool"`
	Ethn                []string        `json:"ethn"`
	PopulationID        json.RawMessage `json:"populationId"`
	TypingCategory      string          `json:"typingCategory"`
	Frequencies         []struct {
		A, B, C, Dqb1, Drb1 string
		Frequency           float64 `json:"frequency"`
	} `json:"frequencies"`
}

// ReadATLAS reads an ATLAS HF set. Allele names may be written with or
// without their locus (01:01:01G or A*01:01:01G). The nomenclature version
// is read as a string or a number (3330 is 3.33.0).
func ReadATLAS(data []byte, name string) (*Set, error) {
	var d atlasDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("freq: %s: ATLAS HF set: %w", name, err)
	}
	if d.Frequencies == nil {
		return nil, fmt.Errorf("freq: %s: ATLAS HF set without frequencies", name)
	}
	s := &Set{Name: name, Format: FormatATLAS, Source: name, Nomenclature: atlasVersion(d.NomenclatureVersion)}
	if id := strings.Trim(string(d.PopulationID), `" `); id != "" && id != "null" {
		s.Name = name + "#" + id
	}
	if len(d.Ethn) > 0 {
		s.Population = strings.Join(d.Ethn, "/")
	}
	if d.TypingCategory != "" {
		s.Resolution = map[string]string{"*": d.TypingCategory}
	}
	for i, f := range d.Frequencies {
		var sb strings.Builder
		for j, c := range []struct{ locus, v string }{{"A", f.A}, {"B", f.B}, {"C", f.C}, {"DQB1", f.Dqb1}, {"DRB1", f.Drb1}} {
			v := strings.TrimSpace(c.v)
			if v == "" {
				return nil, fmt.Errorf("freq: %s: frequencies[%d]: no %s allele", name, i, c.locus)
			}
			if j > 0 {
				sb.WriteByte('~')
			}
			if !strings.Contains(v, "*") {
				sb.WriteString(c.locus + "*")
			}
			sb.WriteString(v)
		}
		if err := s.addHaplotype(sb.String(), f.Frequency, i+1); err != nil {
			return nil, fmt.Errorf("freq: %s: frequencies: %w", name, err)
		}
	}
	if err := s.finish(); err != nil {
		return nil, fmt.Errorf("freq: %s: %w", name, err)
	}
	return s, nil
}

func atlasVersion(raw json.RawMessage) string {
	v := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if v == "" || v == "null" {
		return ""
	}
	if strings.Contains(v, ".") {
		return v
	}
	if len(v) >= 4 && strings.Trim(v, "0123456789") == "" {
		minor := strings.TrimLeft(v[1:len(v)-1], "0")
		if minor == "" {
			minor = "0"
		}
		return v[:1] + "." + minor + "." + v[len(v)-1:]
	}
	return v
}
