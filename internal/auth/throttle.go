package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/loginthrottle"
	"github.com/provreport/provreport/internal/tenant"
)

// The sign-in throttle. Attempts are counted per key within a window:
//   - per school+username+address: after slowAfter attempts each further try is held a
//     little longer, and the lockPair-th attempt locks that pair for LockFor;
//   - per address: the lockAddress-th attempt locks the address for LockFor;
//   - per school+username from anywhere: after slowUserAfter attempts every try for
//     that username is held, but it is never locked.
//
// So an attacker guessing from one address locks out only that address, every lock
// ends by itself after LockFor (SessionOptions.LockFor), and the real user signing in
// from their own address is at worst slowed by a few seconds, never locked out.
//
// Every attempt is reserved before its password is checked: one transaction refuses it
// when a key is locked, and otherwise counts it against every key (an insert or an
// update of the key's row, which the transaction holds locked until it commits). The
// password is checked only after that commit, so however many attempts run at once, at
// most the limit of them are ever checked. A correct password then gives its
// reservation back: it clears the pair and uncounts the attempt from the other keys.
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

// throttleKey is one counter an attempt is reserved against, with the attempt that
// locks it (0: never), the number of earlier attempts after which tries are held
// (0: never), and whether a correct password clears it rather than uncounting itself.
type throttleKey struct {
	key                  string
	lockAfter, slowAfter int
	clearOnSuccess       bool
}

// throttleKeys returns the keys of an attempt on a school's username from an address.
func throttleKeys(school, username, addr string) []throttleKey {
	return []throttleKey{
		{key: "pair:" + school + "/" + username + "@" + addr, lockAfter: lockPair, slowAfter: slowAfter, clearOnSuccess: true},
		{key: "user:" + school + "/" + username, slowAfter: slowUserAfter},
		{key: "addr:" + addr, lockAfter: lockAddress},
	}
}

// reservation is one attempt counted in advance against its keys.
type reservation struct {
	keys []throttleKey
	// locked holds the keys whose lock this attempt set.
	locked map[string]bool
	// delay is how long to hold the attempt before checking its password.
	delay time.Duration
}

// reserve counts an attempt against keys in one transaction. When any key is locked it
// counts nothing and returns when the lock ends; otherwise it returns the reservation.
func (t *throttle) reserve(ctx context.Context, keys []throttleKey) (res *reservation, until time.Time, err error) {
	// Rows are locked in key order, so that two attempts sharing keys never wait for
	// each other in a cycle.
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b throttleKey) int { return strings.Compare(a.key, b.key) })
	sys := tenant.System(ctx)
	tx, err := t.client.Tx(sys)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("login throttle: begin: %w", err)
	}
	defer func() {
		if res == nil {
			_ = tx.Rollback()
		}
	}()
	now := t.now().UTC()
	res = &reservation{keys: keys, locked: map[string]bool{}}
	rows := make([]*ent.LoginThrottle, len(keys))
	for i, k := range keys {
		// The upsert writes the row when it exists (setting each column to itself),
		// which locks it until the transaction ends; on SQLite the transaction holds
		// the database's write lock from BEGIN (_txlock=immediate) anyway.
		if err := tx.LoginThrottle.Create().SetKey(k.key).SetFailures(0).SetWindowStart(now).
			OnConflictColumns(loginthrottle.FieldKey).Ignore().Exec(sys); err != nil {
			return nil, time.Time{}, fmt.Errorf("login throttle %s: %w", k.key, err)
		}
		r, err := tx.LoginThrottle.Query().Where(loginthrottle.Key(k.key)).Only(sys)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("login throttle %s: %w", k.key, err)
		}
		rows[i] = r
		if r.LockedUntil != nil && r.LockedUntil.After(now) && r.LockedUntil.After(until) {
			until = *r.LockedUntil
		}
	}
	if !until.IsZero() {
		res = nil
		return nil, until, nil
	}
	for i, k := range keys {
		r := rows[i]
		earlier, start := r.Failures, r.WindowStart
		if now.Sub(start) > throttleWindow {
			earlier, start = 0, now
		}
		u := tx.LoginThrottle.UpdateOne(r).SetFailures(earlier + 1).SetWindowStart(start)
		if k.lockAfter > 0 && earlier+1 >= k.lockAfter {
			u.SetLockedUntil(now.Add(t.lockFor))
			res.locked[k.key] = true
		}
		if err := u.Exec(sys); err != nil {
			res = nil
			return nil, time.Time{}, fmt.Errorf("login throttle %s: %w", k.key, err)
		}
		if k.slowAfter > 0 && earlier >= k.slowAfter {
			res.delay = max(res.delay, time.Duration(1<<min(earlier-k.slowAfter, 10))*250*time.Millisecond)
		}
	}
	res.delay = min(res.delay, t.maxDelay)
	if err := tx.Commit(); err != nil {
		res = nil
		return nil, time.Time{}, fmt.Errorf("login throttle: commit: %w", err)
	}
	return res, time.Time{}, nil
}

// succeed gives back the reservation of an attempt whose password was right: the pair's
// count is cleared, and the attempt no longer counts against the other keys (nor keeps
// a lock it set). A failure here only leaves the attempt counted, so it is not returned.
func (t *throttle) succeed(ctx context.Context, res *reservation) {
	sys := tenant.System(ctx)
	tx, err := t.client.Tx(sys)
	if err != nil {
		return
	}
	for _, k := range res.keys {
		if k.clearOnSuccess {
			_, err = tx.LoginThrottle.Delete().Where(loginthrottle.Key(k.key)).Exec(sys)
		} else {
			u := tx.LoginThrottle.Update().Where(loginthrottle.Key(k.key), loginthrottle.FailuresGT(0)).AddFailures(-1)
			if res.locked[k.key] {
				u.ClearLockedUntil()
			}
			err = u.Exec(sys)
		}
		if err != nil {
			_ = tx.Rollback()
			return
		}
	}
	_ = tx.Commit()
}
