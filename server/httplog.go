package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/felixge/httpsnoop"
	"github.com/klauspost/compress/gzhttp"
)

// gzipMinBytes is the smallest response worth compressing: below it, the
// gzip header and the CPU cost more than the bytes saved (a unit is a few
// kilobytes; an error body a few hundred bytes).
const gzipMinBytes = 1024

// withGzip compresses responses for clients that accept gzip
// (Accept-Encoding), with klauspost/compress's handler: a page of 1,000
// units goes from 1.69 MB to about 150 KB. Streamed answers (a watch, an
// import's progress) are compressed and flushed message by message.
func withGzip(next http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(gzipMinBytes), gzhttp.ContentTypeFilter(func(ct string) bool {
		// An XLSX workbook is a zip archive already.
		return gzhttp.DefaultContentTypeFilter(ct) && !strings.HasPrefix(ct, "application/vnd.openxmlformats-")
	}))
	if err != nil {
		return nil, err
	}
	return wrap(next), nil
}

// accessNote lets the handlers tell the access log, which runs outside
// them, the path pattern that took the request.
type accessNote struct{ pattern string }

type accessNoteKey struct{}

// notePattern records the path pattern that took the request of ctx (a
// binding's template, "/v1/{name=banks/*/units/*}").
func notePattern(ctx context.Context, pattern string) {
	if n, ok := ctx.Value(accessNoteKey{}).(*accessNote); ok {
		n.pattern = pattern
	}
}

// withAccessLog logs one line per HTTP request once it is answered: method,
// path pattern (not the path, which holds resource ids: the pattern groups
// requests the way dashboards do), HTTP status, bytes written (after
// compression), duration, request id and the client's address. It never
// logs headers (the Authorization header holds a bearer token) or bodies
// (units hold donors' data). It must run inside withHTTPRequestID.
func withAccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := &accessNote{}
		r = r.WithContext(context.WithValue(r.Context(), accessNoteKey{}, note))
		// httpsnoop keeps the writer's optional interfaces (Flusher for
		// streamed answers), which a plain wrapper would hide.
		m := httpsnoop.CaptureMetrics(next, w, r)
		pattern := note.pattern
		if pattern == "" {
			pattern = "(no route)"
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("method", r.Method), slog.String("pattern", pattern), slog.Int("status", m.Code),
			slog.Int64("bytes", m.Written), slog.Duration("duration", m.Duration),
			slog.String("request_id", RequestID(r.Context())), slog.String("remote", r.RemoteAddr))
	})
}

// withPattern records pattern as the path pattern of the requests h serves.
func withPattern(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		notePattern(r.Context(), pattern)
		h.ServeHTTP(w, r)
	})
}
