package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/ingest"
)

// DefaultChangesPerEvent is the default of Config.ChangesPerEvent. The run page's and
// the person page's read targets are stated at 2,000,000 events and 5,000,000 changes,
// so the default gives that ratio: most events (logins, idle syncs) change nobody, and
// the few runs that do carry a few dozen changes each.
const DefaultChangesPerEvent = 2.5

// Change is one generated change: what a run did to one account of its school, with
// the account as an index into the school's users.
type Change struct {
	User       int
	Action     string
	Attributes []eventtype.AttributeChange
	Message    string
}

// Rows is how many rows the change has in its run's changes CSV: one per attribute,
// one when it has none (as the server counts them for change_rows).
func (c *Change) Rows() int { return max(1, len(c.Attributes)) }

// changePlan is how the change generator meets Config.ChangesPerEvent. The event
// generator's counts alone give fewer changes than that at district scale (about one
// an event at 2,000,000 events), so the runs that changed accounts are scaled up by
// grow (each added, updated, deleted and disabled count multiplied by it), and every
// change of such a run is sent. When the counts already give more changes than
// wanted, as at small sizes where the weekly CSV uploads dominate, counts stay as they
// are and each run sends a sample: about keep of its changes of each action. Either
// way no run carries more changes of an action than its count (FAILED against
// errors), the rule ingestion enforces.
type changePlan struct {
	grow, keep float64
}

// carriesChanges reports whether an event of type typ changes accounts: the runs of a
// sync profile, a CSV upload or a provisioning script. A failed upload or an
// unreachable directory changed nobody, whatever its error count.
func carriesChanges(typ string) bool {
	switch typ {
	case eventtype.AccountSynchronization, eventtype.AccountProvisioning,
		eventtype.UserCSVProcessed, eventtype.UserCSVProcessedWithErrors,
		eventtype.GroupsCSVProcessed, eventtype.GroupsCSVProcessedWithErrors:
		return true
	}
	return false
}

// planChanges runs the event generator once without changes to learn its counts, and derives
// the scaling that gives c.ChangesPerEvent changes an event in all.
func (c Config) planChanges(schools []School) (changePlan, error) {
	if c.ChangesPerEvent < 0 {
		return changePlan{grow: 1, keep: 0}, nil
	}
	var events, four, failed float64
	err := c.generateEvents(schools, func(e *Event) error {
		events++
		if carriesChanges(e.Type) {
			four += float64(e.Added + e.Updated + e.Deleted + e.Disabled)
			failed += float64(e.Errors)
		}
		return nil
	})
	if err != nil {
		return changePlan{}, err
	}
	want := c.ChangesPerEvent * events
	switch {
	case four+failed == 0:
		return changePlan{grow: 1, keep: 0}, nil
	case want >= four+failed && four > 0:
		return changePlan{grow: (want - failed) / four, keep: 1}, nil
	default:
		return changePlan{grow: 1, keep: want / (four + failed)}, nil
	}
}

// changeGen adds changes to the events of one pass of the event generator, from its
// own random stream so that the events themselves (types, times, schools) are those
// the report benchmarks have always measured.
type changeGen struct {
	plan changePlan
	r    *rand.Rand
	// picked marks the users of the current event's school already given a change by
	// the event (one change an account a run), cleared after each event.
	picked map[int]bool
}

func (c Config) changeGen(p changePlan) *changeGen {
	return &changeGen{plan: p, r: rand.New(rand.NewPCG(c.Seed, 3)), picked: map[int]bool{}}
}

// round rounds x up or down at random in proportion to its fraction, so that the
// dataset's totals come out as planned whatever the size of single runs.
func (g *changeGen) round(x float64) int64 {
	n := math.Floor(x)
	if g.r.Float64() < x-n {
		n++
	}
	return int64(n)
}

