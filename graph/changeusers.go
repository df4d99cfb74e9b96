package graph

import (
	"context"
	"fmt"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/user"
)

// fillUsernames gives every change of a page its account's username in one query.
// When a query selects fields of the change's account, entgql's field collection
// replaces the page's own eager load of the account with one that reads only those
// fields, so the username is missing unless the query asked for it there too.
func fillUsernames(ctx context.Context, c *ent.Client, conn *ent.ChangeConnection) error {
	var missing []int
	for _, e := range conn.Edges {
		if u := e.Node.Edges.User; u != nil && u.Username == "" {
			missing = append(missing, u.ID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	users, err := c.User.Query().Where(user.IDIn(missing...)).Select(user.FieldUsername).All(ctx)
	if err != nil {
		return fmt.Errorf("usernames of a page of changes: %w", err)
	}
	names := make(map[int]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Username
	}
	for _, e := range conn.Edges {
		if u := e.Node.Edges.User; u != nil && u.Username == "" {
			u.Username = names[u.ID]
		}
	}
	return nil
}
