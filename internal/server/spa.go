package server

import (
	"bytes"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// spa serves the embedded dashboard: a file when the path names one, index.html at the
// root and, for a browser navigating to a client-side route (/exports/42), at any other
// path, and a short notice when the binary was built without the dashboard. Only a GET
// that asks for HTML gets the fallback: a probe of /livez or a script calling /api/x
// must learn the path does not exist, not receive the dashboard with 200.
func spa(dist fs.FS) http.Handler {
	index, indexErr := fs.ReadFile(dist, "index.html")
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if st, err := fs.Stat(dist, name); name != "" && (err != nil || st.IsDir()) {
				http.NotFound(w, r) // no such resource, whatever the method
				return
			}
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(dist, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Vite fingerprints asset names, so they never change under a name.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
			if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" || !acceptsHTML(r) {
				http.NotFound(w, r)
				return
			}
		}
		if indexErr != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("The dashboard was not built into this binary. Run `make build` (or `npm run build` then `go build`).\nThe GraphQL API is at /graphql.\n"))
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(index))
	})
}

// acceptsHTML reports whether the request's Accept header names text/html (or text/*)
// with a non-zero quality, as browsers do when they navigate. A bare */* (curl, health
// probes, fetch) does not count: such a client asked for no page in particular.
func acceptsHTML(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept") {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || (mt != "text/html" && mt != "text/*") {
				continue
			}
			if q := strings.TrimSpace(params["q"]); q != "" && strings.Trim(q, "0.") == "" {
				continue // q=0 refuses the type
			}
			return true
		}
	}
	return false
}
