package report

import (
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/predicate"
	"github.com/provreport/provreport/internal/eventtype"
)

// This file is the one place that says what "activity" means.
//
// An event is idle when it is a routine run (an LDAP sync, a provisioning script run, a
// successful User or Group CSV upload) that processed records and changed none of them:
// added, updated, deleted, disabled and errors are all zero while processed is above
// zero. "Filter Events for Activity" hides idle events. A run that processed nothing is
// never idle, because that is how a sync that silently failed looks (a wrong LDAP filter,
// an unreadable file); logins, failures and errors are never idle either. Nor is a
// run with flags (package health): a sync that dropped from 1,350 to 600 processed
// records changed nothing, and is exactly what an admin must see.

// IsIdle reports whether e is an idle event.
func IsIdle(e *ent.Event) bool {
	return idle(string(e.Type), e.Processed, e.Added, e.Updated, e.Deleted, e.Disabled, e.Errors, e.Flags)
}

// IdleCandidates are the types of routine runs that can be idle: a run of one of these
// that processed records but changed none is hidden by the activity filter.
func IdleCandidates() []string {
	return []string{eventtype.AccountSynchronization, eventtype.AccountProvisioning,
		eventtype.UserCSVProcessed, eventtype.GroupsCSVProcessed}
}

func idle(typ string, processed, added, updated, deleted, disabled, errors, flags int) bool {
	return slices.Contains(IdleCandidates(), typ) && processed > 0 && added+updated+deleted+disabled+errors == 0 &&
		flags == 0
}

// NotIdle is the SQL form of !IsIdle. It is written with literal values rather than
// bound parameters so that PostgreSQL can match it against a partial index and a cached
// generic plan keeps using that index.
func NotIdle() predicate.Event {
	return predicate.Event(func(s *sql.Selector) {
		s.Where(sql.ExprP(notIdleSQL(s.C)))
	})
}

// notIdleSQL renders the rule with column names qualified by col: the SQL twin of idle.
func notIdleSQL(col func(string) string) string {
	return "NOT " + IdleSQL(col)
}

// IdleSQL is the SQL form of IsIdle, in parentheses, with column names qualified by col.
// The triggers that keep the summary's sums (migrations event_rollups) spell it out with
// col adding nothing, NEW. or OLD.; TestRollupMigrationsFollowTheRule holds them to it.
func IdleSQL(col func(string) string) string {
	types := IdleCandidates()
	quoted := make([]string, len(types))
	for i, t := range types {
		quoted[i] = "'" + t + "'"
	}
	return "(" + col("type") + " IN (" + strings.Join(quoted, ", ") + ") AND " +
		col("processed") + " > 0 AND " +
		col("added") + " = 0 AND " + col("updated") + " = 0 AND " +
		col("deleted") + " = 0 AND " + col("disabled") + " = 0 AND " +
		col("errors") + " = 0 AND " + col("flags") + " = 0)"
}

// ActiveIndexPredicate is the WHERE clause of the partial indexes that serve the default
// report. The ent schema spells it out as a literal (ent/schema/event.go, shipped as
// migrations) because the schema cannot import this package; it must stay textually
// equal to NotIdle, and TestActiveIndexMatchesRule holds the two together.
func ActiveIndexPredicate() string {
	return notIdleSQL(func(c string) string { return c })
}
