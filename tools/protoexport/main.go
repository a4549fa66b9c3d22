// Command protoexport prints a .proto file that a pinned Go module links in
// but does not ship as source, rebuilt from its compiled descriptor, so buf
// can import it (scripts/proto-vendor.sh). It prints only what such option
// files hold (enums and extensions, with their comments left out) and
// refuses a file with messages or services rather than print it wrong.
//
//	go run ./protoexport google/api/field_behavior.proto
package main

import (
	"fmt"
	"os"
	"strings"

	_ "google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: protoexport FILE.proto")
		os.Exit(2)
	}
	out, err := export(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "protoexport:", err)
		os.Exit(1)
	}
	fmt.Print(out)
}

func export(path string) (string, error) {
	f, err := protoregistry.GlobalFiles.FindFileByPath(path)
	if err != nil {
		return "", err
	}
	if f.Messages().Len() > 0 || f.Services().Len() > 0 {
		return "", fmt.Errorf("%s has messages or services, which this printer does not print", path)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// Rebuilt by tools/protoexport from the descriptor linked into the pinned\n// Go module; the original's comments are not part of a descriptor.\n")
	fmt.Fprintf(&b, "syntax = %q;\n\npackage %s;\n\n", syntaxOf(f), f.Package())
	for i := range f.Imports().Len() {
		fmt.Fprintf(&b, "import %q;\n", f.Imports().Get(i).Path())
	}
	if opts, ok := f.Options().(*descriptorpb.FileOptions); ok && opts.GoPackage != nil {
		fmt.Fprintf(&b, "\noption go_package = %q;\n", opts.GetGoPackage())
	}
	exts := map[protoreflect.FullName][]protoreflect.ExtensionDescriptor{}
	var extendees []protoreflect.FullName
	for i := range f.Extensions().Len() {
		x := f.Extensions().Get(i)
		n := x.ContainingMessage().FullName()
		if _, ok := exts[n]; !ok {
			extendees = append(extendees, n)
		}
		exts[n] = append(exts[n], x)
	}
	for _, n := range extendees {
		fmt.Fprintf(&b, "\nextend %s {\n", n)
		for _, x := range exts[n] {
			label := ""
			if x.Cardinality() == protoreflect.Repeated {
				label = "repeated "
			}
			typ := x.Kind().String()
			switch {
			case x.Enum() != nil:
				typ = "." + string(x.Enum().FullName())
			case x.Message() != nil:
				typ = "." + string(x.Message().FullName())
			}
			opt := ""
			if o, ok := x.Options().(*descriptorpb.FieldOptions); ok && o.Packed != nil {
				opt = fmt.Sprintf(" [packed = %t]", o.GetPacked())
			}
			fmt.Fprintf(&b, "  %s%s %s = %d%s;\n", label, typ, x.Name(), x.Number(), opt)
		}
		b.WriteString("}\n")
	}
	for i := range f.Enums().Len() {
		e := f.Enums().Get(i)
		fmt.Fprintf(&b, "\nenum %s {\n", e.Name())
		for j := range e.Values().Len() {
			v := e.Values().Get(j)
			fmt.Fprintf(&b, "  %s = %d;\n", v.Name(), v.Number())
		}
		b.WriteString("}\n")
	}
	return b.String(), nil
}

func syntaxOf(f protoreflect.FileDescriptor) string {
	if f.Syntax() == protoreflect.Proto2 {
		return "proto2"
	}
	return "proto3"
}
