package report

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect/sql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/predicate"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/usererr"
)

// SearchUsers is the "For User" typeahead: users whose username, display name or email
// contains search (case-insensitively), those that start with it first, then by
// username. Paging is by keyset on (rank, username, id), never by offset. The total is
// counted only when withTotal is set: the count scans every match, which costs as much as
// the page itself, and a typeahead does not show it.
func SearchUsers(ctx context.Context, client *ent.Client, search string, first int, after *entgql.Cursor[int], withTotal bool) (*ent.UserConnection, error) {
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
	if after != nil {
		vals, ok := after.Value.([]any)
		if !ok || len(vals) != 2 {
			return nil, usererr.BadInput("after", "this cursor is not a users cursor")
		}
		r, ok1 := toInt(vals[0])
		name, ok2 := vals[1].(string)
		if !ok1 || !ok2 {
			return nil, usererr.BadInput("after", "this cursor is not a users cursor")
		}
		query = query.Where(func(s *sql.Selector) {
			s.Where(sql.P(func(b *sql.Builder) {
				b.WriteString("(")
				rank(b)
				b.WriteString(", LOWER(username), ").Ident(s.C(user.FieldID)).WriteString(") > (").
					Arg(r).Comma().Arg(name).Comma().Arg(after.ID).WriteString(")")
			}))
		})
	}
	users, err := query.Modify(func(s *sql.Selector) {
		// The rank is selected under an alias and ordered by it, because ORDER BY
		// expressions cannot carry bound arguments here.
		s.AppendSelectExprAs(sql.ExprFunc(rank), "search_rank")
		s.OrderExpr(sql.Expr("search_rank, LOWER(" + s.C(user.FieldUsername) + "), " + s.C(user.FieldID)))
		s.Limit(first + 1)
	}).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("search users %q: %w", search, err)
	}
	conn := &ent.UserConnection{TotalCount: total}
	if len(users) > first {
		conn.PageInfo.HasNextPage = true
		users = users[:first]
	}
	conn.PageInfo.HasPreviousPage = after != nil
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
