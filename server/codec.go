package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/cordbank/cordbank/bank"
)

// requestCodec decodes gRPC requests like grpc's own proto codec, except
// for a request that does not decode. grpc answers those itself, with
// INTERNAL and before any interceptor runs, although a string field that
// is not valid UTF-8 (which protobuf refuses) or a truncated message is
// the client's fault. requestCodec instead hands such a message on empty
// and notes why; the decodeCheck interceptors, the first after logging,
// take the note and answer INVALID_ARGUMENT naming the fields. Every
// message grpc decodes on a server passes through those interceptors (a
// unary request before its handler, a stream message in RecvMsg), so every
// note is taken: none is left behind.
type requestCodec struct {
	proto encoding.CodecV2
	log   *slog.Logger
	// pending counts the notes, so that take, called for every message,
	// locks nothing when there are none.
	pending atomic.Int64
	mu      sync.Mutex
	notes   map[any]error
}

func newRequestCodec(log *slog.Logger) *requestCodec {
	return &requestCodec{proto: encoding.GetCodecV2("proto"), log: log, notes: map[any]error{}}
}

func (c *requestCodec) Name() string { return "proto" }

func (c *requestCodec) Marshal(v any) (mem.BufferSlice, error) { return c.proto.Marshal(v) }

func (c *requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.proto.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	proto.Reset(m)
	note := undecodable(m.ProtoReflect().Descriptor(), data.Materialize(), err)
	c.mu.Lock()
	c.notes[v] = note
	c.mu.Unlock()
	c.pending.Add(1)
	return nil
}

// take returns and forgets the note on v: nil when v decoded. It runs on
// the goroutine that decoded v, after Unmarshal.
func (c *requestCodec) take(v any) error {
	if c.pending.Load() == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err, ok := c.notes[v]
	if ok {
		delete(c.notes, v)
		c.pending.Add(-1)
	}
	return err
}

// undecodable describes why b does not decode as md: INVALID_ARGUMENT
// naming every string field that is not valid UTF-8, or MALFORMED_REQUEST
// for a message that is not protobuf at all.
func undecodable(md protoreflect.MessageDescriptor, b []byte, err error) error {
	if fields := invalidUTF8Fields(md, b); len(fields) > 0 {
		var v bank.Violations
		for _, f := range fields {
			v.Add(f, "not valid UTF-8")
		}
		return v.Err("invalid request: text must be UTF-8")
	}
	return status.Error(codes.InvalidArgument, "the request is not a valid protobuf "+string(md.FullName())+": "+err.Error())
}

// maxWireDepth bounds the nesting invalidUTF8Fields follows; cordbank's
// messages nest a few levels, and a hostile message could nest millions.
const maxWireDepth = 32

// invalidUTF8Fields returns the paths ("unit.hla[1].typing") of the string
// fields of the wire-format message b (of type md) that are not valid
// UTF-8, in wire order, each once. It reads as far as b is well formed and
// ignores unknown fields.
func invalidUTF8Fields(md protoreflect.MessageDescriptor, b []byte) []string {
	var out []string
	walkStrings(md, b, "", 0, &out)
	return out
}

func walkStrings(md protoreflect.MessageDescriptor, b []byte, prefix string, depth int, out *[]string) {
	if depth > maxWireDepth {
		return
	}
	seen := map[protowire.Number]int{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return
		}
		b = b[n:]
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return
			}
			b = b[n:]
			continue
		}
		val, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return
		}
		b = b[n:]
		path := prefix + string(fd.Name())
		if fd.IsList() {
			path += fmt.Sprintf("[%d]", seen[num])
			seen[num]++
		}
		switch fd.Kind() {
		case protoreflect.StringKind:
			if !utf8.Valid(val) && !slices.Contains(*out, path) {
				*out = append(*out, path)
			}
		case protoreflect.MessageKind:
			walkStrings(fd.Message(), val, path+".", depth+1, out)
		}
	}
}

// decodeCheck interceptors answer a request requestCodec could not decode.
func (c *requestCodec) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := c.take(req); err != nil {
		return nil, toStatus(ctx, c.log, err)
	}
	return h(ctx, req)
}

func (c *requestCodec) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	return h(srv, &decodeCheckedStream{ServerStream: ss, codec: c})
}

type decodeCheckedStream struct {
	grpc.ServerStream
	codec *requestCodec
}

func (s *decodeCheckedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return toStatus(s.Context(), s.codec.log, s.codec.take(m))
}
