package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/eventtype"
)

// changesWindow is how far back from the end of the history runs say which accounts
// they changed: the People page's default period, so that it, the run page and the
// person page have content whatever the demo's clock.
const changesWindow = 30 * 24 * time.Hour

// Per run, the demo sends a sample of its changes, as an agent may: at most this many of
// each action, and never more than the run counted.
var changeSample = map[change.Action]int{
	change.ActionADDED: 6, change.ActionUPDATED: 8, change.ActionDISABLED: 3, change.ActionDELETED: 3, change.ActionFAILED: 3,
}

var yearGroups = []string{"Year 7", "Year 8", "Year 9", "Year 10", "Year 11", "Year 12"}

// recordChanges gives the runs of the last 30 days before end a sample of the changes
// they counted, with the attributes an LDAP sync or a CSV upload changes. An ADDED
// change provisions a new account (a new enrolment); two in three of those sign in
// some time after, the others never do, so that the People page shows both. It
// returns how many accounts and sign-in events it created.
func recordChanges(ctx context.Context, client *ent.Client, end time.Time, rng *rand.Rand) (users, events int, err error) {
	runs, err := client.Event.Query().Where(
		event.SyncProfileIDNotNil(),
		event.DateFinishedGT(end.Add(-changesWindow)), event.DateFinishedLTE(end),
		event.TypeIn(event.TypeACCOUNT_SYNCHRONIZATION, event.TypeACCOUNT_PROVISIONING, event.TypeUSER_CSV_PROCESSED,
			event.TypeUSER_CSV_PROCESSED_WITH_ERRORS, event.TypeGROUPS_CSV_PROCESSED, event.TypeGROUPS_CSV_PROCESSED_WITH_ERRORS),
		event.Or(event.AddedGT(0), event.UpdatedGT(0), event.DisabledGT(0), event.DeletedGT(0), event.ErrorsGT(0)),
	).WithSyncProfile().Order(ent.Asc(event.FieldDateFinished), ent.Asc(event.FieldID)).All(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read runs for changes: %w", err)
	}
	if len(runs) == 0 {
		return 0, 0, nil
	}
	dir, err := client.User.Query().Where(user.RoleEQ(user.RoleNONE)).Order(ent.Asc(user.FieldID)).
		Select(user.FieldID, user.FieldUsername, user.FieldDisplayName, user.FieldEmail).All(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read the directory: %w", err)
	}
	taken := make(map[string]bool, len(dir))
	for _, u := range dir {
		taken[u.Username] = true
	}

	var (
		changes []*ent.ChangeCreate
		logins  []*ent.EventCreate
		counts  = map[[2]int][]int{} // (changes, rows) → run IDs
		added   int
	)
	for _, run := range runs {
		staff := run.Edges.SyncProfile != nil && strings.Contains(run.Edges.SyncProfile.Name, "Staff")
		groups := run.Edges.SyncProfile != nil && run.Edges.SyncProfile.Kind == syncprofile.KindGROUP_CSV
		failed := run.Type == event.TypeUSER_CSV_PROCESSED_WITH_ERRORS || run.Type == event.TypeGROUPS_CSV_PROCESSED_WITH_ERRORS
		want := map[change.Action]int{
			change.ActionADDED: run.Added, change.ActionUPDATED: run.Updated, change.ActionDISABLED: run.Disabled,
			change.ActionDELETED: run.Deleted,
		}
		if failed {
			want[change.ActionFAILED] = run.Errors
		}
		if groups {
			// A group upload changes the memberships of accounts that exist: it adds none.
			want[change.ActionADDED] = 0
		}
		inRun := map[string]bool{}
		nChanges, nRows := 0, 0
		for _, a := range []change.Action{change.ActionADDED, change.ActionUPDATED, change.ActionDISABLED, change.ActionDELETED, change.ActionFAILED} {
			n := min(want[a], changeSample[a], 20-nChanges)
			for range n {
				var (
					username, display, email string
					attrs                    []eventtype.AttributeChange
					message                  *string
				)
				if a == change.ActionADDED {
					fn, ln := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
					base := lower(fn) + "." + lower(ln)
					if staff {
						base = fmt.Sprintf("%c%s", fn[0]+32, lower(ln))
					}
					username = base
					for k := 2; taken[username]; k++ {
						username = fmt.Sprintf("%s%d", base, k)
					}
					taken[username] = true
					display, email = fn+" "+ln, username+"@demo.example.edu"
					group := yearGroups[rng.IntN(len(yearGroups))]
					if staff {
						group = "Staff"
					}
					attrs = []eventtype.AttributeChange{
						{Name: "givenName", New: ptr(fn)}, {Name: "sn", New: ptr(ln)},
						{Name: "mail", New: ptr(email)}, {Name: "memberOf", New: ptr(group)},
					}
					u, err := client.User.Create().SetUsername(username).SetDisplayName(display).SetEmail(email).
						SetRole(user.RoleNONE).Save(ctx)
					if err != nil {
						return 0, 0, fmt.Errorf("create account %q: %w", username, err)
					}
					dir = append(dir, u)
					users++
					// Two in three new accounts are used: their first sign-in follows the run
					// by up to four days, if the history reaches that far.
					if added%3 != 2 {
						if after := time.Duration(1+rng.IntN(96)) * time.Hour; run.DateFinished.Add(after).Before(end) {
							at := run.DateFinished.Add(after + time.Duration(rng.IntN(3600))*time.Second).UTC()
							if at.After(end) {
								at = end
							}
							logins = append(logins, client.Event.Create().SetType(event.TypeAUTHENTICATION).
								SetDateStarted(at).SetDateFinished(at).SetRecordedAt(at).SetProblems([]eventtype.Problem{}).
								SetUserID(u.ID).SetDetails("First login to the dashboard."))
						}
					}
					added++
					changes = append(changes, changeOf(client, run, u.ID, a, display, email, attrs, message))
				} else {
					var u *ent.User
					for range 20 {
						if c := dir[rng.IntN(len(dir))]; !inRun[c.Username] {
							u = c
							break
						}
					}
					if u == nil {
						continue
					}
					username, display, email = u.Username, u.DisplayName, u.Email
					switch a {
					case change.ActionUPDATED:
						attrs = updatedAttributes(rng, groups, u)
					case change.ActionDISABLED:
						attrs = []eventtype.AttributeChange{{Name: "accountDisabled", Old: ptr("false"), New: ptr("true")}}
						message = ptr("Left the school")
					case change.ActionDELETED:
						message = ptr("Removed 30 days after it was disabled")
					case change.ActionFAILED:
						message = ptr([]string{"mail: not a valid email address", "memberOf: unknown group \"Year 13\"",
							"username: already used by another account"}[rng.IntN(3)])
					}
					changes = append(changes, changeOf(client, run, u.ID, a, display, email, attrs, message))
				}
				inRun[username] = true
				nChanges++
				nRows += max(1, len(attrs))
			}
		}
		if nChanges > 0 {
			k := [2]int{nChanges, nRows}
			counts[k] = append(counts[k], run.ID)
		}
	}
	for start := 0; start < len(changes); start += 500 {
		if err := client.Change.CreateBulk(changes[start:min(start+500, len(changes))]...).Exec(ctx); err != nil {
			return 0, 0, fmt.Errorf("record changes: %w", err)
		}
	}
	for k, ids := range counts {
		if err := client.Event.Update().Where(event.IDIn(ids...)).SetChangesRecorded(k[0]).SetChangeRows(k[1]).Exec(ctx); err != nil {
			return 0, 0, fmt.Errorf("count changes of runs: %w", err)
		}
	}
	for start := 0; start < len(logins); start += 500 {
		if err := client.Event.CreateBulk(logins[start:min(start+500, len(logins))]...).Exec(ctx); err != nil {
			return 0, 0, fmt.Errorf("record first logins: %w", err)
		}
	}
	return users, len(logins), nil
}

