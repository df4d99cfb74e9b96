package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/usererr"
)

// RateLimit is a request budget: Requests per Window for each caller. The zero value
// sets no limit.
type RateLimit struct {
	Requests int
	Window   time.Duration
}

// ParseRateLimit reads a budget written as COUNT/UNIT, where UNIT is s, m or h (e.g.
// 600/m); "" and "0" mean no limit.
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return RateLimit{}, nil
	}
	count, unit, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(count)
	windows := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}
	w, known := windows[unit]
	if !ok || err != nil || n <= 0 || !known {
		return RateLimit{}, fmt.Errorf("rate limit %q: write it as COUNT/UNIT with UNIT s, m or h, e.g. 600/m", s)
	}
	return RateLimit{Requests: n, Window: w}, nil
}

// limiter keeps a token bucket (golang.org/x/time/rate) per caller: it holds Requests
// and refills at Requests per Window, so a caller may burst up to the budget and then
// goes on at the budget's pace. Buckets live in this process only: with several
// replicas, each grants the budget on its own.
type limiter struct {
	policy  RateLimit
	buckets *lru.Cache[string, *rate.Limiter]
}

func newLimiter(p RateLimit) *limiter {
	// Callers beyond this many are forgotten least-recently-used first, which only ever
	// gives a forgotten caller a fresh budget.
	buckets, _ := lru.New[string, *rate.Limiter](100_000)
	return &limiter{policy: p, buckets: buckets}
}

// rateLimit refuses API requests beyond the caller's budget with 429, Retry-After and
// TOO_MANY_REQUESTS, and tells every answer its budget in the IETF RateLimit-Policy and
// RateLimit headers. The caller is the API token, else the signed-in user, else the
// client's address.
func (l *limiter) rateLimit(next http.Handler) http.Handler {
	if l.policy.Requests == 0 {
		return next
	}
	every := rate.Every(l.policy.Window / time.Duration(l.policy.Requests))
	window := int(l.policy.Window.Seconds())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		key := "addr:" + auth.ClientAddr(r.Context())
		if v, ok := auth.FromContext(r.Context()); ok && v.TokenID != 0 {
			key = "token:" + strconv.Itoa(v.TokenID)
		} else if ok && v.UserID != 0 {
			key = "user:" + strconv.Itoa(v.UserID)
		}
		b := rate.NewLimiter(every, l.policy.Requests)
		if prev, found, _ := l.buckets.PeekOrAdd(key, b); found {
			b = prev
		}
		now := time.Now()
		res := b.ReserveN(now, 1)
		h := w.Header()
		h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, l.policy.Requests, window))
		if delay := res.DelayFrom(now); delay > 0 {
			res.CancelAt(now)
			wait := int(math.Ceil(delay.Seconds()))
			h.Set("Retry-After", strconv.Itoa(wait))
			h.Set("RateLimit", fmt.Sprintf(`"default";r=0;t=%d`, wait))
			writeGraphQLError(w, http.StatusTooManyRequests, string(usererr.TooManyRequests),
				fmt.Sprintf("too many requests: this caller may send %d per %s; try again in %d s", l.policy.Requests, l.policy.Window, wait))
			return
		}
		left := b.TokensAt(now)
		full := time.Duration((float64(l.policy.Requests) - left) / float64(every) * float64(time.Second))
		h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, int(left), int(math.Ceil(full.Seconds()))))
		next.ServeHTTP(w, r)
	})
}
