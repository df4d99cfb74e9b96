package report

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/usererr"
)

// MarshalCursor writes a page cursor as entgql encodes it; gqlgen.yml maps the Cursor
// scalar to this pair of functions.
func MarshalCursor(c ent.Cursor) graphql.Marshaler { return c }

// UnmarshalCursor decodes a page cursor a client sent. entgql's decoder (msgpack) panics
// on some malformed cursors instead of failing, and a cursor is input from anyone, so a
// panic is turned into the same typed error as any other malformed cursor.
func UnmarshalCursor(v any) (c ent.Cursor, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = ent.Cursor{}, usererr.BadInput("cursor", "is not a cursor this server gave")
		}
	}()
	if err := c.UnmarshalGQL(v); err != nil {
		return ent.Cursor{}, fmt.Errorf("cursor: %w", err)
	}
	return c, nil
}
