package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/loginthrottle"
	"github.com/provreport/provreport/internal/tenant"
)

// The sign-in throttle. Failures are counted per key within a window:
//   - per school+username+address: after slowAfter failures each further try is held a
//     little longer, and after lockPair failures that pair is locked for LockFor;
//   - per address: after lockAddress failures the address is locked for LockFor;
//   - per school+username from anywhere: after slowUserAfter failures every try for
//     that username is held, but it is never locked.
//
// So an attacker guessing from one address locks out only that address, every lock
// ends by itself after LockFor (SessionOptions.LockFor), and the real user signing in
// from their own address is at worst slowed by a few seconds, never locked out. A
// successful sign-in clears its pair's count.
const (
	throttleWindow = 15 * time.Minute
	slowAfter      = 3
	lockPair       = 8
	lockAddress    = 30
	slowUserAfter  = 10
)

type throttle struct {
	client   *ent.Client
	lockFor  time.Duration
	maxDelay time.Duration
	now      func() time.Time
	sleep    func(context.Context, time.Duration)
}

func throttleKeys(school, username, addr string) (pair, user, address string) {
	return "pair:" + school + "/" + username + "@" + addr, "user:" + school + "/" + username, "addr:" + addr
}

// locked reports whether any key is locked now, and until when.
func (t *throttle) locked(ctx context.Context, keys ...string) (time.Time, bool, error) {
	rows, err := t.client.LoginThrottle.Query().Where(loginthrottle.KeyIn(keys...)).All(tenant.System(ctx))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("login throttle: %w", err)
	}
	now := t.now()
	var until time.Time
	for _, r := range rows {
		if r.LockedUntil != nil && r.LockedUntil.After(now) && r.LockedUntil.After(until) {
			until = *r.LockedUntil
		}
	}
	return until, !until.IsZero(), nil
}

// delay is how long to hold a try: the longer of what the pair's and the username's
// recent failures call for.
func (t *throttle) delay(ctx context.Context, pair, user string) time.Duration {
	var d time.Duration
	for key, after := range map[string]int{pair: slowAfter, user: slowUserAfter} {
		r, err := t.client.LoginThrottle.Query().Where(loginthrottle.Key(key)).Only(tenant.System(ctx))
		if err != nil || t.now().Sub(r.WindowStart) > throttleWindow || r.Failures < after {
			continue
		}
		d = max(d, time.Duration(1<<min(r.Failures-after, 10))*250*time.Millisecond)
	}
	return min(d, t.maxDelay)
}

// fail counts a failure against each key with its lock threshold.
func (t *throttle) fail(ctx context.Context, limits map[string]int) error {
	sys := tenant.System(ctx)
	now := t.now().UTC()
	for key, limit := range limits {
		r, err := t.client.LoginThrottle.Query().Where(loginthrottle.Key(key)).Only(sys)
		switch {
		case ent.IsNotFound(err):
			err = t.client.LoginThrottle.Create().SetKey(key).SetFailures(1).SetWindowStart(now).
				OnConflictColumns(loginthrottle.FieldKey).AddFailures(1).Exec(sys)
		case err != nil:
		default:
			u := t.client.LoginThrottle.UpdateOne(r)
			if now.Sub(r.WindowStart) > throttleWindow {
				u.SetFailures(1).SetWindowStart(now)
				r.Failures = 0
			} else {
				u.AddFailures(1)
			}
			if limit > 0 && r.Failures+1 >= limit {
				u.SetLockedUntil(now.Add(t.lockFor))
			}
			err = u.Exec(sys)
		}
		if err != nil {
			return fmt.Errorf("login throttle %s: %w", key, err)
		}
	}
	return nil
}

// succeed clears the pair's failures after a correct password.
func (t *throttle) succeed(ctx context.Context, pair string) {
	_, _ = t.client.LoginThrottle.Delete().Where(loginthrottle.Key(pair)).Exec(tenant.System(ctx))
}
