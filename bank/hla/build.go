package hla

import (
	"errors"
	"strings"
)

// builder turns the parsed WMDA files into a Reference.
type builder struct {
	r       *Reference
	alleles []Name         // current alleles, in hla_nom.txt order
	idx     map[akey]int32 // allele key -> index in alleles
	gOf     []Name         // G group of each allele, zero when none
	pOf     []Name         // P group of each allele, zero when none
	sero    [][]Name       // antigens of each allele from rel_dna_ser.txt (every column)
	unamb   [][]Name       // antigens of the unambiguous column only
	assumed [][]Name       // antigens of the assumed column only
	expert  []bool         // allele has an expert-assigned exception (sixth column)
	hasRow  []bool         // allele has a rel_dna_ser.txt line
	groups  map[akey][]int32
	single  map[Name]int32
	multi   map[string]int32
}

func newBuilder(release string) *builder {
	return &builder{
		r: &Reference{
			release:  release,
			loaded:   true,
			loci:     map[string]string{},
			deleted:  map[akey]deletion{},
			antigens: map[akey]antigen{},
		},
		idx:    make(map[akey]int32, 1<<15),
		groups: map[akey][]int32{},
		single: make(map[Name]int32, 1<<15),
		multi:  map[string]int32{},
	}
}

// fileLocus turns "A*" or "Cw*" into the canonical molecular locus,
// registering loci that the built-in list lacks.
func (b *builder) fileLocus(s string) (string, error) {
	s = strings.TrimSuffix(s, "*")
	if strings.EqualFold(s, "Cw") {
		return "C", nil // pre-2010 name of the C locus, used by deleted entries
	}
	if l := b.r.lookupLocus(s); l != "" {
		return l, nil
	}
	if s == "" || !isLocusName(s) {
		return "", errors.New("bad locus " + quote(s))
	}
	u := strings.ToUpper(s)
	b.r.loci[u] = u
	return u, nil
}

func isLocusName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return isLetter(s[0])
}

func (b *builder) allele(locusCol, name string) (Name, error) {
	locus, err := b.fileLocus(locusCol)
	if err != nil {
		return Name{}, err
	}
	n, reason := parseAlleleBody(name)
	if reason != "" {
		return Name{}, errors.New(quote(name) + ": " + reason)
	}
	n.Locus = locus
	return n, nil
}

// readNom reads hla_nom.txt: locus; name; date assigned; date deleted;
// identical to; reason.
func (b *builder) readNom(text string) error {
	type pending struct {
		k akey
		d deletion
	}
	err := forLines(FileNom, text, 5, 6, func(c []string) error {
		deleted := c[3] != ""
		if !strings.HasSuffix(c[0], "*") {
			l, ok := serologyLoci[strings.ToUpper(c[0])]
			if !ok {
				return nil // not a serological locus we match on
			}
			k := akey{l, c[1], '#'}
			a := b.r.antigens[k]
			a.deleted = deleted
			b.r.antigens[k] = a
			return nil
		}
		n, err := b.allele(c[0], c[1])
		if err != nil {
			if deleted {
				return nil // some deleted pre-2010 names do not follow today's syntax
			}
			return err
		}
		if !deleted {
			b.idx[keyOf(n)] = int32(len(b.alleles))
			b.alleles = append(b.alleles, n)
			return nil
		}
		d := deletion{}
		if len(c) > 5 {
			d.reason = c[5]
		}
		if c[4] != "" {
			if cur, reason := parseAlleleBody(c[4]); reason == "" && cur.Kind == KindAllele {
				cur.Locus = n.Locus
				d.current = cur
			}
		}
		b.r.deleted[keyOf(n)] = d
		return nil
	})
	if err != nil {
		return err
	}
	// Follow renaming chains so that Current is a name of this release.
	for k, d := range b.r.deleted {
		cur := d.current
		for i := 0; i < 8 && cur.Kind != 0; i++ {
			if _, ok := b.idx[keyOf(cur)]; ok {
				break
			}
			next, ok := b.r.deleted[keyOf(cur)]
			if !ok {
				break
			}
			cur = next.current
		}
		d.current = cur
		b.r.deleted[k] = d
	}
	n := len(b.alleles)
	b.gOf, b.pOf = make([]Name, n), make([]Name, n)
	b.sero, b.hasRow = make([][]Name, n), make([]bool, n)
	b.unamb, b.assumed, b.expert = make([][]Name, n), make([][]Name, n), make([]bool, n)
	return nil
}

