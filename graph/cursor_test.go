package graph

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/stretchr/testify/require"
)

// TestMarshalCursorAsEntgql: cursors a client holds must keep working, so MarshalCursor
// must write exactly what entgql writes, and read back to the same cursor.
func TestMarshalCursorAsEntgql(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("", 10*3600), time.FixedZone("x", -5*3600)}
	values := func() any {
		switch r.IntN(6) {
		case 0:
			return nil
		case 1:
			return "Ünïcödé " + string(rune('a'+r.IntN(26)))
		case 2:
			return r.Int64() - math.MaxInt64/2
		case 3:
			return time.Unix(r.Int64N(4e9), 0).In(zones[r.IntN(len(zones))])
		default:
			return time.Unix(r.Int64N(4e9), r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		}
	}
	ids := []int{0, 1, -1, 127, 128, 255, 256, 65535, 65536, math.MaxInt32, math.MaxInt32 + 1, math.MaxInt64, math.MinInt64}
	for i := range 500 {
		c := entgql.Cursor[int]{ID: r.Int(), Value: values()}
		if i < len(ids) {
			c.ID = ids[i]
		}
		var want, got bytes.Buffer
		c.MarshalGQL(&want)
		MarshalCursor(c).MarshalGQL(&got)
		require.Equal(t, want.String(), got.String(), "cursor %+v", c)

		back, err := UnmarshalCursor(got.String()[1 : got.Len()-1])
		require.NoError(t, err)
		require.Equal(t, c.ID, back.ID)
	}
	_, err := UnmarshalCursor("not a cursor!")
	require.Error(t, err)
}
