package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// files is the console's asset tree, rooted at static/.
var files = func() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	return sub
}()

// securityPolicy keeps the page to its own origin: no CDN, no inline
// script, no request anywhere but this server.
const securityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler serves the console's files for GET and HEAD requests of / and
// of the paths of its assets, and hands every other request (the API, an
// unknown path, another method) to next, so the API keeps answering
// unknown paths in its own error shape.
func Handler(next http.Handler) http.Handler {
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := assetName(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", securityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Assets change with the binary; revalidation is cheap on
		// loopback and a new release is never served stale.
		h.Set("Cache-Control", "no-cache")
		if name == "index.html" {
			// Served by name: FileServer would redirect /index.html to /.
			http.ServeFileFS(w, r, files, name)
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}

// assetName is the file of files that r asks for, if r is a GET or HEAD
// of the console's page or of one of its assets.
func assetName(r *http.Request) (string, bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return "", false
	}
	p := r.URL.Path
	if p == "/" {
		return "index.html", true
	}
	if strings.HasPrefix(p, "/v1/") {
		return "", false
	}
	name := strings.TrimPrefix(path.Clean(p), "/")
	if name == "index.html" || !strings.HasPrefix(name, "assets/") {
		return "", false
	}
	if st, err := fs.Stat(files, name); err != nil || st.IsDir() {
		return "", false
	}
	return name, true
}
