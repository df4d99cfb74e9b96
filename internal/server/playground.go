package server

import (
	"bytes"
	"io/fs"
	"net/http"
	"time"
)

// playground serves GraphiQL from the binary (never from a CDN, which a school network
// or the CSP would block).
func playground(dist fs.FS) http.Handler {
	page, err := fs.ReadFile(dist, "playground.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			http.Error(w, "the playground was not built into this binary; run make build", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "playground.html", time.Time{}, bytes.NewReader(page))
	})
}
