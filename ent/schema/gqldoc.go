package schema

// GraphQLDescriptions describes, for third-party developers, the parts of the GraphQL
// schema that entgql generates without a place for a comment: the types themselves,
// their IDs, the enums of enum fields and their values, and the ordering inputs.
// Fields and edges are described with .Comment in this package instead. ent/entc.go
// applies the table through a schema hook and fails the generation when a key names
// nothing, so the table cannot drift from the schema.
//
// Keys are "Type", "Type.field" or "Enum.VALUE".
var GraphQLDescriptions = map[string]string{
	"Query":          "Everything a caller can read: the provisioning report, its summary, exports, users, sync profiles and API tokens of the caller's school.",
	"Query.node":     "Fetch any object by its global ID (the `id` of an Event, Export, User, SyncProfile, School or APIToken); null when it does not exist or belongs to another school.",
	"Query.nodes":    "Fetch several objects by their global IDs, in the order given; an entry is null where `node` would be null.",
	"Cursor":         "An opaque position in a list, taken from an edge's `cursor` or from `pageInfo` and passed back as `after` or `before`. Its content may change between versions: never build or parse one.",
	"PageInfo":       "Where a page sits in its list, and the cursors to fetch the pages before and after it, as the Relay connection specification defines.",
	"Node":           "An object with a global ID, which `node(id:)` and `nodes(ids:)` fetch again.",
	"Node.id":        "The object's global ID, unique across every type.",
	"OrderDirection": "The direction of a sort.",

	"APIToken":               "A credential that lets a provisioning agent or another tool call the API for one school, sent as `Authorization: Bearer <secret>`. Only a hash of its secret is kept.",
	"APIToken.createTime":    "When the token was created.",
	"Event":                  "One provisioning run (an LDAP sync, a User or Group CSV upload, the provisioning scripts) or one login, as a provisioning agent reported it.",
	"Export":                 "A request to download the provisioning report as CSV: a background job writes the file of the events the filter matched when it was requested, emails a link and keeps the file until it expires.",
	"School":                 "The school whose provisioning report the caller sees. Every other object belongs to exactly one school.",
	"School.createTime":      "When the school was set up on this server.",
	"SyncProfile":            "A source of provisioning runs: an LDAP sync profile, the User or Group CSV upload, or the provisioning scripts.",
	"SyncProfile.createTime": "When the sync profile was first seen.",
	"User":                   "A person of the school: a directory account that provisioning creates and that logs into services (role NONE), or a dashboard user (ADMIN or VIEWER).",
	"User.createTime":        "When the user was first seen.",

	"EventOrder":                    "How to sort the provisioning report.",
	"EventOrder.direction":          "ASC for the earliest first, DESC for the latest first.",
	"EventOrder.field":              "What to sort by.",
	"EventOrderField":               "What the provisioning report can be sorted by.",
	"EventOrderField.DATE_FINISHED": "When the run or login finished (`finishedAt`); ties are broken by ID.",
	"ExportOrder":                   "How to sort exports.",
	"ExportOrder.direction":         "ASC for the oldest first, DESC for the newest first.",
	"ExportOrder.field":             "What to sort by.",
	"ExportOrderField":              "What exports can be sorted by.",
	"ExportOrderField.REQUESTED_AT": "When the export was requested (`requestedAt`); ties are broken by ID.",

	"ExportStatus":         "Where an export is in its life.",
	"ExportStatus.QUEUED":  "Waiting for a worker to start building the file.",
	"ExportStatus.RUNNING": "A worker is writing the file.",
	"ExportStatus.READY":   "The file can be downloaded from `downloadURL` until `expiresAt`.",
	"ExportStatus.FAILED":  "Building the file failed; `error` says why and `retryExport` starts it again.",
	"ExportStatus.EXPIRED": "The file was deleted after its link lifetime; `retryExport` builds it again.",

	"Change":                "What one run did to one account: added, updated, deleted, disabled it, or failed to, with the attributes it changed.",
	"ChangeAction":          "What a run did to one account.",
	"ChangeAction.ADDED":    "The run created the account; counted by the event's added.",
	"ChangeAction.UPDATED":  "The run changed attributes of the account; counted by updated.",
	"ChangeAction.DELETED":  "The run deleted the account; counted by deleted.",
	"ChangeAction.DISABLED": "The run disabled the account; counted by disabled.",
	"ChangeAction.FAILED":   "The run failed to change the account; counted by errors, and message says why.",

	"Role":        "What a user may do on the dashboard.",
	"Role.ADMIN":  "Sees the report and manages API tokens and other users' roles.",
	"Role.VIEWER": "Sees the report and exports it.",
	"Role.NONE":   "A directory account only: cannot sign in to the dashboard.",

	"SyncProfileKind":           "What kind of source a sync profile is.",
	"SyncProfileKind.LDAP":      "A sync profile that reads a directory over LDAP.",
	"SyncProfileKind.USER_CSV":  "The User CSV upload.",
	"SyncProfileKind.GROUP_CSV": "The Group CSV upload.",
	"SyncProfileKind.SCRIPT":    "The provisioning scripts.",
}

// GraphQLDeprecations marks generated fields whose names break the schema's naming
// rule (instants end in "At") as deprecated, with the field to use instead. The fields
// keep working; keys are "Type.field".
var GraphQLDeprecations = map[string]string{
	"APIToken.createTime":    "Use createdAt.",
	"Event.dateFinished":     "Use finishedAt.",
	"Event.dateStarted":      "Use startedAt.",
	"School.createTime":      "Use createdAt.",
	"SyncProfile.createTime": "Use createdAt.",
	"User.createTime":        "Use createdAt.",
}
