package report

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/ent/syncprofile"
	"github.com/provreport/provreport/ent/user"
)

// pageSource runs the event list's page statement: pool on PostgreSQL, drv (ent's
// driver) where pool is nil.
type pageSource struct {
	drv  dialect.Driver
	pool *pgxpool.Pool
}

// read runs the page statement (ent renders it, loadWithPeople shapes it) and reads its
// rows into typed values (readPage). On PostgreSQL it runs through pgx, which decodes
// into those values directly: through ent, the rows passed through database/sql, which
// converts every value to a driver value and back by reflection, and through ent's
// struct scanner, which maps and sets every column by reflection, a third of the
// server's CPU for a first-time page of 50 events (docs/BENCHMARKS.md, change 19).
//
// It reads outside any transaction: the event list is the only query WithPeople marks,
// and it is never run in one.
func (s pageSource) read(ctx context.Context, query string, args []any, limit int) ([]*ent.Event, error) {
	if s.pool != nil {
		rows, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("events with users and profiles: %w", err)
		}
		defer rows.Close()
		fds := rows.FieldDescriptions()
		cols := make([]string, len(fds))
		for i, fd := range fds {
			cols[i] = fd.Name
		}
		return readPage(rows, cols, limit)
	}
	var rows entsql.Rows
	if err := s.drv.Query(ctx, query, args, &rows); err != nil {
		return nil, fmt.Errorf("events with users and profiles: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("events with users and profiles: %w", err)
	}
	return readPage(&rows, cols, limit)
}

// pageRows is what readPage needs of a result, which pgx's rows and database/sql's both
// are.
type pageRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// readPage reads the page statement's rows, whose columns are cols, into events: what
// ent's own loading returns, as plain values, with each event's user and profile set
// from the joined columns.
func readPage(rows pageRows, cols []string, limit int) ([]*ent.Event, error) {
	var r pageRow
	dest := make([]any, len(cols))
	for i, c := range cols {
		if dest[i] = r.dest(c); dest[i] == nil {
			return nil, fmt.Errorf("events with users and profiles: unexpected column %q", c)
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
// zero, as ent leaves the fields of unselected columns. Its nullable values are pgtype's,
// which pgx decodes into directly and which database/sql scans into as well.
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
