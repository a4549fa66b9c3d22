package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/cordbank/cordbank/bank"
)

// The REST edge is strict where the gateway is lenient: it drops query
// parameters that name no field, and its messages for an enum value it
// does not know name neither the field's path nor the values it takes.
// Everything here is read from the descriptors of the RPCs' requests, so a
// new field or enum value needs no code.

// routeFields describes the request of one HTTP binding: which query
// parameters it takes and what its body decodes into.
type routeFields struct {
	pattern string // the binding's path template
	input   protoreflect.MessageDescriptor
	// query holds the fields a query parameter may set, by JSON path
	// ("pageSize", "status"); valid lists those paths, sorted.
	query map[string]protoreflect.FieldDescriptor
	valid []string
	// body is what the body decodes into (nil without a body) and
	// bodyPath its JSON path in the request ("" for the whole request).
	body     protoreflect.MessageDescriptor
	bodyPath string
}

var pathVariable = regexp.MustCompile(`\{([A-Za-z0-9_.]+)`)

func newRouteFields(b httpBinding) (*routeFields, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(b.RPC)
	if err != nil {
		return nil, fmt.Errorf("binding %s %s: %w", b.Method, b.Path, err)
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return nil, fmt.Errorf("binding %s %s: %s is not a method", b.Method, b.Path, b.RPC)
	}
	rf := &routeFields{pattern: b.Path, input: md.Input(), query: map[string]protoreflect.FieldDescriptor{}}
	bound := map[string]bool{} // proto paths the path and the body set
	for _, m := range pathVariable.FindAllStringSubmatch(b.Path, -1) {
		bound[m[1]] = true
	}
	switch b.Body {
	case "":
	case "*":
		rf.body = rf.input
	default:
		fd := rf.input.Fields().ByName(protoreflect.Name(b.Body))
		if fd != nil && fd.Kind() == protoreflect.BytesKind {
			// The body is raw bytes (a spreadsheet file), not JSON.
			bound[b.Body] = true
			break
		}
		if fd == nil || fd.Message() == nil {
			return nil, fmt.Errorf("binding %s %s: body %q is not a message field of %s", b.Method, b.Path, b.Body, rf.input.FullName())
		}
		bound[b.Body] = true
		rf.body, rf.bodyPath = fd.Message(), fd.JSONName()
	}
	if b.Body != "*" { // a "*" body leaves nothing to the query
		rf.addQueryFields(rf.input, "", "", bound, nil)
	}
	for p := range rf.query {
		rf.valid = append(rf.valid, p)
	}
	slices.Sort(rf.valid)
	return rf, nil
}

// addQueryFields adds md's fields that the path and body leave unset, as
// the gateway reads them: scalars, enums and well-known types by their
// path, other messages field by field (once along any path, so recursive
// messages end).
func (rf *routeFields) addQueryFields(md protoreflect.MessageDescriptor, protoPrefix, jsonPrefix string, bound map[string]bool, seen []protoreflect.FullName) {
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		protoPath, jsonPath := protoPrefix+string(fd.Name()), jsonPrefix+fd.JSONName()
		if bound[protoPath] || fd.IsMap() {
			continue
		}
		if m := fd.Message(); m != nil && !isWellKnown(m) {
			if !fd.IsList() && !slices.Contains(seen, m.FullName()) {
				rf.addQueryFields(m, protoPath+".", jsonPath+".", bound, append(seen, md.FullName()))
			}
			continue
		}
		rf.query[jsonPath] = fd
	}
}

// isWellKnown reports whether m is a google.protobuf type, which JSON and
// query parameters carry as one value (a timestamp, a field mask).
func isWellKnown(m protoreflect.MessageDescriptor) bool {
	return m.ParentFile().Package() == "google.protobuf"
}