// add scales the event's counts by the plan and gives it its changes.
func (g *changeGen) add(s *School, e *Event) {
	if !carriesChanges(e.Type) || g.plan.keep == 0 {
		return
	}
	for _, n := range []*int64{&e.Added, &e.Updated, &e.Deleted, &e.Disabled} {
		if *n > 0 {
			*n = g.round(float64(*n) * g.plan.grow)
		}
	}
	// A run changes each account at most once, and ingestion takes at most
	// ingest.MaxChanges changes an event: beyond either, the run sends a sample.
	room := min(len(s.Users), ingest.MaxChanges)
	for _, a := range []struct {
		action string
		count  int64
	}{
		{eventtype.ActionAdded, e.Added}, {eventtype.ActionUpdated, e.Updated}, {eventtype.ActionDeleted, e.Deleted},
		{eventtype.ActionDisabled, e.Disabled}, {eventtype.ActionFailed, e.Errors},
	} {
		if a.count == 0 {
			continue
		}
		n := min(g.round(float64(a.count)*g.plan.keep), a.count)
		for k := int64(0); k < n && len(e.Changes) < room; k++ {
			u := g.r.IntN(len(s.Users))
			for g.picked[u] {
				u = g.r.IntN(len(s.Users))
			}
			g.picked[u] = true
			e.Changes = append(e.Changes, g.change(s, e, u, a.action))
		}
	}
	clear(g.picked)
}

var (
	yearGroups = []string{"Year 7", "Year 8", "Year 9", "Year 10", "Year 11", "Year 12", "Staff"}
	failures   = []string{
		"mail is not a valid email address",
		"Could not write mail: the address is already in use by another account",
		"Insufficient access rights to modify memberOf",
		"The password does not meet the directory's complexity rules",
	}
)

func str(s string) *string { return &s }

// group is the directory group DN of a year group at school s.
func group(s *School, name string) string {
	return fmt.Sprintf("CN=%s,OU=Groups,DC=%s,DC=example", name, s.Slug)
}

// change is what a run of e did to user u of s: the attributes a directory sync or an
// upload typically writes for the action.
func (g *changeGen) change(s *School, e *Event, u int, action string) Change {
	user := &s.Users[u]
	c := Change{User: u, Action: action}
	r := g.r
	switch action {
	case eventtype.ActionAdded:
		given, family, _ := strings.Cut(user.DisplayName, " ")
		c.Attributes = []eventtype.AttributeChange{
			{Name: "givenName", New: str(given)},
			{Name: "sn", New: str(family)},
			{Name: "mail", New: str(user.Email)},
			{Name: "memberOf", New: str(group(s, yearGroups[r.IntN(len(yearGroups))]))},
		}
	case eventtype.ActionUpdated:
		// Most updates move a student to the next year group; some fix a name or an
		// address; a few do both.
		y := r.IntN(len(yearGroups) - 2)
		c.Attributes = append(c.Attributes, eventtype.AttributeChange{Name: "memberOf",
			Old: str(group(s, yearGroups[y])), New: str(group(s, yearGroups[y+1]))})
		if r.IntN(3) == 0 {
			c.Attributes = append(c.Attributes, eventtype.AttributeChange{Name: "mail",
				Old: str(fmt.Sprintf("%s.old@%s.example", user.Username, s.Slug)), New: str(user.Email)})
		}
		if r.IntN(6) == 0 {
			given, _, _ := strings.Cut(user.DisplayName, " ")
			c.Attributes = append(c.Attributes, eventtype.AttributeChange{Name: "givenName", Old: str(strings.ToLower(given)), New: str(given)})
		}
	case eventtype.ActionDeleted:
		c.Attributes = []eventtype.AttributeChange{{Name: "memberOf", Old: str(group(s, yearGroups[r.IntN(len(yearGroups))]))}}
		c.Message = "Removed: no longer in the source directory"
	case eventtype.ActionDisabled:
		c.Attributes = []eventtype.AttributeChange{{Name: "accountDisabled", Old: str("FALSE"), New: str("TRUE")}}
		if e.Type == eventtype.UserCSVProcessed || e.Type == eventtype.UserCSVProcessedWithErrors {
			c.Message = "Marked as left in the uploaded file"
		}
	default:
		c.Attributes = []eventtype.AttributeChange{}
		c.Message = failures[r.IntN(len(failures))]
	}
	return c
}
