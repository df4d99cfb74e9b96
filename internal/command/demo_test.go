package command

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/testdb"
)

// TestSecondDemoRunSaysHowToSignIn shows the first `serve --demo` prints the password and a
// second one on the same database, which seeds nothing, still says how to sign in: the
// school, the username, the command that sets a new password, and starting again.
func TestSecondDemoRunSaysHowToSignIn(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t, "sqlite")
	var first, second bytes.Buffer
	require.NoError(t, seedDemo(context.Background(), &first, db.Client, "sqlite:data/provreport.db"))
	require.Contains(t, first.String(), `username "admin", password `)
	require.NoError(t, seedDemo(context.Background(), &second, db.Client, "sqlite:data/provreport.db"))
	out := second.String()
	require.NotContains(t, out, "seeded")
	require.Contains(t, out, `school "demo", username "admin"`)
	require.Contains(t, out, "provreport user set-password --school demo --username admin\n")
	require.Contains(t, out, "delete the data/ folder")
	// Another database is named in the command, so it sets the password where it matters.
	var third bytes.Buffer
	require.NoError(t, seedDemo(context.Background(), &third, db.Client, "postgres://db.example/provreport"))
	require.Contains(t, third.String(), "--username admin --database-url postgres://db.example/provreport\n")
}