// checkQuery refuses query parameters that set no field of the request
// and enum values the field does not have, naming each parameter and
// what it may be.
func (rf *routeFields) checkQuery(q url.Values) error {
	var v bank.Violations
	for _, k := range sortedKeys(q) {
		path, fd := resolveFieldPath(rf.input, k)
		if qf, ok := rf.query[path]; !ok || qf != fd {
			if len(rf.valid) == 0 {
				v.Add(k, "unknown query parameter: this route takes none (the request goes in the body)")
			} else {
				v.Add(k, "unknown query parameter: this route takes %s", strings.Join(rf.valid, ", "))
			}
			continue
		}
		if fd.Enum() == nil {
			continue
		}
		for _, val := range q[k] {
			if !enumTakes(fd.Enum(), val) {
				v.Add(path, "%q is not a value of %s: use one of %s", val, fd.Enum().Name(), strings.Join(enumValueNames(fd.Enum()), ", "))
			}
		}
	}
	return v.Err("invalid request: query parameters")
}

// enumTakes reports whether the gateway reads s as a value of e: a value's
// name, or its number.
func enumTakes(e protoreflect.EnumDescriptor, s string) bool {
	if e.Values().ByName(protoreflect.Name(s)) != nil {
		return true
	}
	n, err := strconv.ParseInt(s, 10, 32)
	return err == nil && e.Values().ByNumber(protoreflect.EnumNumber(n)) != nil
}

// enumValueNames lists e's values as the wire names them, without the
// zero value (UNSPECIFIED, which means "not set").
func enumValueNames(e protoreflect.EnumDescriptor) []string {
	var out []string
	for i := range e.Values().Len() {
		if ev := e.Values().Get(i); ev.Number() != 0 {
			out = append(out, string(ev.Name()))
		}
	}
	return out
}

// resolveFieldPath follows a field path ("unit.cells.post_processing_tnc",
// "units[2].abo", in proto or JSON names) from md and returns it in JSON
// names with the field it ends at. Segments past a name md's messages do
// not have are kept as they are, and the field is then nil.
func resolveFieldPath(md protoreflect.MessageDescriptor, path string) (string, protoreflect.FieldDescriptor) {
	segs := strings.Split(path, ".")
	var fd protoreflect.FieldDescriptor
	for i, seg := range segs {
		if md == nil {
			return strings.Join(segs, "."), nil
		}
		name, index := seg, "" // index: "[2]", or a map key
		if at := strings.IndexByte(seg, '['); at >= 0 {
			name, index = seg[:at], seg[at:]
		}
		fd = md.Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			fd = md.Fields().ByJSONName(name)
		}
		if fd == nil {
			return strings.Join(segs, "."), nil
		}
		segs[i] = fd.JSONName() + index
		md = nil
		switch {
		case fd.IsMap():
			md = fd.MapValue().Message()
		case fd.Message() != nil:
			md = fd.Message()
		}
	}
	return strings.Join(segs, "."), fd
}

// withWireEnumValues rewrites the descriptions of violations of enum
// fields of the request md so that the values they list are the wire's
// (ABO_O) rather than the domain's (O): the domain knows no wire names.
func withWireEnumValues(err error, md protoreflect.MessageDescriptor) error {
	return mapViolations(err, func(v *errdetails.BadRequest_FieldViolation) {
		v.Description = wireEnumDescription(md, v.GetField(), v.GetDescription())
	})
}

// wireEnumDescription is desc, a violation of field (a path in md), with
// the values an enum field's "one of ..." lists in their wire names.
func wireEnumDescription(md protoreflect.MessageDescriptor, field, desc string) string {
	_, fd := resolveFieldPath(md, field)
	if fd == nil || fd.Enum() == nil {
		return desc
	}
	if i := strings.Index(desc, "one of "); i >= 0 {
		return desc[:i] + "one of " + strings.Join(enumValueNames(fd.Enum()), ", ")
	}
	return desc
}

