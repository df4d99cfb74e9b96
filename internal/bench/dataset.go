// Package bench generates a district-sized provisioning dataset and measures the report
// against it: the report's benchmark queries (Q1–Q10, the run page's changes and the
// person page's timeline among them) through the real GraphQL endpoint and as the
// equivalent raw SQL, the CSV export against COPY, and ingestion against COPY. The
// benchmarks live in this package's tests and run with `make bench` (small) or
// `make bench-report` (the documented sizes); docs/BENCHMARKS.md has the figures.
package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/provreport/provreport/internal/eventtype"
)

// Config is the shape of a generated dataset. The zero value of a field means its
// default (see Defaults), a district's shape: 200 schools, about 1,000 sync
// profiles and 200,000 users over 365 days.
type Config struct {
	// Events is how many events to generate across all schools.
	Events int
	// Schools is how many schools share them; school sizes vary (log-normal), as a
	// district's do.
	Schools int
	// Users is how many users there are across all schools.
	Users int
	// Days is how many days the events span, ending at End.
	Days int
	// End is the exclusive end of the events' time span.
	End time.Time
	// Seed makes the dataset reproducible.
	Seed uint64
	// Prefix starts every school's slug (default "school-"), so that several datasets
	// can share a database.
	Prefix string
	// ChangesPerEvent is how many changes the dataset carries per event, on average
	// over all events (default DefaultChangesPerEvent); only the runs that changed
	// accounts carry them. A negative value generates no changes and leaves the
	// events' counts as the event generator drew them, for datasets whose changes
	// nothing reads (the export's school) or that bring their own (ingestion).
	ChangesPerEvent float64

	// plan is the change generator's scaling once Load has computed it, so that
	// generating the dataset twice does not compute it twice.
	plan *changePlan
}

// DefaultEnd is where generated events end by default: the end of the current UTC day,
// so that the year of events lies inside the retention window (PROVREPORT_RETENTION_DAYS,
// 365 by default) and the server's retention job leaves the dataset alone.
func DefaultEnd() time.Time { return time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 1) }

// Defaults fills the zero fields.
func (c Config) Defaults() Config {
	if c.Events == 0 {
		c.Events = 1_000_000
	}
	if c.Schools == 0 {
		c.Schools = 200
	}
	if c.Users == 0 {
		c.Users = 200_000
	}
	if c.Days == 0 {
		c.Days = 365
	}
	if c.End.IsZero() {
		c.End = DefaultEnd()
	}
	if c.Seed == 0 {
		c.Seed = 7
	}
	if c.Prefix == "" {
		c.Prefix = "school-"
	}
	if c.ChangesPerEvent == 0 {
		c.ChangesPerEvent = DefaultChangesPerEvent
	}
	return c
}

// Start is the inclusive start of the events' time span.
func (c Config) Start() time.Time { return c.End.AddDate(0, 0, -c.Days) }

// School is one generated school before it is stored.
type School struct {
	Slug     string
	Name     string
	Timezone string
	// Weight is the school's share of the events and users.
	Weight   float64
	Users    []User
	Profiles []Profile
}

// User is one generated user.
type User struct {
	Username, DisplayName, Email string
	Role                         string
}

// Profile is one generated sync profile; CSV profiles upload once a week on Weekday at
// Hour (UTC).
type Profile struct {
	Name    string
	Kind    string
	Weekday time.Weekday
	Hour    int
}

// Event is one generated event, with its school, user and profile as indexes into the
// generated slices (-1 for none); the loader maps them to stored IDs.
type Event struct {
	School, User, Profile int
	Type                  string
	Started, Finished     time.Time
	Processed, Added      int64
	Updated, Deleted      int64
	Disabled, Errors      int64
	Details               string
	Problems              json.RawMessage
	Service               string
	ExternalID            string
	// Changes are the accounts the run changed; empty for most events.
	Changes []Change
}

// ChangeRows is how many rows the event's changes CSV has, as the server stores it.
func (e *Event) ChangeRows() int {
	n := 0
	for i := range e.Changes {
		n += e.Changes[i].Rows()
	}
	return n
}

var (
	firstNames = []string{"james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william", "elizabeth",
		"david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen", "chris", "nancy",
		"daniel", "lisa", "matthew", "betty", "anthony", "margaret", "mark", "sandra", "olivia", "noah", "amelia", "oliver",
		"isla", "jack", "mia", "leo", "ava", "harper", "zoe", "ethan", "grace", "lucas", "chloe", "henry", "ruby", "aiden"}
	lastNames = []string{"smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
		"hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee",
		"perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson", "walker", "young",
		"allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams", "nelson", "baker"}
	zones      = []string{"Australia/Sydney", "America/New_York", "Europe/London", "UTC", "America/Los_Angeles"}
	services   = []string{"Google Workspace", "Microsoft 365", "Canvas", "Clever", "Library", "Wi-Fi"}
	noProblems = json.RawMessage("[]")
)

