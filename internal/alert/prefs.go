package alert

import (
	"context"
	"fmt"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/usererr"
)

// preference names one of a user's alert choices.
type preference int

const (
	prefFlagged preference = iota
	prefFailing
	prefQuiet
	prefDigest
)

// Preferences are a user's alert choices, with the role's defaults filled in.
type Preferences struct {
	FlaggedRuns    bool
	ProfileFailing bool
	ProfileQuiet   bool
	DailyDigest    bool
}

// PreferencesOf returns u's choices: what the user chose, and otherwise the role's
// default (everything for admins, nothing for viewers). Users without dashboard
// access get nothing whatever is stored.
func PreferencesOf(u *ent.User) Preferences {
	def := u.Role == user.RoleADMIN
	pick := func(v *bool) bool {
		if u.Role == user.RoleNONE {
			return false
		}
		if v != nil {
			return *v
		}
		return def
	}
	return Preferences{FlaggedRuns: pick(u.AlertFlaggedRuns), ProfileFailing: pick(u.AlertFailing),
		ProfileQuiet: pick(u.AlertQuiet), DailyDigest: pick(u.AlertDigest)}
}

func (p Preferences) has(pref preference) bool {
	switch pref {
	case prefFlagged:
		return p.FlaggedRuns
	case prefFailing:
		return p.ProfileFailing
	case prefQuiet:
		return p.ProfileQuiet
	case prefDigest:
		return p.DailyDigest
	}
	return false
}

// Change is a change of alert choices; nil fields keep their value.
type Change struct {
	FlaggedRuns, ProfileFailing, ProfileQuiet, DailyDigest *bool
}

// ErrNotAUser answers API tokens, which have no alert choices.
var ErrNotAUser = usererr.Forbiddenf("alert preferences belong to a signed-in dashboard user; API tokens have none")

// ErrNotYours answers a user asking for someone else's alert choices.
var ErrNotYours = usererr.Forbiddenf("only the user themself may see their alert preferences")

// Read returns the alert choices of user u as the caller may see them: only its own.
func Read(ctx context.Context, u *ent.User) (Preferences, error) {
	v, ok := auth.FromContext(ctx)
	if !ok {
		return Preferences{}, usererr.Unauthenticatedf("sign in to see alert preferences")
	}
	if v.UserID == 0 {
		return Preferences{}, ErrNotAUser
	}
	if v.UserID != u.ID {
		return Preferences{}, ErrNotYours
	}
	return PreferencesOf(u), nil
}

// Update changes the signed-in caller's alert choices and returns them.
func Update(ctx context.Context, client *ent.Client, c Change) (Preferences, error) {
	v, ok := auth.FromContext(ctx)
	if !ok {
		return Preferences{}, usererr.Unauthenticatedf("sign in to change alert preferences")
	}
	if v.UserID == 0 {
		return Preferences{}, ErrNotAUser
	}
	upd := client.User.UpdateOneID(v.UserID)
	if c.FlaggedRuns != nil {
		upd.SetAlertFlaggedRuns(*c.FlaggedRuns)
	}
	if c.ProfileFailing != nil {
		upd.SetAlertFailing(*c.ProfileFailing)
	}
	if c.ProfileQuiet != nil {
		upd.SetAlertQuiet(*c.ProfileQuiet)
	}
	if c.DailyDigest != nil {
		upd.SetAlertDigest(*c.DailyDigest)
	}
	u, err := upd.Save(ctx)
	if ent.IsNotFound(err) {
		return Preferences{}, usererr.Unauthenticatedf("the signed-in user no longer exists")
	}
	if err != nil {
		return Preferences{}, fmt.Errorf("update alert preferences: %w", err)
	}
	return PreferencesOf(u), nil
}

// recipients are the school's dashboard users with an email address who want alerts
// of kind pref.
func recipients(ctx context.Context, client *ent.Client, schoolID int, pref preference) ([]*ent.User, error) {
	users, err := client.User.Query().
		Where(user.SchoolID(schoolID), user.RoleIn(user.RoleADMIN, user.RoleVIEWER), user.EmailNEQ("")).
		All(tenant.WithSchool(ctx, schoolID))
	if err != nil {
		return nil, fmt.Errorf("alert recipients: %w", err)
	}
	out := users[:0]
	for _, u := range users {
		if PreferencesOf(u).has(pref) {
			out = append(out, u)
		}
	}
	return out, nil
}