// readGroups reads hla_nom_g.txt or hla_nom_p.txt: locus; members; group.
// Members of no group have an empty third column.
func (b *builder) readGroups(text string, kind byte) error {
	file := FileNomG
	if kind == 'P' {
		file = FileNomP
	}
	return forLines(file, text, 3, 3, func(c []string) error {
		if c[2] == "" {
			return nil
		}
		g, err := b.allele(c[0], strings.TrimSuffix(c[2], string(kind)))
		if err != nil {
			return err
		}
		g.Kind, g.Suffix = KindGGroup, 0
		set := b.gOf
		if kind == 'P' {
			g.Kind, set = KindPGroup, b.pOf
		}
		gk := keyOf(g)
		for _, m := range strings.Split(c[1], "/") {
			a, reason := parseAlleleBody(m)
			if reason != "" {
				return errors.New(quote(m) + ": " + reason)
			}
			a.Locus = g.Locus
			i, ok := b.idx[keyOf(a)]
			if !ok {
				continue // listed but not current: ignore rather than invent
			}
			set[i] = g
			b.groups[gk] = append(b.groups[gk], i)
		}
		return nil
	})
}

// readDNASer reads rel_dna_ser.txt: locus; allele; unambiguous; possible;
// assumed; expert (newer files add a HATS column). For an allele every
// assignment column counts (sero); 0 means null and ? means no antigen.
// The unambiguous and assumed columns and the presence of an expert
// exception are also kept apart, for the antigen equivalent of allele
// families (familySerology).
func (b *builder) readDNASer(text string) error {
	return forLines(FileDNASer, text, 5, 7, func(c []string) error {
		a, err := b.allele(c[0], c[1])
		if err != nil {
			return err
		}
		i, ok := b.idx[keyOf(a)]
		if !ok {
			return nil
		}
		b.hasRow[i] = true
		sl := molecularSerologyLocus(a.Locus)
		if a.IsNull() || c[2] == "0" || sl == "" {
			return nil
		}
		antigens := func(dst []Name, col string) []Name {
			for _, v := range strings.Split(col, "/") {
				if v == "" || v == "0" || v == "?" || !isField(v, 1, 4) {
					continue
				}
				dst = append(dst, Name{Kind: KindSerology, Locus: sl, Fields: v})
			}
			return dst
		}
		var out []Name
		for _, col := range c[2:] {
			out = antigens(out, col)
		}
		b.sero[i] = sortNames(out)
		b.unamb[i] = sortNames(antigens(nil, c[2]))
		b.assumed[i] = sortNames(antigens(nil, c[4]))
		b.expert[i] = len(c) > 5 && c[5] != ""
		return nil
	})
}

// readSerSer reads rel_ser_ser.txt: locus; antigen; splits; associated.
func (b *builder) readSerSer(text string) error {
	return forLines(FileSerSer, text, 3, 4, func(c []string) error {
		l, ok := serologyLoci[strings.ToUpper(c[0])]
		if !ok {
			return nil
		}
		add := func(list string, assoc bool) {
			for _, v := range strings.Split(list, "/") {
				if v == "" {
					continue
				}
				k := akey{l, v, '#'}
				a := b.r.antigens[k]
				a.parent, a.associated = c[1], assoc
				b.r.antigens[k] = a
			}
		}
		if _, ok := b.r.antigens[akey{l, c[1], '#'}]; !ok {
			b.r.antigens[akey{l, c[1], '#'}] = antigen{}
		}
		add(c[2], false)
		if len(c) > 3 {
			add(c[3], true)
		}
		return nil
	})
}
