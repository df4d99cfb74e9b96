package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/usererr"
)

// The limits on the changes an event carries: a run page pages through at most
// MaxChanges changes, a batch writes at most MaxBatchChanges, and a change's attributes
// fit in one row that a page reads whole.
const (
	MaxChanges         = 10_000
	MaxBatchChanges    = 50_000
	MaxAttributes      = 50
	MaxAttributeValue  = 2000
	MaxChangeMessage   = 4 << 10
	maxChangeEmail     = 320
	maxAttributeName   = 255
	maxChangeUsernames = maxName
)

// checkChanges checks the changes of one event against the event's counts, naming the
// bad field relative to the event.
func checkChanges(e *Input) error {
	if len(e.Changes) > MaxChanges {
		return &usererr.Error{Field: "changes", Message: fmt.Sprintf("has %d changes; at most %d per event", len(e.Changes), MaxChanges)}
	}
	limit := map[change.Action]int{
		change.ActionADDED: deref(e.Added), change.ActionUPDATED: deref(e.Updated), change.ActionDELETED: deref(e.Deleted),
		change.ActionDISABLED: deref(e.Disabled), change.ActionFAILED: deref(e.Errors),
	}
	countName := map[change.Action]string{
		change.ActionADDED: "added", change.ActionUPDATED: "updated", change.ActionDELETED: "deleted",
		change.ActionDISABLED: "disabled", change.ActionFAILED: "errors",
	}
	seen := make(map[string]int, len(e.Changes))
	counted := map[change.Action]int{}
	for j, c := range e.Changes {
		at := fmt.Sprintf("changes[%d]", j)
		if c == nil {
			return &usererr.Error{Field: at, Message: "must not be null"}
		}
		if err := change.ActionValidator(c.Action); err != nil {
			return &usererr.Error{Field: at + ".action", Message: fmt.Sprintf("unknown action %q", c.Action)}
		}
		counted[c.Action]++
		if counted[c.Action] > limit[c.Action] {
			return &usererr.Error{Field: at + ".action", Message: fmt.Sprintf(
				"the event has more %s changes than its %s count (%d): send at most that many", c.Action, countName[c.Action], limit[c.Action])}
		}
		switch {
		case c.Username == "":
			return &usererr.Error{Field: at + ".username", Message: "is required"}
		case len(c.Username) > maxChangeUsernames:
			return &usererr.Error{Field: at + ".username", Message: fmt.Sprintf("is longer than %d bytes", maxChangeUsernames)}
		}
		if first, ok := seen[c.Username]; ok {
			return &usererr.Error{Field: at + ".username", Message: fmt.Sprintf("%q already has a change in this event (changes[%d]): one change per account", c.Username, first)}
		}
		seen[c.Username] = j
		for _, s := range []struct {
			name string
			v    *string
			most int
		}{{"displayName", c.DisplayName, maxName}, {"email", c.Email, maxChangeEmail}, {"message", c.Message, MaxChangeMessage}} {
			if s.v != nil && len(*s.v) > s.most {
				return &usererr.Error{Field: at + "." + s.name, Message: fmt.Sprintf("is longer than %d bytes", s.most)}
			}
		}
		for _, s := range []struct {
			name string
			v    *string
		}{{"username", &c.Username}, {"displayName", c.DisplayName}, {"email", c.Email}, {"message", c.Message}} {
			if s.v != nil && strings.IndexByte(*s.v, 0) >= 0 {
				return &usererr.Error{Field: at + "." + s.name, Message: "must not contain a NUL character"}
			}
		}
		if len(c.Attributes) > MaxAttributes {
			return &usererr.Error{Field: at + ".attributes", Message: fmt.Sprintf("has %d attributes; at most %d", len(c.Attributes), MaxAttributes)}
		}
		for k, a := range c.Attributes {
			aat := fmt.Sprintf("%s.attributes[%d]", at, k)
			if a == nil {
				return &usererr.Error{Field: aat, Message: "must not be null"}
			}
			if a.Name == "" || len(a.Name) > maxAttributeName {
				return &usererr.Error{Field: aat + ".name", Message: fmt.Sprintf("must be 1 to %d bytes", maxAttributeName)}
			}
			for _, v := range []struct {
				name string
				v    *string
			}{{"name", &a.Name}, {"old", a.Old}, {"new", a.New}} {
				if v.v == nil {
					continue
				}
				if n := utf8.RuneCountInString(*v.v); n > MaxAttributeValue {
					return &usererr.Error{Field: aat + "." + v.name, Message: fmt.Sprintf("is %d characters; at most %d", n, MaxAttributeValue)}
				}
				if strings.IndexByte(*v.v, 0) >= 0 {
					return &usererr.Error{Field: aat + "." + v.name, Message: "must not contain a NUL character"}
				}
			}
		}
	}
	return nil
}

// checkBatchChanges refuses a batch with more than MaxBatchChanges changes in all,
// naming the event at which the total passes the limit.
func checkBatchChanges(in []*Input) error {
	total := 0
	for i, e := range in {
		if e == nil {
			continue
		}
		total += len(e.Changes)
		if total > MaxBatchChanges {
			return usererr.BadInput(fmt.Sprintf("input[%d].changes", i), "the batch has more than %d changes in all; send the rest in another batch", MaxBatchChanges)
		}
	}
	return nil
}

