package command

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/ent/user"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/tenant"
)

func userCmd(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "set-password") {
		return errors.New("usage: provreport user create --school SLUG --username U --email E --role ADMIN|VIEWER\n" +
			"       provreport user set-password --school SLUG --username U\n" +
			"the password comes from PROVREPORT_PASSWORD or a prompt, never a flag")
	}
	create := args[0] == "create"
	fs := newFlags(c, "user "+args[0])
	dbURL := databaseFlag(fs)
	slug := fs.String("school", "", "the school's slug")
	username := fs.String("username", "", "the user's username")
	email := fs.String("email", "", "the user's email address (exports are sent to it)")
	name := fs.String("name", "", "display name (default: the username)")
	role := fs.String("role", "VIEWER", "ADMIN or VIEWER")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *slug == "" || *username == "" {
		return errors.New("--school and --username are required")
	}
	r := user.Role(strings.ToUpper(*role))
	if create && r != user.RoleADMIN && r != user.RoleVIEWER {
		return fmt.Errorf("--role must be ADMIN or VIEWER, not %q", *role)
	}
	password, err := readPassword(c)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := db.Client.School.Query().Where(school.Slug(*slug)).Only(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("school %q: %w", *slug, err)
	}
	sctx := tenant.WithSchool(ctx, s.ID)
	existing, err := db.Client.User.Query().Where(user.Username(*username)).Only(sctx)
	switch {
	case create && err == nil:
		// A directory account becomes a dashboard user.
		upd := db.Client.User.UpdateOne(existing).SetRole(r).SetPasswordHash(hash)
		if *email != "" {
			upd.SetEmail(*email)
		}
		if *name != "" {
			upd.SetDisplayName(*name)
		}
		if err := upd.Exec(sctx); err != nil {
			return fmt.Errorf("update user %q: %w", *username, err)
		}
	case create:
		dn := *name
		if dn == "" {
			dn = *username
		}
		if err := db.Client.User.Create().SetUsername(*username).SetEmail(*email).SetDisplayName(dn).
			SetRole(r).SetPasswordHash(hash).Exec(sctx); err != nil {
			return fmt.Errorf("create user %q: %w", *username, err)
		}
	case err != nil:
		return fmt.Errorf("user %q: %w", *username, err)
	default:
		if err := db.Client.User.UpdateOne(existing).SetPasswordHash(hash).Exec(sctx); err != nil {
			return fmt.Errorf("set password of %q: %w", *username, err)
		}
	}
	fmt.Fprintf(c.stderr, "user %q of school %q is ready to sign in\n", *username, *slug)
	return nil
}

// readPassword takes the password from PROVREPORT_PASSWORD, or asks for it: without
// echo on a terminal, as a line on standard input otherwise.
func readPassword(c *cli) (string, error) {
	if p := os.Getenv("PROVREPORT_PASSWORD"); p != "" {
		return p, nil
	}
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password: set PROVREPORT_PASSWORD or type it on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