// SchoolList generates the schools with their users and sync profiles. It is cheap and
// deterministic, so a stored dataset can be matched to it again.
func (c Config) SchoolList() []School {
	c = c.Defaults()
	r := rand.New(rand.NewPCG(c.Seed, 1))
	schools := make([]School, c.Schools)
	total := 0.0
	for i := range schools {
		// Log-normal sizes: most schools are near the median, a few are four times it.
		w := math.Exp(r.NormFloat64() * 0.5)
		schools[i] = School{
			Slug:     fmt.Sprintf("%s%03d", c.Prefix, i),
			Name:     fmt.Sprintf("School %s%03d", c.Prefix, i),
			Timezone: zones[i%len(zones)],
			Weight:   w,
		}
		total += w
	}
	for i := range schools {
		s := &schools[i]
		s.Weight /= total
		n := max(20, int(s.Weight*float64(c.Users)+0.5))
		s.Users = make([]User, n)
		for k := range s.Users {
			f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			u := fmt.Sprintf("%s.%s%d", f, l, k)
			role := "NONE"
			if k < 3 {
				role = "ADMIN"
			}
			s.Users[k] = User{Username: u, DisplayName: title(f) + " " + title(l), Email: u + "@" + s.Slug + ".example", Role: role}
		}
		// About five profiles a school: two or three LDAP syncs, the two CSV uploads and,
		// at every other school, provisioning scripts.
		ldap := 2 + i%2
		for k := 0; k < ldap; k++ {
			s.Profiles = append(s.Profiles, Profile{Name: fmt.Sprintf("LDAP %s", []string{"students", "staff", "alumni"}[k]), Kind: "LDAP"})
		}
		s.Profiles = append(s.Profiles,
			Profile{Name: "User CSV", Kind: "USER_CSV", Weekday: time.Weekday(1 + r.IntN(5)), Hour: 6 + r.IntN(10)},
			Profile{Name: "Group CSV", Kind: "GROUP_CSV", Weekday: time.Weekday(1 + r.IntN(5)), Hour: 6 + r.IntN(10)})
		if i%2 == 0 {
			s.Profiles = append(s.Profiles, Profile{Name: "Provisioning scripts", Kind: "SCRIPT"})
		}
	}
	return schools
}

func title(s string) string { return string(s[0]-'a'+'A') + s[1:] }

// Generate calls emit with every event in finish-time order, as agents would have
// reported them: weekly CSV uploads per CSV profile (some failing, some with problem
// rows), and otherwise logins (about 70%), LDAP syncs (about 25%, 85% of them idle),
// provisioning script runs and sync errors, weekdays busier than weekends. The runs
// that changed accounts carry their changes (see changePlan), c.ChangesPerEvent an
// event on average.
func (c Config) Generate(schools []School, emit func(*Event) error) error {
	c = c.Defaults()
	if c.plan == nil {
		p, err := c.planChanges(schools)
		if err != nil {
			return err
		}
		c.plan = &p
	}
	g := c.changeGen(*c.plan)
	return c.generateEvents(schools, func(e *Event) error {
		g.add(&schools[e.School], e)
		return emit(e)
	})
}

