package audit

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Diff lists the leaf fields (snake_case paths) whose values differ
// between two values of the same struct type, each value as Flatten writes
// it. Bookkeeping fields (versions, create and update times) are left out:
// every change moves them.
func Diff(before, after any) []FieldChange {
	b, a := map[string]string{}, map[string]string{}
	Flatten(reflect.ValueOf(before), "", b)
	Flatten(reflect.ValueOf(after), "", a)
	keys := map[string]bool{}
	for k := range b {
		keys[k] = true
	}
	for k := range a {
		keys[k] = true
	}
	var out []FieldChange
	for k := range keys {
		if b[k] != a[k] {
			out = append(out, FieldChange{Field: k, Before: b[k], After: a[k]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// Bookkeeping reports whether the field named name (as FieldName gives
// it) is left out of a change diff: every change moves it.
func Bookkeeping(name string) bool {
	return name == "version" || name == "update_time" || name == "create_time"
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
)

// Leaf reports whether a struct type is recorded whole, as one value,
// rather than field by field: a time, or a type with its own JSON
// encoding (unit.Date, which encodes as "YYYY-MM-DD"). Every other struct
// is walked into.
func Leaf(t reflect.Type) bool {
	return t.Kind() != reflect.Struct || t == timeType || t.Implements(marshalerType)
}

// Flatten writes every leaf of v as JSON under its snake_case path (below
// prefix, "" for the top), leaving out bookkeeping fields. Slices are
// leaves (a changed typing list shows whole); a zero value, or a nil
// pointer below the top, is written as "".
func Flatten(v reflect.Value, prefix string, out map[string]string) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if prefix != "" {
				out[prefix] = ""
			}
			return
		}
		v = v.Elem()
	}
	if !Leaf(v.Type()) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := FieldName(f)
			if Bookkeeping(name) {
				continue
			}
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			Flatten(v.Field(i), p, out)
		}
		return
	}
	if v.IsZero() {
		out[prefix] = ""
		return
	}
	val := v.Interface()
	b, err := json.Marshal(val)
	if err != nil {
		b = []byte(fmt.Sprint(val))
	}
	out[prefix] = string(b)
}

// FieldName is a field's JSON name (its tag), else its snake_case name.
func FieldName(f reflect.StructField) string {
	if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
		return tag
	}
	return snake(f.Name)
}

// snake converts a Go field name to the API's snake_case (DIN -> din,
// PostProcessingTNC -> post_processing_tnc, HLARelease -> hla_release).
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}
