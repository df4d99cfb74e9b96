package auth

import (
	"context"
	"net"
	"net/http"
)

type addrKey struct{}

// WithClientAddr records the caller's network address for sign-in throttling.
func WithClientAddr(ctx context.Context, r *http.Request) context.Context {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return context.WithValue(ctx, addrKey{}, host)
}

// ClientAddr returns the address recorded by WithClientAddr.
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(addrKey{}).(string)
	return a
}
