package server

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
)

// compress compresses responses (GraphQL JSON, CSV downloads, the dashboard's scripts
// and styles) with zstd or gzip, whichever the client accepts, through klauspost's
// gzhttp. Small bodies (under 1 KiB) go out as they are; so do event streams, which
// must reach the client event by event, and websocket upgrades.
//
// gzip runs at its fastest level, as zstd already does by default: the answers are
// made per request, and for a report page answered from the cache, compressing at
// gzip's default level took about 15% of the benchmark's CPU (server and client in one
// process), the fastest level about 9%, for JSON a little larger (docs/BENCHMARKS.md).
func compress(next http.Handler) (http.Handler, error) {
	wrap, err := gzhttp.NewWrapper(gzhttp.CompressionLevel(gzip.BestSpeed), gzhttp.ContentTypeFilter(func(ct string) bool {
		mt, _, _ := mime.ParseMediaType(ct)
		return !strings.EqualFold(mt, "text/event-stream") && gzhttp.DefaultContentTypeFilter(ct)
	}))
	if err != nil {
		return nil, fmt.Errorf("compression: %w", err)
	}
	gz := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	}), nil
}
