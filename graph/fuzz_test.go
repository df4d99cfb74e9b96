package graph_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/ingest"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// FuzzGlobalID decodes arbitrary GraphQL ID values as node(id:) does and resolves them
// in school A of a database where school B has an event, a user, a sync profile and a
// token: decoding must fail cleanly or give an ID, and resolving must either find
// nothing or find a node of A with exactly that ID; never one of B's rows. The starting
// corpus is in testdata/fuzz/FuzzGlobalID.
func FuzzGlobalID(f *testing.F) {
	db := testdb.Open(f, "sqlite")
	ctx := context.Background()
	var schools [2]*ent.School
	owner := map[int]int{} // node ID -> school ID
	for i, slug := range []string{"a", "b"} {
		sc, err := db.Client.School.Create().SetSlug(slug).SetName(slug).SetTimezone("UTC").Save(tenant.System(ctx))
		if err != nil {
			f.Fatal(err)
		}
		schools[i] = sc
		owner[sc.ID] = sc.ID
		name, user, at := "LDAP", "shared", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		evs, err := ingest.NewRecorder(db).Record(tenant.WithSchool(ctx, sc.ID), []*ingest.Input{
			{Type: "SYNC_ERROR", SyncProfile: &name, Username: &user, StartedAt: at, FinishedAt: at}})
		if err != nil {
			f.Fatal(err)
		}
		e := evs[0]
		owner[e.ID] = sc.ID
		owner[*e.SyncProfileID] = sc.ID
		owner[*e.UserID] = sc.ID
		tok, _ := apitest.CreateToken(f, db.Client, sc.ID, "reports:read")
		owner[tok.ID] = sc.ID
		for id := range owner {
			f.Add(apitest.ID(id))
		}
	}
	f.Add("")
	f.Add("-1")
	f.Add("4294967296")
	f.Add("9223372036854775807")
	f.Add("1e3")
	f.Add(" 7")
	a := tenant.WithSchool(ctx, schools[0].ID)
	f.Fuzz(func(t *testing.T, raw string) {
		// The value arrives as a JSON string or number; both decode through IntID.
		for _, v := range []any{raw, json.Number(raw)} {
			id, err := graphql.UnmarshalIntID(v)
			if err != nil {
				continue
			}
			n, err := db.Client.Noder(a, id)
			if err != nil {
				continue
			}
			if got := nodeID(n); got != id {
				t.Fatalf("ID %d resolved to node %d", id, got)
			}
			if s, ok := owner[id]; ok && s != schools[0].ID {
				t.Fatalf("school A resolved school B's node %d (%T)", id, n)
			}
		}
	})
}

// nodeID is a resolved node's ID.
func nodeID(n ent.Noder) int {
	switch n := n.(type) {
	case *ent.Event:
		return n.ID
	case *ent.User:
		return n.ID
	case *ent.SyncProfile:
		return n.ID
	case *ent.School:
		return n.ID
	case *ent.APIToken:
		return n.ID
	case *ent.Export:
		return n.ID
	}
	return -1
}
