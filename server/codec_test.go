package server

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

// corrupt marshals m and replaces every "~~" in the wire bytes by two
// bytes that are not UTF-8 (same length, so the framing stays valid).
func corrupt(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("~~"), []byte{0xff, 0xfe})
}

func TestInvalidUTF8Fields(t *testing.T) {
	req := &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: &pb.Unit{Din: "G1234~~", LocalId: "ok",
		Hla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01"}, {Locus: "B", Typing: "B*07:~~"}, {Locus: "C~~", Typing: "C*07:~~"}}}}
	b := corrupt(t, req)
	if err := proto.Unmarshal(b, &pb.CreateUnitRequest{}); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("the corrupted message decodes: %v", err)
	}
	got := invalidUTF8Fields(req.ProtoReflect().Descriptor(), b)
	want := []string{"unit.din", "unit.hla[1].typing", "unit.hla[2].locus", "unit.hla[2].typing"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	if got := invalidUTF8Fields(req.ProtoReflect().Descriptor(), b[:len(b)-3]); len(got) > 3 {
		t.Errorf("truncated: %v", got)
	}
	valid, _ := proto.Marshal(&pb.CreateUnitRequest{Parent: "banks/nybc"})
	if got := invalidUTF8Fields(req.ProtoReflect().Descriptor(), valid); got != nil {
		t.Errorf("valid message: %v", got)
	}
}

// FuzzInvalidUTF8Fields: the wire walker never panics, finds nothing in a
// message protobuf accepts, and finds a field whenever protobuf refuses the
// message for its UTF-8 alone.
func FuzzInvalidUTF8Fields(f *testing.F) {
	f.Add(corrupt(f, &pb.CreateUnitRequest{Parent: "banks/~~", Unit: &pb.Unit{Din: "~~", Hla: []*pb.LocusTyping{{Typing: "~~"}}}}))
	f.Add([]byte{0x0a, 0x02, 0xff, 0xfe})
	f.Add([]byte{0x12, 0x80})
	md := (&pb.CreateUnitRequest{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, b []byte) {
		fields := invalidUTF8Fields(md, b)
		err := proto.Unmarshal(b, &pb.CreateUnitRequest{})
		if err == nil && len(fields) > 0 {
			t.Fatalf("a message protobuf accepts has invalid UTF-8 in %v", fields)
		}
		if err != nil && strings.Contains(err.Error(), "invalid UTF-8") && len(fields) == 0 {
			t.Fatalf("protobuf refuses %x for UTF-8 (%v); no field found", b, err)
		}
	})
}

// BenchmarkRequestDecode compares decoding a unit's create request with
// grpc's proto codec and with requestCodec (plus the interceptor's take),
// which every gRPC request now passes through.
func BenchmarkRequestDecode(b *testing.B) {
	tnc := 1.3e9
	req := &pb.CreateUnitRequest{Parent: "banks/nybc", Unit: &pb.Unit{Din: "G123498654321", UnitType: pb.UnitType_UNIT_TYPE_PUBLIC,
		CollectionDate: "2024-03-17", ProcessingDate: "2024-03-18", Cells: &pb.CellCounts{PostProcessingTnc: 1.1e9, PreProcessingTnc: &tnc},
		Hla: []*pb.LocusTyping{{Locus: "A", Typing: "A*02:01+A*24:02"}, {Locus: "B", Typing: "B*07:02+B*44:02"}, {Locus: "DRB1", Typing: "DRB1*15:01+DRB1*04:01"}}}}
	wire, _ := proto.Marshal(req)
	data := mem.BufferSlice{mem.SliceBuffer(wire)}
	codec := newRequestCodec(slog.New(slog.DiscardHandler))
	for _, bc := range []struct {
		name   string
		decode func(m *pb.CreateUnitRequest) error
	}{
		{"proto", func(m *pb.CreateUnitRequest) error { return codec.proto.Unmarshal(data, m) }},
		{"requestCodec", func(m *pb.CreateUnitRequest) error {
			if err := codec.Unmarshal(data, m); err != nil {
				return err
			}
			return codec.take(m)
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.decode(&pb.CreateUnitRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRequestCodecNotes: a message that does not decode is handed on empty
// with a note, which the first take returns and forgets; one that decodes
// has none.
func TestRequestCodecNotes(t *testing.T) {
	c := newRequestCodec(slog.New(slog.DiscardHandler))
	bad := &pb.GetBankRequest{}
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(corrupt(t, &pb.GetBankRequest{Name: "banks/~~"}))}, bad); err != nil {
		t.Fatal(err)
	}
	if bad.GetName() != "" {
		t.Errorf("an undecodable message was handed on with %q", bad.GetName())
	}
	good := &pb.GetBankRequest{}
	wire, _ := proto.Marshal(&pb.GetBankRequest{Name: "banks/nybc"})
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, good); err != nil || good.GetName() != "banks/nybc" {
		t.Fatalf("good message: %v %v", good, err)
	}
	if err := c.take(good); err != nil {
		t.Errorf("note on a good message: %v", err)
	}
	if err := c.take(bad); err == nil {
		t.Error("no note on the undecodable message")
	}
	if err := c.take(bad); err != nil || c.pending.Load() != 0 || len(c.notes) != 0 {
		t.Errorf("the note was kept: %v, pending %d, %d notes", err, c.pending.Load(), len(c.notes))
	}
}