// changeOf is the change run made to the account userID.
func changeOf(client *ent.Client, run *ent.Event, userID int, a change.Action, display, email string,
	attrs []eventtype.AttributeChange, message *string) *ent.ChangeCreate {
	if attrs == nil {
		attrs = []eventtype.AttributeChange{}
	}
	b := client.Change.Create().SetEventID(run.ID).SetUserID(userID).SetAction(a).SetAt(run.DateFinished).
		SetAttributes(attrs).SetNillableMessage(message)
	if display != "" {
		b.SetDisplayName(display)
	}
	if email != "" {
		b.SetEmail(email)
	}
	return b
}

// updatedAttributes is what an update changed: a group upload moves the account
// between groups; a sync changes one or two of its directory attributes.
func updatedAttributes(rng *rand.Rand, groups bool, u *ent.User) []eventtype.AttributeChange {
	y := rng.IntN(len(yearGroups) - 1)
	move := eventtype.AttributeChange{Name: "memberOf", Old: ptr(yearGroups[y]), New: ptr(yearGroups[y+1])}
	if groups {
		return []eventtype.AttributeChange{move}
	}
	given, family, _ := strings.Cut(u.DisplayName, " ")
	switch rng.IntN(4) {
	case 0:
		return []eventtype.AttributeChange{move}
	case 1:
		return []eventtype.AttributeChange{{Name: "mail", Old: ptr(u.Email), New: ptr(strings.Replace(u.Email, "@", ".new@", 1))}}
	case 2:
		return []eventtype.AttributeChange{{Name: "sn", Old: ptr(family), New: ptr(family + "-" + lastNames[rng.IntN(len(lastNames))])}, move}
	default:
		return []eventtype.AttributeChange{{Name: "givenName", Old: ptr(given), New: ptr(given[:min(3, len(given))])}}
	}
}

func ptr[T any](v T) *T { return &v }
