package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
)

// readPage runs the event list's statement (ent renders it, loadWithPeople shapes it)
// through pgx and reads its rows into typed values. Through ent, the rows pass through
// database/sql, which converts every value to a driver value and back by reflection,
// and through ent's struct scanner, which maps and sets every column by reflection: a
// third of the server's CPU for a first-time page of 50 events (docs/BENCHMARKS.md,
// change 19). The events it returns are what ent's path returns: plain values, their
// user and profile set from the joined columns.
//
// It reads through the pool, outside any transaction: the event list is the only query
// WithPeople marks, and it is never run in one.
func readPage(ctx context.Context, pool *pgxpool.Pool, query string, args []any, limit int) ([]*ent.Event, error) {
	rows, err := pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("events with users and profiles: %w", err)
	}
	defer rows.Close()
	var r pageRow
	fds := rows.FieldDescriptions()
	dest := make([]any, len(fds))
	for i, fd := range fds {
		if dest[i] = r.dest(fd.Name); dest[i] == nil {
			return nil, fmt.Errorf("events with users and profiles: unexpected column %q", fd.Name)
		}
	}
	out := make([]*ent.Event, 0, max(limit, 0))
	for rows.Next() {
		r = pageRow{}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("events with users and profiles: %w", err)
		}
		e, err := r.event()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events with users and profiles: %w", err)
	}
	return out, nil
}

// pageRow is one row of the page statement. Columns the statement does not select stay
// zero, as ent leaves the fields of unselected columns.
type pageRow struct {
	id, schoolID                                       int64
	processed, added, updated, deleted, disabled, errs int64
	typ, details                                       string
	started, finished, recorded                        time.Time
	problems                                           []byte
	service, externalID                                pgtype.Text
	userID, profileID                                  pgtype.Int8
	uID, uSchool, pID, pSchool                         pgtype.Int8
	uCreated, pCreated                                 pgtype.Timestamptz
	uName, uDisplay, uEmail, uRole, pName, pKind       pgtype.Text
}

// dest is where the column named name is read into, or nil for a column the page
// statement never selects.
func (r *pageRow) dest(name string) any {
	switch name {
	case event.FieldID:
		return &r.id
	case event.FieldSchoolID:
		return &r.schoolID
	case event.FieldType:
		return &r.typ
	case event.FieldDateStarted:
		return &r.started
	case event.FieldDateFinished:
		return &r.finished
	case event.FieldRecordedAt:
		return &r.recorded
	case event.FieldProcessed:
		return &r.processed
	case event.FieldAdded:
		return &r.added
	case event.FieldUpdated:
		return &r.updated
	case event.FieldDeleted:
		return &r.deleted
	case event.FieldDisabled:
		return &r.disabled
	case event.FieldErrors:
		return &r.errs
	case event.FieldDetails:
		return &r.details
	case event.FieldProblems:
		return &r.problems
	case event.FieldService:
		return &r.service
	case event.FieldExternalID:
		return &r.externalID
	case event.FieldUserID:
		return &r.userID
	case event.FieldSyncProfileID:
		return &r.profileID
	case userAlias + "_" + user.FieldID:
		return &r.uID
	case userAlias + "_" + user.FieldSchoolID:
		return &r.uSchool
	case userAlias + "_" + user.FieldCreateTime:
		return &r.uCreated
	case userAlias + "_" + user.FieldUsername:
		return &r.uName
	case userAlias + "_" + user.FieldDisplayName:
		return &r.uDisplay
	case userAlias + "_" + user.FieldEmail:
		return &r.uEmail
	case userAlias + "_" + user.FieldRole:
		return &r.uRole
	case profileAlias + "_" + syncprofile.FieldID:
		return &r.pID
	case profileAlias + "_" + syncprofile.FieldSchoolID:
		return &r.pSchool
	case profileAlias + "_" + syncprofile.FieldCreateTime:
		return &r.pCreated
	case profileAlias + "_" + syncprofile.FieldName:
		return &r.pName
	case profileAlias + "_" + syncprofile.FieldKind:
		return &r.pKind
	}
	return nil
}

// event is the row as ent's generated assignValues would set it, with its user and
// profile attached as loadWithPeople's ent path attaches them.
func (r *pageRow) event() (*ent.Event, error) {
	e := &ent.Event{
		ID: int(r.id), SchoolID: int(r.schoolID), Type: event.Type(r.typ),
		DateStarted: r.started, DateFinished: r.finished, RecordedAt: r.recorded,
		Processed: int(r.processed), Added: int(r.added), Updated: int(r.updated),
		Deleted: int(r.deleted), Disabled: int(r.disabled), Errors: int(r.errs),
		Details: r.details, Service: text(r.service), ExternalID: text(r.externalID),
		UserID: integer(r.userID), SyncProfileID: integer(r.profileID),
	}
	if len(r.problems) > 0 {
		if err := json.Unmarshal(r.problems, &e.Problems); err != nil {
			return nil, fmt.Errorf("event %d: unmarshal field problems: %w", e.ID, err)
		}
	}
	if r.uID.Valid {
		e.Edges.User = &ent.User{
			ID: int(r.uID.Int64), SchoolID: int(r.uSchool.Int64), CreateTime: r.uCreated.Time,
			Username: r.uName.String, DisplayName: r.uDisplay.String, Email: r.uEmail.String,
			Role: user.Role(r.uRole.String),
		}
	}
	if r.pID.Valid {
		e.Edges.SyncProfile = &ent.SyncProfile{
			ID: int(r.pID.Int64), SchoolID: int(r.pSchool.Int64), CreateTime: r.pCreated.Time,
			Name: r.pName.String, Kind: syncprofile.Kind(r.pKind.String),
		}
	}
	return e, nil
}

func text(t pgtype.Text) *string {
	if !t.Valid {
		return nil
	}
	return &t.String
}

func integer(n pgtype.Int8) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}
