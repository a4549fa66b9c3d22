package server

import (
	"net/url"
	"strings"
	"testing"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// FuzzBodyEnumViolations: any body, JSON or not, is examined without a
// panic, and every violation names a path under the prefix.
func FuzzBodyEnumViolations(f *testing.F) {
	for _, s := range []string{`{"abo":"O"}`, `{"hla":[{"locus":"A"}],"cells":{"postProcessingTnc":1}}`, `{"abo":42}`, `[1,2]`, `{"private":{"maternalHla":[{"locus":1}]}}`, `{`, ``, `null`} {
		f.Add([]byte(s))
	}
	md := (&pb.Unit{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range bodyEnumViolations(body, md, "unit.").List() {
			if !strings.HasPrefix(v.Field, "unit.") || v.Description == "" {
				t.Fatalf("violation %+v", v)
			}
		}
	})
}

// FuzzCheckQuery: any query is checked without a panic, and a refused one
// names a parameter it holds.
func FuzzCheckQuery(f *testing.F) {
	for _, s := range []string{"stauts=X", "status=UNIT_STATUS_AVAILABLE&pageSize=10", "abo=O&abo=1", "page_size=x", "a.b.c=1", "unit_type[0]=1", "%zz"} {
		f.Add(s)
	}
	routes, err := newHTTPRoutes(apiBindings())
	if err != nil {
		f.Fatal(err)
	}
	u, _ := url.Parse("/v1/banks/b/units")
	rf := routes.match("GET", u).fields
	if rf == nil {
		f.Fatal("no route for GET /v1/banks/b/units")
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if err := rf.checkQuery(q); err != nil && len(q) == 0 {
			t.Fatalf("an empty query refused: %v", err)
		}
	})
}

// FuzzResolveFieldPath: any path resolves without a panic, and resolving
// its JSON form again gives the same.
func FuzzResolveFieldPath(f *testing.F) {
	for _, s := range []string{"unit.cells.post_processing_tnc", "unit.hla[2].locus", "unit.hla.c", "unit.", "[", "unit[", "..", "unit.private.maternal_hla[0].typing"} {
		f.Add(s)
	}
	md := (&pb.CreateUnitRequest{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, path string) {
		once, _ := resolveFieldPath(md, path)
		if twice, _ := resolveFieldPath(md, once); twice != once {
			t.Fatalf("%q -> %q -> %q", path, once, twice)
		}
	})
}
