package report

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/predicate"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/usererr"
)

// UserPage says which page of SearchUsers' results to answer, as a Relay connection's
// arguments do: First users after After (paging forwards), or, when Last is above zero,
// the Last users before Before (paging backwards). After and Before are not given together.
type UserPage struct {
	First, Last   int
	After, Before *entgql.Cursor[int]
}

// SearchUsers is the "For User" typeahead: users whose username, display name or email
// contains search (case-insensitively), those that start with it first, then by
// username. Paging is by keyset on (rank, username, id), never by offset, in either
// direction. The total is counted only when withTotal is set: the count scans every
// match, which costs as much as the page itself, and a typeahead does not show it.
func SearchUsers(ctx context.Context, client *ent.Client, search string, page UserPage, withTotal bool) (*ent.UserConnection, error) {
	q := strings.ToLower(strings.TrimSpace(search))
	contains := "%" + escapeLike(q) + "%"
	prefix := escapeLike(q) + "%"
	rankExpr := "CASE WHEN LOWER(username) LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\' OR LOWER(email) LIKE ? ESCAPE '\\' THEN 0 ELSE 1 END"

	match := predicate.User(func(s *sql.Selector) {
		if q == "" {
			return
		}
		s.Where(sql.Or(
			sql.P(func(b *sql.Builder) { b.WriteString("LOWER(username) LIKE ").Arg(contains).WriteString(` ESCAPE '\'`) }),
			sql.P(func(b *sql.Builder) {
				b.WriteString("LOWER(display_name) LIKE ").Arg(contains).WriteString(` ESCAPE '\'`)
			}),
			sql.P(func(b *sql.Builder) { b.WriteString("LOWER(email) LIKE ").Arg(contains).WriteString(` ESCAPE '\'`) }),
		))
	})
	rank := func(b *sql.Builder) {
		if q == "" {
			b.WriteString("0")
			return
		}
		parts := strings.Split(rankExpr, "?")
		b.WriteString(parts[0]).Arg(prefix).WriteString(parts[1]).Arg(prefix).WriteString(parts[2]).Arg(prefix).WriteString(parts[3])
	}

	var total int
	if withTotal {
		n, err := client.User.Query().Where(match).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("count users matching %q: %w", search, err)
		}
		total = n
	}
	query := client.User.Query().Where(match)
	for _, bound := range []struct {
		name string
		c    *entgql.Cursor[int]
		op   string
	}{{"after", page.After, ">"}, {"before", page.Before, "<"}} {
		if bound.c == nil {
			continue
		}
		vals, ok := bound.c.Value.([]any)
		if !ok || len(vals) != 2 {
			return nil, usererr.BadInput(bound.name, "this cursor is not a users cursor")
		}
		r, ok1 := toInt(vals[0])
		name, ok2 := vals[1].(string)
		if !ok1 || !ok2 {
			return nil, usererr.BadInput(bound.name, "this cursor is not a users cursor")
		}
		id, op := bound.c.ID, bound.op
		query = query.Where(func(s *sql.Selector) {
			s.Where(sql.P(func(b *sql.Builder) {
				b.WriteString("(")
				rank(b)
				b.WriteString(", LOWER(username), ").Ident(s.C(user.FieldID)).WriteString(") " + op + " (").
					Arg(r).Comma().Arg(name).Comma().Arg(id).WriteString(")")
			}))
		})
	}
	// A backward page is read in reverse order from its end and turned around after.
	backward := page.Last > 0
	n, dir := page.First, ""
	if backward {
		n, dir = page.Last, " DESC"
	}
	users, err := query.Modify(func(s *sql.Selector) {
		// The rank is selected under an alias and ordered by it, because ORDER BY
		// expressions cannot carry bound arguments here.
		s.AppendSelectExprAs(sql.ExprFunc(rank), "search_rank")
		s.OrderExpr(sql.Expr("search_rank" + dir + ", LOWER(" + s.C(user.FieldUsername) + ")" + dir + ", " + s.C(user.FieldID) + dir))
		s.Limit(n + 1)
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("search users %q: %w", search, err)
	}
	conn := &ent.UserConnection{TotalCount: total}
	more := len(users) > n
	if more {
		users = users[:n]
	}
	if backward {
		slices.Reverse(users)
		conn.PageInfo.HasPreviousPage = more
		conn.PageInfo.HasNextPage = page.Before != nil
	} else {
		conn.PageInfo.HasNextPage = more
		conn.PageInfo.HasPreviousPage = page.After != nil
	}
	for _, u := range users {
		rk := 1
		if q == "" || hasPrefix(u, q) {
			rk = 0
		}
		c := entgql.Cursor[int]{ID: u.ID, Value: []any{rk, strings.ToLower(u.Username)}}
		conn.Edges = append(conn.Edges, &ent.UserEdge{Node: u, Cursor: c})
	}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn, nil
}

func hasPrefix(u *ent.User, q string) bool {
	return strings.HasPrefix(strings.ToLower(u.Username), q) ||
		strings.HasPrefix(strings.ToLower(u.DisplayName), q) ||
		strings.HasPrefix(strings.ToLower(u.Email), q)
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int8:
		return int(n), true
	case int16:
		return int(n), true
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	case uint8:
		return int(n), true
	case uint16:
		return int(n), true
	case uint32:
		return int(n), true
	case uint64:
		return int(n), true
	}
	return 0, false
}
