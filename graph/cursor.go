package graph

import (
	"bytes"
	"encoding/base64"
	"io"
	"slices"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vmihailenco/msgpack/v5"
)

// MarshalCursor writes c as entgql's Cursor.MarshalGQL does, byte for byte (the
// unpadded base64 of its msgpack encoding, quoted), but with msgpack's pooled encoder
// and one buffer: entgql allocates a msgpack encoder and a base64 encoder with a 1 KiB
// buffer for every cursor, 51 of each for a page of events (5% of a page's allocation;
// docs/BENCHMARKS.md, change 14). gqlgen binds the Cursor scalar here (gqlgen.yml).
func MarshalCursor(c entgql.Cursor[int]) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) { _, _ = w.Write(appendCursor(nil, c)) })
}

// appendCursor appends c as MarshalCursor writes it; the event list's page writer
// appends its cursors with it.
func appendCursor(b []byte, c entgql.Cursor[int]) []byte {
	m, err := msgpack.Marshal(c)
	if err != nil {
		// entgql writes what it has; a cursor of an int and a scalar cannot fail.
		var buf bytes.Buffer
		c.MarshalGQL(&buf)
		return append(b, buf.Bytes()...)
	}
	b = slices.Grow(b, base64.RawStdEncoding.EncodedLen(len(m))+2)
	b = append(b, '"')
	b = base64.RawStdEncoding.AppendEncode(b, m)
	return append(b, '"')
}

// UnmarshalCursor reads a cursor as entgql does.
func UnmarshalCursor(v any) (entgql.Cursor[int], error) {
	var c entgql.Cursor[int]
	err := c.UnmarshalGQL(v)
	return c, err
}