// changeUsernames returns the usernames the changes of the inputs name, in order of
// first appearance, each once, skipping the inputs already stored.
func changeUsernames(in []*Input, existing map[string]*ent.Event) []string {
	seen := map[string]bool{}
	var names []string
	for _, e := range in {
		if len(e.Changes) == 0 || isExisting(e, existing) {
			continue
		}
		for _, c := range e.Changes {
			if !seen[c.Username] {
				seen[c.Username] = true
				names = append(names, c.Username)
			}
		}
	}
	return names
}

// changeDisplayName is the display name a change gives its account, or "" when none.
func changeDisplayName(c *ChangeInput) string {
	if c.DisplayName == nil {
		return ""
	}
	return strings.TrimSpace(*c.DisplayName)
}

// changeDisplayNames returns, by username, the first display name the changes of the
// inputs not already stored give. An account the batch creates takes it rather than its
// username, so that people provisioned by a run show with their names. The change's
// email is deliberately not copied: single sign-on finds accounts by email, and a
// directory account sharing a dashboard user's address would make that ambiguous.
func changeDisplayNames(in []*Input, existing map[string]*ent.Event) map[string]string {
	out := map[string]string{}
	for _, e := range in {
		if isExisting(e, existing) {
			continue
		}
		for _, c := range e.Changes {
			if d := changeDisplayName(c); d != "" && out[c.Username] == "" {
				out[c.Username] = d
			}
		}
	}
	return out
}

// changeRows is how many rows an event's changes CSV has: one per attribute change,
// and one for a change without attributes.
func changeRows(cs []*ChangeInput) int {
	n := 0
	for _, c := range cs {
		n += max(1, len(c.Attributes))
	}
	return n
}

func attributes(in []*eventtype.AttributeChange) []eventtype.AttributeChange {
	out := make([]eventtype.AttributeChange, 0, len(in))
	for _, a := range in {
		if a != nil {
			out = append(out, *a)
		}
	}
	return out
}

// writeChangesEnt stores the changes of the created events through ent's builders.
func writeChangesEnt(ctx context.Context, c *ent.Client, in []*Input, slots []int, created []*ent.Event, users map[string]int) error {
	var builders []*ent.ChangeCreate
	for k, i := range slots {
		ev := created[k]
		for _, ch := range in[i].Changes {
			builders = append(builders, c.Change.Create().
				SetEventID(ev.ID).
				SetUserID(users[ch.Username]).
				SetAction(ch.Action).
				SetAt(ev.DateFinished).
				SetNillableDisplayName(ch.DisplayName).
				SetNillableEmail(ch.Email).
				SetAttributes(attributes(ch.Attributes)).
				SetNillableMessage(ch.Message))
		}
	}
	if len(builders) == 0 {
		return nil
	}
	if _, err := inChunks(builders, func(b []*ent.ChangeCreate) ([]*ent.Change, error) {
		return c.Change.CreateBulk(b...).Save(ctx)
	}); err != nil {
		return fmt.Errorf("record events: insert %d changes: %w", len(builders), err)
	}
	return nil
}

// execer runs a statement: ent's client inside a transaction, or a *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// pgInsertChanges writes a batch's changes in one statement of parallel arrays, so
// that a batch of any size is one round trip and one plan.
const pgInsertChanges = `INSERT INTO changes (school_id, event_id, user_id, action, at, display_name, email, attributes, message)
SELECT $1, v.event_id, v.user_id, v.action, v.at, v.display_name, v.email, v.attributes::jsonb, v.message
FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[])
  AS v(event_id, user_id, action, at, display_name, email, attributes, message)`

// writeChangesPostgres stores the changes of the created events (the k-th for input slots[k])
// on PostgreSQL. The events' counts of their changes were stored with them (pgInsert,
// copyEvents), so that no event row is written twice.
func writeChangesPostgres(ctx context.Context, x execer, schoolID int, in []*Input, slots []int, created []*ent.Event, users map[string]int64) error {
	var (
		evIDs, userIDs          []int64
		actions, attrs          []string
		ats                     []time.Time
		names, emails, messages []*string
	)
	for k, i := range slots {
		cs := in[i].Changes
		if len(cs) == 0 {
			continue
		}
		ev := created[k]
		for _, ch := range cs {
			js, err := json.Marshal(attributes(ch.Attributes))
			if err != nil {
				return fmt.Errorf("record events: encode attributes: %w", err)
			}
			evIDs = append(evIDs, int64(ev.ID))
			userIDs = append(userIDs, users[ch.Username])
			actions = append(actions, string(ch.Action))
			ats = append(ats, ev.DateFinished)
			names = append(names, ch.DisplayName)
			emails = append(emails, ch.Email)
			attrs = append(attrs, string(js))
			messages = append(messages, ch.Message)
		}
	}
	if len(evIDs) == 0 {
		return nil
	}
	if _, err := x.ExecContext(ctx, pgInsertChanges, schoolID, evIDs, userIDs, actions, ats, names, emails, attrs, messages); err != nil {
		return fmt.Errorf("record events: insert %d changes: %w", len(evIDs), err)
	}
	return nil
}
