// Package demo seeds a demo school with a realistic provisioning history: two LDAP sync
// profiles syncing every 15 minutes (mostly idle), weekly User and Group CSV uploads
// (a few failing with row-level problems), nightly provisioning scripts and thousands of
// logins, some of them failed. The randomness is seeded, so the same options give the
// same history; on top of it, the last week always holds a fixed set of events (see
// recentWeek), so that whatever the date, the zone or the random seed a newcomer finds every
// event type, failed uploads with their problems and first logins in the default view.
package demo

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/eventtype"
	"github.com/provreport/provreport/internal/tenant"
)

// Slug is the demo school's slug.
const Slug = "demo"

// Options shape the seeded history.
type Options struct {
	// Days of history, ending now.
	Days int
	// Now is the end of the history; zero means time.Now().
	Now time.Time
	// Slug overrides the school's slug (tests seed several schools).
	Slug string
	// Students and Staff are the directory sizes; zero means 1,350 and 150.
	Students, Staff int
	// AdminPassword is the demo admin's password; empty picks a random one.
	AdminPassword string
	// Seed varies the random background history; the recent week's fixed events do not
	// depend on it.
	Seed uint64
}

// Result says what was seeded.
type Result struct {
	SchoolID                int
	Slug                    string
	Users, Profiles, Events int
	// Token is an API token with every scope, shown once.
	Token string
	// AdminPassword is the demo admin's password, shown once.
	AdminPassword string
}

// SeedIfEmpty seeds the demo school when the database has no school at all, and does
// nothing (returning nil) otherwise, so `serve --demo` can be run every time.
func SeedIfEmpty(ctx context.Context, client *ent.Client, o Options) (*Result, error) {
	n, err := client.School.Query().Count(tenant.System(ctx))
	if err != nil {
		return nil, fmt.Errorf("count schools: %w", err)
	}
	if n > 0 {
		return nil, nil
	}
	return Seed(ctx, client, o)
}

var services = []string{"Google Workspace", "Microsoft 365", "Canvas", "Seesaw", "Compass", "Adobe Express"}

var firstNames = []string{"Olivia", "Noah", "Charlotte", "Oliver", "Amelia", "Jack", "Isla", "William", "Mia", "Leo",
	"Ava", "Henry", "Grace", "Thomas", "Chloe", "Lucas", "Zoe", "Ethan", "Ruby", "James", "Harper", "Liam", "Ella", "Mason",
	"Sienna", "Hudson", "Matilda", "Archie", "Evie", "Oscar", "Aria", "Max", "Willow", "Lachlan", "Ivy", "Cooper"}
var lastNames = []string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin", "White",
	"Anderson", "Walker", "Thompson", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King", "Davis", "Wright", "Evans",
	"Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Chen", "Singh"}

