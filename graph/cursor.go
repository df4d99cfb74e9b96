package graph

import (
	"encoding/base64"
	"io"

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
	return graphql.WriterFunc(func(w io.Writer) {
		b, err := msgpack.Marshal(c)
		if err != nil {
			// entgql writes what it has; a cursor of an int and a scalar cannot fail.
			c.MarshalGQL(w)
			return
		}
		out := make([]byte, 0, base64.RawStdEncoding.EncodedLen(len(b))+2)
		out = append(out, '"')
		out = base64.RawStdEncoding.AppendEncode(out, b)
		out = append(out, '"')
		_, _ = w.Write(out)
	})
}

// UnmarshalCursor reads a cursor as entgql does.
func UnmarshalCursor(v any) (entgql.Cursor[int], error) {
	var c entgql.Cursor[int]
	err := c.UnmarshalGQL(v)
	return c, err
}
