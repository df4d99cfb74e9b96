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
	policy RateLimit
	// name is the policy's name in the RateLimit and RateLimit-Policy headers.
	name    string
	buckets *lru.Cache[string, *rate.Limiter]
	// refused counts a refusal.
	refused func()
}

func newLimiter(name string, p RateLimit, refused func()) *limiter {
	// Callers beyond this many are forgotten least-recently-used first, which only ever
	// gives a forgotten caller a fresh budget.
	buckets, _ := lru.New[string, *rate.Limiter](100_000)
	return &limiter{policy: p, name: name, buckets: buckets, refused: refused}
}

// on reports whether the limiter limits anything.
func (l *limiter) on() bool { return l != nil && l.policy.Requests > 0 }

// callerKey names the caller whose budget a request spends: the API token, else the
// signed-in user, else the client's address.
func callerKey(r *http.Request) string {
	if v, ok := auth.FromContext(r.Context()); ok && v.TokenID != 0 {
		return "token:" + strconv.Itoa(v.TokenID)
	} else if ok && v.UserID != 0 {
		return "user:" + strconv.Itoa(v.UserID)
	}
	return "addr:" + auth.ClientAddr(r.Context())
}

// refusal says why take refused: the seconds to wait, or that n alone exceeds the
// whole budget.
type refusal struct {
	wait    int
	tooMany bool
}

// take spends n from the caller's budget, or spends nothing and refuses. Either way it
// adds the policy and what is left to h, in the IETF RateLimit-Policy and RateLimit
// headers (added, not set, so that the request and the event budgets both show).
func (l *limiter) take(h http.Header, key string, n int) *refusal {
	every := rate.Every(l.policy.Window / time.Duration(l.policy.Requests))
	b := rate.NewLimiter(every, l.policy.Requests)
	if prev, found, _ := l.buckets.PeekOrAdd(key, b); found {
		b = prev
	}
	h.Add("RateLimit-Policy", fmt.Sprintf(`"%s";q=%d;w=%d`, l.name, l.policy.Requests, int(l.policy.Window.Seconds())))
	if n > l.policy.Requests {
		l.refused()
		h.Add("RateLimit", fmt.Sprintf(`"%s";r=%d;t=0`, l.name, int(b.Tokens())))
		return &refusal{tooMany: true}
	}
	now := time.Now()
	res := b.ReserveN(now, n)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		l.refused()
		wait := int(math.Ceil(delay.Seconds()))
		h.Set("Retry-After", strconv.Itoa(wait))
		h.Add("RateLimit", fmt.Sprintf(`"%s";r=0;t=%d`, l.name, wait))
		return &refusal{wait: wait}
	}
	left := b.TokensAt(now)
	full := time.Duration((float64(l.policy.Requests) - left) / float64(every) * float64(time.Second))
	h.Add("RateLimit", fmt.Sprintf(`"%s";r=%d;t=%d`, l.name, int(left), int(math.Ceil(full.Seconds()))))
	return nil
}

// message is what a refused caller reads.
func (l *limiter) message(what string, n int, why *refusal) string {
	if why.tooMany {
		return fmt.Sprintf("too many %s at once: %d is more than this caller's whole budget of %d per %s; send them in smaller batches",
			what, n, l.policy.Requests, l.policy.Window)
	}
	return fmt.Sprintf("too many %s: this caller may send %d per %s; try again in %d s", what, l.policy.Requests, l.policy.Window, why.wait)
}

// rateLimit refuses API requests beyond the caller's budget with 429, Retry-After and
// TOO_MANY_REQUESTS, and tells every answer its budget in the IETF RateLimit-Policy and
// RateLimit headers.
func (l *limiter) rateLimit(next http.Handler) http.Handler {
	if !l.on() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/graphql" || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if why := l.take(w.Header(), callerKey(r), 1); why != nil {
			writeGraphQLError(w, r, http.StatusTooManyRequests, string(usererr.TooManyRequests), l.message("requests", 1, why))
			return
		}
		next.ServeHTTP(w, r)
	})
}
