package spreadsheet

import (
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// Kind says how a field's cells are read and written.
type Kind int

// The kinds of unit fields.
const (
	KindText      Kind = iota // as written
	KindDate                  // a calendar date, YYYY-MM-DD unless the mapping gives a layout
	KindEnum                  // an enum value: the wire name (ABO_O) or its last part (O)
	KindInteger               // a whole number (bags, segments)
	KindCount                 // a cell count: absolute cells unless the mapping gives a factor
	KindVolume                // a volume in mL unless the mapping says L
	KindPercent               // a percentage, 0-100
	KindTimestamp             // an RFC 3339 time (output only)
	KindTyping                // the HLA typing of one locus (hla.A)
)

// Field is one column-sized field of a unit.
type Field struct {
	// Path is the field's name in a file: its API JSON path
	// ("cells.postProcessingTnc"; "hla.A" for a locus's typing).
	Path string
	// ProtoPath is how the API's violations name it, from the import
	// request ("unit.cells.post_processing_tnc", "unit.hla.a").
	ProtoPath string
	Kind      Kind
	// OutputOnly fields are exported and ignored on import.
	OutputOnly bool

	fds   []protoreflect.FieldDescriptor // from Unit down to the field (the repeated typings for KindTyping)
	locus string                         // KindTyping
}

// Loci are the loci of the hla.* and private.maternalHla.* columns, in the
// order an export writes them (the domain's core loci).
var Loci = []string{"A", "B", "C", "DRB1", "DRB3", "DRB4", "DRB5", "DQA1", "DQB1", "DPA1", "DPB1"}

// skipped are fields neither exported nor read: the etag belongs to an
// update, not to a registration.
var skipped = map[string]bool{"etag": true}

// Fields are every field of a unit a file can hold, in the order of an
// export's columns (the order of the Unit message, typings per locus).
var Fields = unitFields()

var fieldsByPath = func() map[string]*Field {
	m := map[string]*Field{}
	for _, f := range Fields {
		m[strings.ToLower(f.Path)] = f
	}
	return m
}()

var fieldsByProto = func() map[string]*Field {
	m := map[string]*Field{}
	for _, f := range Fields {
		m[f.ProtoPath] = f
	}
	return m
}()

// FieldByPath returns the field a path names (case-insensitive), or nil.
func FieldByPath(path string) *Field { return fieldsByPath[normHeader(path)] }

func unitFields() []*Field {
	var out []*Field
	var walk func(md protoreflect.MessageDescriptor, jsonPfx, protoPfx string, parents []protoreflect.FieldDescriptor)
	walk = func(md protoreflect.MessageDescriptor, jsonPfx, protoPfx string, parents []protoreflect.FieldDescriptor) {
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			jp, pp := jsonPfx+fd.JSONName(), protoPfx+string(fd.Name())
			if skipped[jp] {
				continue
			}
			path := append(append([]protoreflect.FieldDescriptor(nil), parents...), fd)
			out0 := outputOnly(fd)
			switch {
			case fd.IsList() && fd.Message() != nil && fd.Message().FullName() == "cordbank.v1.LocusTyping":
				for _, l := range Loci {
					out = append(out, &Field{Path: jp + "." + l, ProtoPath: pp + "." + strings.ToLower(l), Kind: KindTyping, fds: path, locus: l})
				}
			case fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Timestamp":
				out = append(out, &Field{Path: jp, ProtoPath: pp, Kind: KindTimestamp, OutputOnly: true, fds: path})
			case fd.Message() != nil:
				walk(fd.Message(), jp+".", pp+".", path)
			case fd.IsList():
				// No repeated scalar in a unit today; a new one needs a rule.
			default:
				out = append(out, &Field{Path: jp, ProtoPath: pp, Kind: scalarKind(fd), OutputOnly: out0, fds: path})
			}
		}
	}
	walk((&pb.Unit{}).ProtoReflect().Descriptor(), "", "unit.", nil)
	return out
}

func outputOnly(fd protoreflect.FieldDescriptor) bool {
	fb, _ := proto.GetExtension(fd.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	for _, b := range fb {
		if b == annotations.FieldBehavior_OUTPUT_ONLY || b == annotations.FieldBehavior_IDENTIFIER {
			return true
		}
	}
	return false
}

func scalarKind(fd protoreflect.FieldDescriptor) Kind {
	name := string(fd.Name())
	switch fd.Kind() {
	case protoreflect.EnumKind:
		return KindEnum
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		return KindInteger
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		switch {
		case strings.HasSuffix(name, "_ml"):
			return KindVolume
		case strings.HasSuffix(name, "_percent"):
			return KindPercent
		default:
			// Every other number of a unit is a count of cells (the
			// cells message: TNC, CD34+, CFU, nucleated RBC).
			return KindCount
		}
	}
	if strings.HasSuffix(name, "_date") {
		return KindDate
	}
	return KindText
}

// enumPrefix is the common prefix of an enum's value names
// ("UNIT_TYPE_" of UNIT_TYPE_PUBLIC), what a file may leave out.
func enumPrefix(ed protoreflect.EnumDescriptor) string {
	unspecified := string(ed.Values().ByNumber(0).Name())
	return strings.TrimSuffix(unspecified, "UNSPECIFIED")
}
