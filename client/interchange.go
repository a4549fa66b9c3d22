package client

import (
	"context"
	"errors"
	"io"

	"google.golang.org/genproto/googleapis/api/httpbody"

	pb "github.com/cordbank/cordbank/proto/cordbank/v1"
)

func (c *Client) interchange() pb.InterchangeServiceClient {
	return pb.NewInterchangeServiceClient(c.conn)
}

// spreadsheetPieceBytes is the size of the pieces a file is streamed in.
const spreadsheetPieceBytes = 1 << 20

// ImportSpreadsheet streams the file read from r into the bank of
// first.Parent (first names the format, mapping, sheet and dry run; its
// Content is ignored) and returns one result per row. Not retried:
// re-running an import reports rows already stored as already present.
func (c *Client) ImportSpreadsheet(ctx context.Context, first *pb.ImportSpreadsheetRequest, r io.Reader) (*pb.ImportSpreadsheetResponse, error) {
	stream, err := c.interchange().ImportSpreadsheet(ctx)
	if err != nil {
		return nil, convertError(err)
	}
	buf := make([]byte, spreadsheetPieceBytes)
	msg := &pb.ImportSpreadsheetRequest{Parent: first.GetParent(), Format: first.GetFormat(), Mapping: first.GetMapping(),
		DryRun: first.GetDryRun(), Sheet: first.GetSheet()}
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 || msg != nil {
			if msg == nil {
				msg = &pb.ImportSpreadsheetRequest{}
			}
			msg.Content = buf[:n]
			if err := stream.Send(msg); err != nil {
				_, err = stream.CloseAndRecv()
				return nil, convertError(err)
			}
			msg = nil
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			_ = stream.CloseSend()
			return nil, rerr
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp, convertError(err)
}

// ExportUnits writes the units req selects to w, as the server sends the
// file, and returns its content type. On an error part of the file may
// have been written.
func (c *Client) ExportUnits(ctx context.Context, req *pb.ExportUnitsRequest, w io.Writer) (string, error) {
	stream, err := c.interchange().ExportUnits(ctx, req)
	if err != nil {
		return "", convertError(err)
	}
	contentType := ""
	for {
		piece, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return contentType, nil
		}
		if err != nil {
			return contentType, convertError(err)
		}
		if contentType == "" {
			contentType = piece.GetContentType()
		}
		if _, err := w.Write(piece.GetData()); err != nil {
			return contentType, err
		}
	}
}

// ReportInventory returns the inventory report (see InterchangeService).
func (c *Client) ReportInventory(ctx context.Context, req *pb.ReportInventoryRequest) (*httpbody.HttpBody, error) {
	return call(ctx, c, true, func(ctx context.Context) (*httpbody.HttpBody, error) {
		return c.interchange().ReportInventory(ctx, req)
	})
}

// ReportAgeingUnits returns the units leaving the search window.
func (c *Client) ReportAgeingUnits(ctx context.Context, req *pb.ReportAgeingUnitsRequest) (*httpbody.HttpBody, error) {
	return call(ctx, c, true, func(ctx context.Context) (*httpbody.HttpBody, error) {
		return c.interchange().ReportAgeingUnits(ctx, req)
	})
}

// ReportReservations returns the open reservations report.
func (c *Client) ReportReservations(ctx context.Context, req *pb.ReportReservationsRequest) (*httpbody.HttpBody, error) {
	return call(ctx, c, true, func(ctx context.Context) (*httpbody.HttpBody, error) {
		return c.interchange().ReportReservations(ctx, req)
	})
}

// ReportExcursions returns the temperature excursions report.
func (c *Client) ReportExcursions(ctx context.Context, req *pb.ReportExcursionsRequest) (*httpbody.HttpBody, error) {
	return call(ctx, c, true, func(ctx context.Context) (*httpbody.HttpBody, error) {
		return c.interchange().ReportExcursions(ctx, req)
	})
}
