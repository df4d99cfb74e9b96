package graph

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/tenant"
)

// signIns are the event types that count as signing in.
var signIns = []event.Type{event.TypeAUTHENTICATION, event.TypeAUTHORISATION}

// firstSeen is the earliest timeline entry of a user: their first actor event or the
// first change a run made to them, whichever finished first.
func firstSeen(ctx context.Context, c *ent.Client, userID int) (*time.Time, error) {
	var out *time.Time
	ev, err := c.Event.Query().Where(event.UserID(userID)).Order(event.ByDateFinished()).
		Select(event.FieldDateFinished).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("first seen: events: %w", err)
	}
	if ev != nil {
		out = &ev.DateFinished
	}
	ch, err := c.Change.Query().Where(change.UserID(userID)).Order(change.ByAt()).
		Select(change.FieldAt).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("first seen: changes: %w", err)
	}
	if ch != nil && (out == nil || ch.At.Before(*out)) {
		out = &ch.At
	}
	return out, nil
}

// firstAdded is the user's first ADDED change, or nil when no run added them.
func firstAdded(ctx context.Context, c *ent.Client, userID int) (*ent.Change, error) {
	ch, err := c.Change.Query().Where(change.UserID(userID), change.ActionEQ(change.ActionADDED)).
		Order(change.ByAt(), change.ByID()).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("provisioned: %w", err)
	}
	return ch, nil
}

// lastSignIn is when the user last signed in, or nil when never.
func lastSignIn(ctx context.Context, c *ent.Client, userID int) (*time.Time, error) {
	ev, err := c.Event.Query().Where(event.UserID(userID), event.TypeIn(signIns...)).
		Order(event.ByDateFinished(entsql.OrderDesc())).Select(event.FieldDateFinished).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last sign-in: %w", err)
	}
	return &ev.DateFinished, nil
}

// adoptionSQL lists the users a profile (or any) added since an instant, each with
// whether they signed in at or after their first such ADDED change. {since} and
// {profile} are replaced by the optional conditions.
const adoptionSQL = `SELECT p.user_id, CASE WHEN EXISTS (SELECT 1 FROM events s WHERE s.school_id = ? AND s.user_id = p.user_id
  AND s.type IN ('AUTHENTICATION', 'AUTHORISATION') AND s.date_finished >= p.first_at) THEN 1 ELSE 0 END
FROM (SELECT c.user_id, MIN(c.at) AS first_at FROM changes c JOIN events r ON r.id = c.event_id
  WHERE c.school_id = ? AND c.action = 'ADDED'{since}{profile} GROUP BY c.user_id) p`

// adoption returns the users a profile (or every profile, when profileID is nil)
// added at or after since, and which of them signed in since.
func adoption(ctx context.Context, c *ent.Client, dia string, profileID *int, since *time.Time) (users []int, signed map[int]bool, err error) {
	schoolID, ok := tenant.SchoolID(ctx)
	if !ok {
		return nil, nil, tenant.ErrNoTenant
	}
	q := adoptionSQL
	args := []any{schoolID, schoolID}
	cond := ""
	if since != nil {
		cond = " AND c.at >= ?"
		args = append(args, since.UTC())
	}
	q = strings.Replace(q, "{since}", cond, 1)
	cond = ""
	if profileID != nil {
		cond = " AND r.sync_profile_id = ?"
		args = append(args, *profileID)
	}
	q = strings.Replace(q, "{profile}", cond, 1)
	rows, err := c.QueryContext(ctx, rebind(dia, q), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("adoption: %w", err)
	}
	defer func(rows *sql.Rows) { _ = rows.Close() }(rows)
	signed = map[int]bool{}
	for rows.Next() {
		var id, s int
		if err := rows.Scan(&id, &s); err != nil {
			return nil, nil, fmt.Errorf("adoption: %w", err)
		}
		users = append(users, id)
		if s == 1 {
			signed[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("adoption: %w", err)
	}
	return users, signed, nil
}

func adoptionCounts(users []int, signed map[int]bool) *model.Adoption {
	return &model.Adoption{Provisioned: len(users), SignedIn: len(signed), NeverSignedIn: len(users) - len(signed)}
}

// rebind turns the ? placeholders of q into PostgreSQL's $1, $2, … on PostgreSQL.
func rebind(dia, q string) string {
	if dia != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// changesCSVPath is where a run's changes download at once (internal/server serves it).
func changesCSVPath(eventID int) string {
	return "/events/" + strconv.Itoa(eventID) + "/changes.csv"
}