// withJSONFieldPaths rewrites the paths of the violations in err, which
// name fields of the request md in proto names, to the JSON names a REST
// caller uses.
func withJSONFieldPaths(err error, md protoreflect.MessageDescriptor) error {
	return mapViolations(err, func(v *errdetails.BadRequest_FieldViolation) {
		v.Field, _ = resolveFieldPath(md, v.GetField())
	})
}

// mapViolations applies fn to every field violation of err's BadRequest
// detail; an error without one is returned as it is.
func mapViolations(err error, fn func(*errdetails.BadRequest_FieldViolation)) error {
	st, ok := status.FromError(err)
	if !ok || err == nil {
		return err
	}
	p := st.Proto()
	changed := false
	for i, d := range p.GetDetails() {
		br := &errdetails.BadRequest{}
		if !d.MessageIs(br) || d.UnmarshalTo(br) != nil {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			fn(v)
		}
		a, aerr := anypb.New(br)
		if aerr != nil {
			return err
		}
		p.Details[i], changed = a, true
	}
	if !changed {
		return err
	}
	return status.FromProto(p).Err()
}

// methodInput returns the request message of a gRPC full method name
// ("/cordbank.v1.RegistryService/CreateUnit"), nil when it is not one of
// the registered methods.
func methodInput(fullMethod string) protoreflect.MessageDescriptor {
	name := protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(fullMethod, "/"), "/", "."))
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(name)
	if err != nil {
		return nil
	}
	if md, ok := d.(protoreflect.MethodDescriptor); ok {
		return md.Input()
	}
	return nil
}

// bodyEnumViolations finds, in a JSON body that did not decode into md,
// the enum fields whose value md's enums do not have, with the values
// each takes. The gateway's decoder names only the field, not its path,
// and not what it takes. Values that are not enums, or are numbers, are
// left to the decoder and the domain.
func bodyEnumViolations(body []byte, md protoreflect.MessageDescriptor, prefix string) *bank.Violations {
	v := &bank.Violations{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return v
	}
	walkEnums(doc, md, prefix, v)
	return v
}

func walkEnums(doc any, md protoreflect.MessageDescriptor, path string, v *bank.Violations) {
	obj, ok := doc.(map[string]any)
	if !ok || isWellKnown(md) {
		return
	}
	for _, k := range sortedKeys(obj) {
		fd := md.Fields().ByJSONName(k)
		if fd == nil {
			fd = md.Fields().ByName(protoreflect.Name(k))
		}
		if fd == nil {
			continue
		}
		p := path + fd.JSONName()
		check := func(val any, at string) {
			switch {
			case fd.IsMap() && fd.MapValue().Enum() != nil:
				checkEnumValue(val, fd.MapValue().Enum(), at, v)
			case fd.IsMap() && fd.MapValue().Message() != nil:
				walkEnums(val, fd.MapValue().Message(), at+".", v)
			case fd.Enum() != nil:
				checkEnumValue(val, fd.Enum(), at, v)
			case fd.Message() != nil:
				walkEnums(val, fd.Message(), at+".", v)
			}
		}
		switch val := obj[k].(type) {
		case []any:
			if fd.IsList() {
				for i, e := range val {
					check(e, p+"["+strconv.Itoa(i)+"]")
				}
			}
		case map[string]any:
			if fd.IsMap() {
				for _, mk := range sortedKeys(val) {
					check(val[mk], p+"["+strconv.Quote(mk)+"]")
				}
			} else {
				check(val, p)
			}
		default:
			check(val, p)
		}
	}
}

func checkEnumValue(val any, e protoreflect.EnumDescriptor, path string, v *bank.Violations) {
	s, ok := val.(string)
	if !ok || e.FullName() == "google.protobuf.NullValue" || e.Values().ByName(protoreflect.Name(s)) != nil {
		return
	}
	v.Add(path, "%q is not a value of %s: use one of %s", s, e.Name(), strings.Join(enumValueNames(e), ", "))
}