// generateEvents is Generate without the changes.
func (c Config) generateEvents(schools []School, emit func(*Event) error) error {
	c = c.Defaults()
	r := rand.New(rand.NewPCG(c.Seed, 2))
	start := c.Start()

	// Cumulative school weights for picking the school of a random event.
	cum := make([]float64, len(schools))
	acc := 0.0
	for i, s := range schools {
		acc += s.Weight
		cum[i] = acc
	}
	pickSchool := func() int {
		i := sort.SearchFloat64s(cum, r.Float64()*acc)
		return min(i, len(schools)-1)
	}
	csvPerWeek := 0
	for _, s := range schools {
		for _, p := range s.Profiles {
			if p.Kind == "USER_CSV" || p.Kind == "GROUP_CSV" {
				csvPerWeek++
			}
		}
	}
	rest := c.Events - csvPerWeek*c.Days/7
	if rest < 0 {
		rest = 0
	}
	// Weekdays carry 1.2 times an average day's events, weekend days half.
	dayShare := func(d time.Weekday) float64 {
		if d == time.Saturday || d == time.Sunday {
			return 0.5
		}
		return 1.2
	}
	totalShare := 0.0
	for d := 0; d < c.Days; d++ {
		totalShare += dayShare(start.AddDate(0, 0, d).Weekday())
	}

	seq := 0
	day := make([]*Event, 0, 2*c.Events/c.Days+1024)
	carry := 0.0
	emitted := 0
	for d := 0; d < c.Days; d++ {
		day0 := start.AddDate(0, 0, d)
		day = day[:0]
		want := float64(rest)*dayShare(day0.Weekday())/totalShare + carry
		n := int(want)
		carry = want - float64(n)
		if d == c.Days-1 {
			n = rest - emitted
		}
		emitted += n
		for k := 0; k < n; k++ {
			day = append(day, c.randomEvent(r, schools, pickSchool(), day0))
		}
		for si := range schools {
			for pi, p := range schools[si].Profiles {
				if (p.Kind == "USER_CSV" || p.Kind == "GROUP_CSV") && p.Weekday == day0.Weekday() {
					day = append(day, csvEvent(r, schools, si, pi, day0.Add(time.Duration(p.Hour)*time.Hour+time.Duration(r.IntN(3600))*time.Second)))
				}
			}
		}
		sort.Slice(day, func(i, j int) bool { return day[i].Finished.Before(day[j].Finished) })
		for _, e := range day {
			seq++
			e.ExternalID = fmt.Sprintf("%sgen-%d", c.Prefix, seq)
			if err := emit(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c Config) randomEvent(r *rand.Rand, schools []School, si int, day0 time.Time) *Event {
	s := &schools[si]
	at := day0.Add(time.Duration(r.IntN(86400)) * time.Second)
	e := &Event{School: si, User: -1, Profile: -1, Problems: noProblems}
	x := r.Float64()
	switch {
	case x < 0.70:
		e.User = r.IntN(len(s.Users))
		switch {
		case x < 0.60:
			e.Type = eventtype.Authorisation
			e.Service = services[r.IntN(len(services))]
		case x < 0.66:
			e.Type = eventtype.Authentication
		default:
			e.Type = eventtype.AuthenticationFailed
			e.Details = "Bad username or password"
		}
		e.Started, e.Finished = at, at.Add(time.Duration(r.IntN(900))*time.Millisecond)
		return e
	case x < 0.95, x < 0.99:
		kind, typ := "LDAP", eventtype.AccountSynchronization
		if x >= 0.95 {
			kind, typ = "SCRIPT", eventtype.AccountProvisioning
		}
		e.Profile = pickProfile(r, s, kind)
		if e.Profile < 0 {
			e.Profile, typ = pickProfile(r, s, "LDAP"), eventtype.AccountSynchronization
		}
		e.Type = typ
		e.Processed = int64(len(s.Users)/2 + r.IntN(len(s.Users)/2+1))
		y := r.Float64()
		switch {
		case y < 0.85: // idle: processed everything, changed nothing
			e.Details = fmt.Sprintf("Synchronised %d accounts, no changes", e.Processed)
		case y < 0.95:
			e.Added, e.Updated = int64(r.IntN(20)), int64(r.IntN(40))
			e.Deleted, e.Disabled = int64(r.IntN(3)), int64(r.IntN(5))
			e.Details = fmt.Sprintf("Synchronised %d accounts", e.Processed)
		case y < 0.98: // a silently failing sync: nothing processed
			e.Processed = 0
			e.Details = "No entries matched the search filter"
		default:
			e.Errors = int64(1 + r.IntN(10))
			e.Details = fmt.Sprintf("%d accounts could not be written", e.Errors)
		}
	default:
		e.Type = eventtype.SyncError
		e.Profile = pickProfile(r, s, "LDAP")
		e.Errors = 1
		e.Details = "LDAP server unreachable: connection timed out"
	}
	e.Started = at
	e.Finished = at.Add(time.Duration(5+r.IntN(300)) * time.Second)
	return e
}

func csvEvent(r *rand.Rand, schools []School, si, pi int, at time.Time) *Event {
	s := &schools[si]
	p := s.Profiles[pi]
	e := &Event{School: si, User: r.IntN(min(3, len(s.Users))), Profile: pi, Problems: noProblems,
		Started: at, Finished: at.Add(time.Duration(2+r.IntN(60)) * time.Second)}
	user := p.Kind == "USER_CSV"
	e.Processed = int64(len(s.Users))
	if !user {
		e.Processed = int64(len(s.Users) / 20)
	}
	y := r.Float64()
	switch {
	case y < 0.08:
		e.Type = pick(user, eventtype.UserCSVFailed, eventtype.GroupCSVFailed)
		e.Processed = 0
		e.Details = "The file could not be read: missing header row"
	case y < 0.20:
		e.Type = pick(user, eventtype.UserCSVProcessedWithErrors, eventtype.GroupsCSVProcessedWithErrors)
		e.Errors = int64(1 + r.IntN(5))
		probs := make([]eventtype.Problem, e.Errors)
		for k := range probs {
			probs[k] = eventtype.Problem{Line: 2 + r.IntN(int(e.Processed)+1), Field: "email", Message: "is not a valid email address"}
		}
		e.Problems, _ = json.Marshal(probs)
		e.Added, e.Updated = int64(r.IntN(10)), int64(r.IntN(30))
		e.Details = fmt.Sprintf("%d rows had problems", e.Errors)
	default:
		e.Type = pick(user, eventtype.UserCSVProcessed, eventtype.GroupsCSVProcessed)
		if r.IntN(2) == 0 {
			e.Added, e.Updated, e.Disabled = int64(r.IntN(15)), int64(r.IntN(40)), int64(r.IntN(5))
		}
		e.Details = fmt.Sprintf("Processed %d rows", e.Processed)
	}
	return e
}

func pick(user bool, a, b string) string {
	if user {
		return a
	}
	return b
}

func pickProfile(r *rand.Rand, s *School, kind string) int {
	var idx []int
	for i, p := range s.Profiles {
		if p.Kind == kind {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[r.IntN(len(idx))]
}
