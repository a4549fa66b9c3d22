package server

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// httpBinding is one google.api.http binding of an RPC.
type httpBinding struct {
	Method string // GET, POST ...
	Path   string // the path template, "/v1/{name=banks/*}"
	Body   string // the request field the body fills: "" none, "*" the whole request
	RPC    protoreflect.FullName
}

// apiBindings returns the HTTP bindings of every RPC of the cordbank.v1
// package, as their google.api.http options declare them.
func apiBindings() []httpBinding {
	var out []httpBinding
	pkg := pb.File_cordbank_v1_registry_service_proto.Package()
	protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			methods := f.Services().Get(i).Methods()
			for j := range methods.Len() {
				m := methods.Get(j)
				rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
				out = appendBindings(out, m.FullName(), rule)
			}
		}
		return true
	})
	return out
}

func appendBindings(out []httpBinding, rpc protoreflect.FullName, rule *annotations.HttpRule) []httpBinding {
	if rule == nil {
		return out
	}
	b := httpBinding{RPC: rpc, Body: rule.GetBody()}
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		b.Method, b.Path = http.MethodGet, p.Get
	case *annotations.HttpRule_Put:
		b.Method, b.Path = http.MethodPut, p.Put
	case *annotations.HttpRule_Post:
		b.Method, b.Path = http.MethodPost, p.Post
	case *annotations.HttpRule_Delete:
		b.Method, b.Path = http.MethodDelete, p.Delete
	case *annotations.HttpRule_Patch:
		b.Method, b.Path = http.MethodPatch, p.Patch
	case *annotations.HttpRule_Custom:
		b.Method, b.Path = p.Custom.GetKind(), p.Custom.GetPath()
	}
	if b.Path != "" {
		out = append(out, b)
	}
	for _, extra := range rule.GetAdditionalBindings() {
		out = appendBindings(out, rpc, extra)
	}
	return out
}

// httpRoutes matches paths against the API's HTTP bindings with the
// gateway's own matcher: a gateway mux that serves nothing, with one
// recording handler per binding. So routing answers (404, 405 and its
// Allow header) and the names of path parameters follow the bindings and
// the gateway's rules (unescaping, custom verbs) without a hand-kept list.
type httpRoutes struct {
	probe   *runtime.ServeMux
	methods []string // every method a binding uses, sorted
	fields  []*routeFields
}

type routeMatch struct {
	ok     bool
	params map[string]string
	fields *routeFields // the request fields of the binding that took the path
}

type routeProbeKey struct{}

func newHTTPRoutes(bindings []httpBinding) (*httpRoutes, error) {
	rt := &httpRoutes{probe: runtime.NewServeMux(
		runtime.WithRoutingErrorHandler(func(context.Context, *runtime.ServeMux, runtime.Marshaler, http.ResponseWriter, *http.Request, int) {}),
		runtime.WithErrorHandler(func(context.Context, *runtime.ServeMux, runtime.Marshaler, http.ResponseWriter, *http.Request, error) {
		}),
	)}
	for _, b := range bindings {
		fields, err := newRouteFields(b)
		if err != nil {
			return nil, err
		}
		rt.fields = append(rt.fields, fields)
		hasVerb := strings.Contains(b.Path[strings.LastIndexByte(b.Path, '/')+1:], ":")
		err = rt.probe.HandlePath(b.Method, b.Path, func(_ http.ResponseWriter, r *http.Request, params map[string]string) {
			m, ok := r.Context().Value(routeProbeKey{}).(*routeMatch)
			if !ok {
				return
			}
			// The gateway lets a wildcard take a custom verb the binding
			// lacks ("units/{din}:destroy" as a unit name); no resource id
			// holds a colon, so that is a verb no binding has.
			last := r.URL.EscapedPath()[strings.LastIndexByte(r.URL.EscapedPath(), '/')+1:]
			if !hasVerb && strings.Contains(last, ":") {
				return
			}
			m.ok, m.params, m.fields = true, params, fields
		})
		if err != nil {
			return nil, err
		}
		if !slices.Contains(rt.methods, b.Method) {
			rt.methods = append(rt.methods, b.Method)
		}
	}
	slices.Sort(rt.methods)
	return rt, nil
}

// match reports whether a binding takes method on u's path, and its path
// parameters.
func (rt *httpRoutes) match(method string, u *url.URL) routeMatch {
	var m routeMatch
	r := (&http.Request{Method: method, URL: u, Header: http.Header{}}).WithContext(context.WithValue(context.Background(), routeProbeKey{}, &m))
	rt.probe.ServeHTTP(discardResponse{}, r)
	return m
}

// allowed returns the methods the bindings take on u's path, sorted; none
// when no binding has the path.
func (rt *httpRoutes) allowed(u *url.URL) []string {
	var out []string
	for _, m := range rt.methods {
		if rt.match(m, u).ok {
			out = append(out, m)
		}
	}
	return out
}

// pathParams returns the path parameters of the binding that takes method
// on u's path or, when none does, of the first binding that has the path
// with another method.
func (rt *httpRoutes) pathParams(method string, u *url.URL) map[string]string {
	if m := rt.match(method, u); m.ok {
		return m.params
	}
	for _, other := range rt.methods {
		if m := rt.match(other, u); m.ok {
			return m.params
		}
	}
	return nil
}

type discardResponse struct{}

func (discardResponse) Header() http.Header         { return http.Header{} }
func (discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (discardResponse) WriteHeader(int)             {}
