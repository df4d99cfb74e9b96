package server

import (
	"context"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/provreport/provreport/internal/auth"
)

// csrf applies Apollo Server's CSRF rule. A request that a cross-site page could send
// without a CORS preflight carries the victim's session cookie, so it must prove it was
// preflighted: by a Content-Type other than the three a form may send (text/plain,
// application/x-www-form-urlencoded, multipart/form-data; a missing one counts as
// simple, one a browser could not parse as not), or by a non-empty header that no
// simple request can carry: Apollo's Apollo-Require-Preflight or X-Apollo-Operation-Name,
// or X-Requested-With, which the dashboard sends. Requests with a bearer token carry no
// ambient credential and are exempt. Only the API is guarded: the dashboard's pages and
// assets are plain GETs that change nothing. Mutations never run over GET whatever the
// headers (the GET transport refuses them).
func csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" || isWebsocket(r) || preflighted(r) {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := bearer(r); ok {
			next.ServeHTTP(w, r)
			return
		}
		writeGraphQLError(w, r, http.StatusBadRequest, "CSRF_BLOCKED",
			"this request has been blocked as a potential cross-site request forgery: send it with "+
				"Content-Type: application/json, or add a non-empty Apollo-Require-Preflight header")
	})
}

// preflightHeaders are the headers whose presence shows a browser sent a preflight first.
var preflightHeaders = []string{"Apollo-Require-Preflight", "X-Apollo-Operation-Name", "X-Requested-With"}

// preflighted reports whether a browser could only have sent r after a CORS preflight, as
// Apollo Server's preventCsrf decides.
func preflighted(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		return true // only these three methods go without a preflight
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil {
			return true
		}
		switch strings.ToLower(mt) {
		case "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
		default:
			return true
		}
	}
	for _, h := range preflightHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// timeout bounds a request. Websockets and event streams are left to run: they may carry
// subscriptions, which run as long as the client stays, while the queries and mutations
// they carry are bounded one by one (operationGuard). Merely listing text/event-stream
// among the types a client accepts does not make a request a stream.
func (s *Server) timeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebsocket(r) || streamsEvents(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// adminOnly serves a page to signed-in school admins, sends everyone else to sign in
// first, and refuses signed-in users who are not admins with 403 and the dashboard
// itself, which shows its own "Administrators only" page for the address: a viewer who
// follows a link to the playground sees the dashboard they know, not a line of text.
func (s *Server) adminOnly(dist fs.FS, next http.Handler) http.Handler {
	index, indexErr := fs.ReadFile(dist, "index.html")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := auth.FromContext(r.Context())
		if !ok || v.UserID == 0 {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !v.IsAdmin() {
			if indexErr != nil || !acceptsHTML(r) {
				http.Error(w, "the GraphQL playground is for school admins", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write(index)
			return
		}
		next.ServeHTTP(w, r)
	})
}
