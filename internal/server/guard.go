package server

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/provreport/provreport/internal/auth"
)

// csrf applies Apollo Server's CSRF rule. A request that a cross-site page could send
// without a CORS preflight — a GET, or a POST whose Content-Type is text/plain,
// application/x-www-form-urlencoded or multipart/form-data — carries the victim's
// session cookie, so it is refused unless it has a non-empty X-Requested-With header,
// which such a page cannot set. JSON POSTs need a preflight and pass. Requests with a
// bearer token carry no ambient credential and are exempt. Only the API is guarded: the
// dashboard's pages and assets are plain GETs that change nothing.
func csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" || r.Header.Get("X-Requested-With") != "" || isWebsocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		if _, ok := bearer(r); ok {
			next.ServeHTTP(w, r)
			return
		}
		simple := false
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			simple = true
		case http.MethodPost:
			ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch ct {
			case "", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data":
				simple = true
			}
		}
		if simple {
			writeGraphQLError(w, http.StatusBadRequest, "CSRF_BLOCKED",
				"this request has been blocked as a potential cross-site request forgery: send it as a POST with "+
					"Content-Type: application/json, or add a non-empty X-Requested-With header")
			return
		}
		next.ServeHTTP(w, r)
	})
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
// first, and refuses signed-in users who are not admins.
func (s *Server) adminOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := auth.FromContext(r.Context())
		if !ok || v.UserID == 0 {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if !v.IsAdmin() {
			http.Error(w, "the GraphQL playground is for school admins", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
