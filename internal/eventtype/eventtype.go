// Package eventtype is the provisioning event taxonomy: the event types a school's
// provisioning leaves behind, their display names (exactly as the product description
// spells them) and the shape of a CSV problem row. It is a leaf package so that the
// ent schema, the report rules and the CSV export can all share it.
package eventtype

// The event types, as stored and as GraphQL enum values.
const (
	AccountProvisioning          = "ACCOUNT_PROVISIONING"
	AccountSynchronization       = "ACCOUNT_SYNCHRONIZATION"
	GroupCSVFailed               = "GROUP_CSV_FAILED"
	GroupsCSVProcessedWithErrors = "GROUPS_CSV_PROCESSED_WITH_ERRORS"
	GroupsCSVProcessed           = "GROUPS_CSV_PROCESSED"
	SyncError                    = "SYNC_ERROR"
	UserCSVProcessed             = "USER_CSV_PROCESSED"
	UserCSVFailed                = "USER_CSV_FAILED"
	UserCSVProcessedWithErrors   = "USER_CSV_PROCESSED_WITH_ERRORS"
	Authentication               = "AUTHENTICATION"
	Authorisation                = "AUTHORISATION"
	AuthenticationFailed         = "AUTHENTICATION_FAILED"
)

// all keeps the product description's order, which is also the order the dashboard lists them in.
var all = []struct{ value, name, description string }{
	{AccountProvisioning, "Account Provisioning", "Provisioning Scripts started running."},
	{AccountSynchronization, "Account Synchronization", "An LDAP Sync Profile has been synced."},
	{GroupCSVFailed, "Group CSV Failed", "A Group CSV upload has failed."},
	{GroupsCSVProcessedWithErrors, "Groups CSV Processed With Errors", "A Group CSV was processed but has errors."},
	{GroupsCSVProcessed, "Groups CSV Processed", "A Group CSV upload was processed successfully."},
	{SyncError, "Sync Error", "An error occurred during a manual or automated sync."},
	{UserCSVProcessed, "User CSV Processed", "A User CSV upload was processed successfully."},
	{UserCSVFailed, "User CSV Failed", "A User CSV upload has failed."},
	{UserCSVProcessedWithErrors, "User CSV Processed With Errors", "A User CSV was processed but has errors."},
	{Authentication, "Authentication", "A user logged in for the first time."},
	{Authorisation, "Authorisation", "A user logged into a service."},
	{AuthenticationFailed, "Authentication Failed", "A login failed: bad username and/or password."},
}

// Values returns every event type in the product description's order.
func Values() []string {
	out := make([]string, len(all))
	for i, t := range all {
		out[i] = t.value
	}
	return out
}

// DisplayName returns the human name of an event type ("User CSV Processed With Errors"),
// or the value itself when it is unknown.
func DisplayName(t string) string {
	for _, e := range all {
		if e.value == t {
			return e.name
		}
	}
	return t
}

// Description says when an event of type t occurs.
func Description(t string) string {
	for _, e := range all {
		if e.value == t {
			return e.description
		}
	}
	return ""
}

// IsAuth reports whether t records a person's login rather than a provisioning run.
// Auth events carry a username and never a sync profile.
func IsAuth(t string) bool {
	return t == Authentication || t == Authorisation || t == AuthenticationFailed
}

// ProfileKind infers the sync profile kind (LDAP, USER_CSV, GROUP_CSV, SCRIPT) that an
// event of type t comes from, for profiles that agents name before anyone created them.
func ProfileKind(t string) string {
	switch t {
	case UserCSVProcessed, UserCSVFailed, UserCSVProcessedWithErrors:
		return "USER_CSV"
	case GroupsCSVProcessed, GroupCSVFailed, GroupsCSVProcessedWithErrors:
		return "GROUP_CSV"
	case AccountProvisioning:
		return "SCRIPT"
	default:
		return "LDAP"
	}
}

// Problem is one row-level problem of a CSV upload: the line of the file, the column
// and what was wrong with it.
type Problem struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// AttributeChange is one attribute of an account that a run changed: its name as the
// directory spells it (givenName, mail, memberOf) and its value before and after. Old is
// nil for an attribute the run set for the first time, New is nil for one it removed.
type AttributeChange struct {
	Name string  `json:"name"`
	Old  *string `json:"old,omitempty"`
	New  *string `json:"new,omitempty"`
}

// The actions a run can have taken on one account, as stored and as GraphQL enum values.
// Each is counted by the event count of the same name; Failed is counted by errors.
const (
	ActionAdded    = "ADDED"
	ActionUpdated  = "UPDATED"
	ActionDeleted  = "DELETED"
	ActionDisabled = "DISABLED"
	ActionFailed   = "FAILED"
)

// Actions returns every change action, in the order the event's counts are listed.
func Actions() []string {
	return []string{ActionAdded, ActionUpdated, ActionDeleted, ActionDisabled, ActionFailed}
}