// Seed creates the demo school (or the school named by o.Slug) and its history.
func Seed(ctx context.Context, client *ent.Client, o Options) (*Result, error) {
	if o.Days <= 0 {
		o.Days = 90
	}
	// The recent week's fixed events span the last seven days.
	o.Days = max(o.Days, 7)
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Slug == "" {
		o.Slug = Slug
	}
	if o.Students == 0 {
		o.Students = 1350
	}
	// The recent week enrols newcomers from the end of the student list.
	o.Students = max(o.Students, 2*len(recentNewcomers)+10)
	if o.Staff == 0 {
		o.Staff = 150
	}
	rng := rand.New(rand.NewPCG(42+o.Seed, uint64(len(o.Slug))))
	s, err := client.School.Create().SetSlug(o.Slug).SetName("Demo Secondary College").
		SetTimezone("Australia/Sydney").Save(tenant.System(ctx))
	if err != nil {
		return nil, fmt.Errorf("create school %q: %w", o.Slug, err)
	}
	ctx = tenant.WithSchool(ctx, s.ID)
	res := &Result{SchoolID: s.ID, Slug: s.Slug}

	// The directory.
	var creates []*ent.UserCreate
	creates = append(creates, client.User.Create().SetUsername("admin").SetDisplayName("School Admin").
		SetEmail("admin@demo.example.edu").SetRole(user.RoleADMIN))
	type person struct{ username string }
	var students, staff []person
	taken := map[string]bool{"admin": true}
	mk := func(i int, isStaff bool) {
		fn, ln := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		base := fmt.Sprintf("%c%s", fn[0]+32, lower(ln))
		if !isStaff {
			base = lower(fn) + "." + lower(ln)
		}
		name := base
		for k := 2; taken[name]; k++ {
			name = fmt.Sprintf("%s%d", base, k)
		}
		taken[name] = true
		creates = append(creates, client.User.Create().SetUsername(name).SetDisplayName(fn+" "+ln).
			SetEmail(name+"@demo.example.edu").SetRole(user.RoleNONE))
		if isStaff {
			staff = append(staff, person{name})
		} else {
			students = append(students, person{name})
		}
	}
	for i := 0; i < o.Staff; i++ {
		mk(i, true)
	}
	for i := 0; i < o.Students; i++ {
		mk(i, false)
	}
	userIDs := map[string]int{}
	for start := 0; start < len(creates); start += 500 {
		end := min(start+500, len(creates))
		us, err := client.User.CreateBulk(creates[start:end]...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("create users: %w", err)
		}
		for _, u := range us {
			userIDs[u.Username] = u.ID
		}
	}
	res.Users = len(userIDs)

	profiles := []struct {
		name string
		kind syncprofile.Kind
	}{
		{"LDAP Staff", syncprofile.KindLDAP},
		{"LDAP Students", syncprofile.KindLDAP},
		{"User CSV Upload", syncprofile.KindUSER_CSV},
		{"Group CSV Upload", syncprofile.KindGROUP_CSV},
		{"Provisioning Scripts", syncprofile.KindSCRIPT},
	}
	pid := map[string]int{}
	for _, p := range profiles {
		sp, err := client.SyncProfile.Create().SetName(p.name).SetKind(p.kind).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("create profile %q: %w", p.name, err)
		}
		pid[p.name] = sp.ID
	}
	res.Profiles = len(pid)

	loc, _ := time.LoadLocation("Australia/Sydney")
	if loc == nil {
		loc = time.UTC
	}
	end := o.Now.UTC().Truncate(time.Minute)
	begin := end.AddDate(0, 0, -o.Days)
	var batch []*ent.EventCreate
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := client.Event.CreateBulk(batch...).Exec(ctx); err != nil {
			return fmt.Errorf("create events: %w", err)
		}
		res.Events += len(batch)
		batch = batch[:0]
		return nil
	}
	add := func(b *ent.EventCreate) error {
		batch = append(batch, b)
		if len(batch) >= 1000 {
			return flush()
		}
		return nil
	}
	newEvent := func(t event.Type, started, finished time.Time) *ent.EventCreate {
		return client.Event.Create().SetType(t).SetDateStarted(started.UTC()).SetDateFinished(finished.UTC()).
			SetRecordedAt(finished.UTC()).SetProblems([]eventtype.Problem{})
	}

	// Scheduled LDAP syncs every 15 minutes, mostly idle.
	for t := begin; t.Before(end); t = t.Add(15 * time.Minute) {
		for _, p := range []struct {
			name string
			size int
		}{{"LDAP Staff", len(staff) + 1}, {"LDAP Students", len(students)}} {
			dur := time.Duration(20+rng.IntN(40)) * time.Second
			b := newEvent(event.TypeACCOUNT_SYNCHRONIZATION, t, t.Add(dur)).SetSyncProfileID(pid[p.name])
			r := rng.Float64()
			switch {
			case r < 0.86:
				b.SetProcessed(p.size).SetDetails(fmt.Sprintf("Scheduled sync of %s: %d accounts checked, no changes.", p.name, p.size))
			case r < 0.985:
				up, ad := rng.IntN(6), rng.IntN(3)
				dis, del := 0, 0
				if rng.IntN(5) == 0 {
					dis = 1 + rng.IntN(2)
				}
				if rng.IntN(8) == 0 { // leavers' accounts removed
					del = 1 + rng.IntN(2)
				}
				b.SetProcessed(p.size).SetUpdated(up + 1).SetAdded(ad).SetDisabled(dis).SetDeleted(del).
					SetDetails(fmt.Sprintf("Scheduled sync of %s: %d updated, %d added, %d disabled, %d deleted.", p.name, up+1, ad, dis, del))
			case r < 0.993:
				b = newEvent(event.TypeSYNC_ERROR, t, t.Add(dur)).SetSyncProfileID(pid[p.name]).
					SetProcessed(rng.IntN(p.size)).SetErrors(1 + rng.IntN(3)).
					SetDetails("LDAP server ldap.demo.example.edu:636 timed out after 30s;\nthe sync stopped part way and will retry at the next schedule.")
			default:
				b.SetProcessed(0).SetDetails("Scheduled sync returned no accounts: check the LDAP search base and filter.")
			}
			if err := add(b); err != nil {
				return nil, err
			}
		}
	}

	// Nightly provisioning scripts at 02:00 school time.
	for d := 0; d < o.Days; d++ {
		day := time.Date(begin.In(loc).Year(), begin.In(loc).Month(), begin.In(loc).Day()+d, 2, 0, 0, 0, loc)
		if day.After(end) {
			break
		}
		b := newEvent(event.TypeACCOUNT_PROVISIONING, day, day.Add(time.Duration(60+rng.IntN(240))*time.Second)).
			SetSyncProfileID(pid["Provisioning Scripts"]).SetProcessed(len(students) + len(staff))
		if rng.IntN(3) == 0 {
			n := 1 + rng.IntN(8)
			b.SetAdded(n).SetDetails(fmt.Sprintf("Provisioning scripts created %d cloud accounts for new enrolments.", n))
		} else {
			b.SetDetails("Provisioning scripts ran: every account already provisioned.")
		}
		if err := add(b); err != nil {
			return nil, err
		}
	}

	// Weekly CSV uploads on Monday mornings by the admin.
	adminID := userIDs["admin"]
	for d := 0; d < o.Days; d++ {
		day := time.Date(begin.In(loc).Year(), begin.In(loc).Month(), begin.In(loc).Day()+d, 9, 30+rng.IntN(20), 0, 0, loc)
		if day.Weekday() != time.Monday || day.After(end) {
			continue
		}
		for _, csv := range []struct {
			profile          string
			ok, withErr, bad event.Type
			rows             int
			file             string
		}{
			{"User CSV Upload", event.TypeUSER_CSV_PROCESSED, event.TypeUSER_CSV_PROCESSED_WITH_ERRORS, event.TypeUSER_CSV_FAILED, 40 + rng.IntN(80), "students-week.csv"},
			{"Group CSV Upload", event.TypeGROUPS_CSV_PROCESSED, event.TypeGROUPS_CSV_PROCESSED_WITH_ERRORS, event.TypeGROUP_CSV_FAILED, 10 + rng.IntN(30), "groups-week.csv"},
		} {
			fin := day.Add(time.Duration(5+rng.IntN(50)) * time.Second)
			r := rng.Float64()
			var b *ent.EventCreate
			switch {
			case r < 0.7:
				ad, up := rng.IntN(csv.rows/2+1), 0
				up = csv.rows - ad
				b = newEvent(csv.ok, day, fin).SetProcessed(csv.rows).SetAdded(ad).SetUpdated(up).
					SetDetails(fmt.Sprintf("%s: %d rows processed.", csv.file, csv.rows))
			case r < 0.9:
				nerr := 1 + rng.IntN(4)
				probs := make([]eventtype.Problem, nerr)
				for k := range probs {
					line := 2 + rng.IntN(csv.rows)
					probs[k] = []eventtype.Problem{
						{Line: line, Field: "email", Message: "not a valid email address"},
						{Line: line, Field: "year_level", Message: "must be between 7 and 12"},
						{Line: line, Field: "username", Message: "already used by another account"},
						{Line: line, Field: "group", Message: "unknown group \"Year 13\""},
					}[rng.IntN(4)]
				}
				b = newEvent(csv.withErr, day, fin).SetProcessed(csv.rows).SetAdded(csv.rows - nerr).SetErrors(nerr).
					SetProblems(probs).SetDetails(fmt.Sprintf("%s: %d rows processed, %d rows rejected.", csv.file, csv.rows, nerr))
			default:
				b = newEvent(csv.bad, day, fin).SetErrors(1).
					SetProblems([]eventtype.Problem{{Line: 1, Field: "header", Message: "missing required column \"username\""}}).
					SetDetails(fmt.Sprintf("%s could not be read: the header row is missing the column \"username\".\nNo accounts were changed.", csv.file))
			}
			b.SetSyncProfileID(pid[csv.profile]).SetUserID(adminID)
			if err := add(b); err != nil {
				return nil, err
			}
		}
	}

	// Logins: school days busy, weekends quiet; first logins early in the period. The
	// newest students are this week's enrolments (see recentWeek): they have not signed
	// in before it.
	newcomers := students[len(students)-len(recentNewcomers):]
	students = students[:len(students)-len(recentNewcomers)]
	everyone := append(append([]person{}, staff...), students...)
	firstSeen := map[string]bool{}
	for d := 0; d < o.Days; d++ {
		day := time.Date(begin.In(loc).Year(), begin.In(loc).Month(), begin.In(loc).Day()+d, 0, 0, 0, 0, loc)
		n := 900 + rng.IntN(400)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			n = 60 + rng.IntN(80)
		}
		for k := 0; k < n; k++ {
			at := day.Add(time.Duration(7*3600+rng.IntN(11*3600)) * time.Second)
			if at.After(end) || at.Before(begin) {
				continue
			}
			p := everyone[rng.IntN(len(everyone))]
			var b *ent.EventCreate
			switch {
			case rng.Float64() < 0.03:
				b = newEvent(event.TypeAUTHENTICATION_FAILED, at, at).SetDetails("Bad username or password.")
			case !firstSeen[p.username]:
				firstSeen[p.username] = true
				b = newEvent(event.TypeAUTHENTICATION, at, at).SetDetails("First login to the dashboard.")
			default:
				svc := services[rng.IntN(len(services))]
				b = newEvent(event.TypeAUTHORISATION, at, at).SetService(svc).SetDetails("Signed in to " + svc + ".")
			}
			b.SetUserID(userIDs[p.username])
			if err := add(b); err != nil {
				return nil, err
			}
		}
	}
	names := make([]string, len(newcomers))
	for i, p := range newcomers {
		names[i] = p.username
	}
	regulars := make([]int, 0, 4)
	for _, p := range everyone[:min(4, len(everyone))] {
		regulars = append(regulars, userIDs[p.username])
	}
	for _, b := range recentWeek(client, end, pid, userIDs, adminID, names, regulars, len(staff)+1, len(students)+len(newcomers)) {
		if err := add(b); err != nil {
			return nil, err
		}
	}
	hrs, n, err := healthProfiles(ctx, client, end)
	if err != nil {
		return nil, err
	}
	res.Profiles += n
	for _, b := range hrs {
		if err := add(b); err != nil {
			return nil, err
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	nu, ne, err := recordChanges(ctx, client, end, rng)
	if err != nil {
		return nil, err
	}
	res.Users += nu
	res.Events += ne
	// Written in bulk, the runs have no flags yet: decide them as recording would.
	if err := flagRuns(ctx, client); err != nil {
		return nil, err
	}

	_, secret, err := auth.CreateToken(ctx, client, "demo", auth.Scopes(), nil, nil)
	if err != nil {
		return nil, err
	}
	res.Token = secret
	res.AdminPassword = o.AdminPassword
	if res.AdminPassword == "" {
		res.AdminPassword = randomPassword()
	}
	if err := auth.SetPassword(ctx, client, adminID, res.AdminPassword); err != nil {
		return nil, err
	}
	return res, nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// randomPassword returns a password that is easy to type from a terminal.
func randomPassword() string {
	const letters = "abcdefghjkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	_, _ = crand.Read(b)
	out := make([]byte, 0, 19)
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out = append(out, '-')
		}
		out = append(out, letters[int(c)%len(letters)])
	}
	return string(out)
}
