package demo

import (
	"fmt"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/eventtype"
)

// recentNewcomers is how many students the recent week enrols: the provisioning run that
// creates their accounts, then their first logins, tell the story of a new enrolment.
var recentNewcomers = [3]struct{}{}

// recentWeek returns the events that the last seven days before end always hold, on top
// of the random history: two of every event type, none of them idle (so the report's
// default view shows them), failed User and Group CSV uploads with their problem rows,
// a sync that processed nothing, idle syncs, first logins of newly enrolled students and
// service logins of several people. They are placed by fixed offsets from end, so they
// do not depend on the date, the time zone or the random seed: the demo and the tests
// that open it always find what the product description shows.
//
// newcomers are usernames that have not signed in before; regulars are user IDs that
// have; staffSize and studentSize are the LDAP profiles' directory sizes.
func recentWeek(client *ent.Client, end time.Time, pid map[string]int, userIDs map[string]int, adminID int,
	newcomers []string, regulars []int, staffSize, studentSize int) []*ent.EventCreate {
	var out []*ent.EventCreate
	// at is an event that finished h hours (and m minutes) before end and ran for d.
	at := func(t event.Type, h, m int, d time.Duration) *ent.EventCreate {
		fin := end.Add(-time.Duration(h)*time.Hour - time.Duration(m)*time.Minute)
		b := client.Event.Create().SetType(t).SetDateStarted(fin.Add(-d).UTC()).SetDateFinished(fin.UTC()).
			SetRecordedAt(fin.UTC()).SetProblems([]eventtype.Problem{})
		out = append(out, b)
		return b
	}
	run := func(t event.Type, profile string, h, m int, d time.Duration) *ent.EventCreate {
		return at(t, h, m, d).SetSyncProfileID(pid[profile])
	}
	upload := func(t event.Type, profile string, h, m int) *ent.EventCreate {
		return run(t, profile, h, m, 40*time.Second).SetUserID(adminID)
	}

	// The nightly scripts enrol the newcomers, who sign in for the first time the next day.
	for i, h := range []int{140, 100} {
		n := 1 + i
		run(event.TypeACCOUNT_PROVISIONING, "Provisioning Scripts", h, 5, 3*time.Minute).
			SetProcessed(staffSize + studentSize).SetAdded(n).
			SetDetails(fmt.Sprintf("Provisioning scripts created %d cloud accounts for new enrolments.", n))
	}
	for i, name := range newcomers {
		at(event.TypeAUTHENTICATION, 118-i*40, 12+i, 0).SetUserID(userIDs[name]).
			SetDetails("First login to the dashboard.")
	}

	// LDAP: syncs with changes, idle syncs, one that found nobody and two that failed.
	for i, h := range []int{130, 30} {
		run(event.TypeACCOUNT_SYNCHRONIZATION, "LDAP Students", h, 15, 40*time.Second).
			SetProcessed(studentSize).SetUpdated(4 + i).SetAdded(i).SetDisabled(1).SetDeleted(1 - i).
			SetDetails(fmt.Sprintf("Scheduled sync of LDAP Students: %d updated, %d added, 1 disabled, %d deleted.", 4+i, i, 1-i))
	}
	for _, h := range []int{100, 50} {
		run(event.TypeACCOUNT_SYNCHRONIZATION, "LDAP Staff", h, 45, 25*time.Second).SetProcessed(staffSize).
			SetDetails(fmt.Sprintf("Scheduled sync of LDAP Staff: %d accounts checked, no changes.", staffSize))
	}
	run(event.TypeACCOUNT_SYNCHRONIZATION, "LDAP Staff", 76, 30, 20*time.Second).SetProcessed(0).
		SetDetails("Scheduled sync returned no accounts: check the LDAP search base and filter.")
	for i, h := range []int{88, 9} {
		run(event.TypeSYNC_ERROR, "LDAP Students", h, 30, 30*time.Second).
			SetProcessed(studentSize / (2 + i)).SetErrors(1 + i).
			SetDetails("LDAP server ldap.demo.example.edu:636 timed out after 30s;\nthe sync stopped part way and will retry at the next schedule.")
	}

	// CSV uploads: the admin's uploads of the week, clean, with rejected rows and failed.
	for i, h := range []int{150, 60} {
		rows := 48 + 10*i
		upload(event.TypeUSER_CSV_PROCESSED, "User CSV Upload", h, 20).SetProcessed(rows).SetAdded(rows - 6).SetUpdated(6).
			SetDetails(fmt.Sprintf("students-week.csv: %d rows processed.", rows))
		groups := 12 + 3*i
		upload(event.TypeGROUPS_CSV_PROCESSED, "Group CSV Upload", h, 10).SetProcessed(groups).SetUpdated(groups).
			SetDetails(fmt.Sprintf("groups-week.csv: %d rows processed.", groups))
	}
	for i, h := range []int{126, 28} {
		upload(event.TypeUSER_CSV_PROCESSED_WITH_ERRORS, "User CSV Upload", h, 40).SetProcessed(36).SetAdded(34 - i).SetErrors(2 + i).
			SetProblems(append([]eventtype.Problem{
				{Line: 7, Field: "email", Message: "not a valid email address"},
				{Line: 19, Field: "year_level", Message: "must be between 7 and 12"},
			}, []eventtype.Problem{{Line: 31, Field: "username", Message: "already used by another account"}}[:i]...)).
			SetDetails(fmt.Sprintf("students-late-enrolments.csv: 36 rows processed, %d rows rejected.", 2+i))
		upload(event.TypeGROUPS_CSV_PROCESSED_WITH_ERRORS, "Group CSV Upload", h, 35).SetProcessed(14).SetUpdated(13).SetErrors(1).
			SetProblems([]eventtype.Problem{{Line: 9, Field: "group", Message: "unknown group \"Year 13\""}}).
			SetDetails("groups-electives.csv: 14 rows processed, 1 row rejected.")
	}
	for _, h := range []int{127, 29} {
		upload(event.TypeUSER_CSV_FAILED, "User CSV Upload", h, 0).SetErrors(1).
			SetProblems([]eventtype.Problem{{Line: 1, Field: "header", Message: "missing required column \"username\""}}).
			SetDetails("students-late-enrolments.csv could not be read: the header row is missing the column \"username\".\nNo accounts were changed.")
		upload(event.TypeGROUP_CSV_FAILED, "Group CSV Upload", h, 50).SetErrors(2).
			SetProblems([]eventtype.Problem{
				{Line: 1, Field: "header", Message: "missing required column \"group_name\""},
				{Line: 1, Field: "header", Message: "unknown column \"groupname\""},
			}).
			SetDetails("groups-electives.csv could not be read: the header row does not name the columns.\nNo groups were changed.")
	}

	// Service logins of several people, and two failed logins.
	for i, id := range regulars {
		svc := services[i%len(services)]
		at(event.TypeAUTHORISATION, 3+i*11, 7*i, 0).SetUserID(id).SetService(svc).SetDetails("Signed in to " + svc + ".")
	}
	for i, id := range regulars[:min(2, len(regulars))] {
		at(event.TypeAUTHENTICATION_FAILED, 45+i*50, 2, 0).SetUserID(id).SetDetails("Bad username or password.")
	}
	return out
}
