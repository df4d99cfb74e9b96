package command

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/demo"
	"github.com/provreport/provreport/internal/tenant"
)

func migrateCmd(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "migrate")
	dbURL := databaseFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintln(c.stderr, "migrations applied")
	return nil
}

func demoCmd(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "demo")
	dbURL := databaseFlag(fs)
	days := fs.Int("days", 90, "days of events to generate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := demo.Seed(ctx, db.Client, demo.Options{Days: *days, AdminPassword: env("PROVREPORT_DEMO_PASSWORD", "")})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "Demo school %q seeded: %d users, %d sync profiles, %d events.\n", res.Slug, res.Users, res.Profiles, res.Events)
	fmt.Fprintf(c.stderr, "Sign in at the dashboard: school %q, username \"admin\", password %s (shown once)\n", res.Slug, res.AdminPassword)
	fmt.Fprintf(c.stderr, "API token (reports:read, events:write), shown once:\n  %s\n", res.Token)
	return nil
}

func schoolCmd(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: provreport school create --slug SLUG --name NAME [--timezone TZ] [--locale TAG]")
	}
	fs := newFlags(c, "school create")
	dbURL := databaseFlag(fs)
	slug := fs.String("slug", "", "short unique name, used to sign in and in file names")
	name := fs.String("name", "", "the school's name")
	tz := fs.String("timezone", "Australia/Sydney", "IANA time zone")
	locale := fs.String("locale", "en-AU", "BCP 47 language tag whose thousands separators numbers use, e.g. en-US or de-DE")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *slug == "" || *name == "" {
		return errors.New("--slug and --name are required")
	}
	if _, err := time.LoadLocation(*tz); err != nil {
		return fmt.Errorf("--timezone %q is not an IANA time zone", *tz)
	}
	if _, err := language.Parse(*locale); err != nil {
		return fmt.Errorf("--locale %q is not a BCP 47 language tag (e.g. en-AU)", *locale)
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := db.Client.School.Create().SetSlug(*slug).SetName(*name).SetTimezone(*tz).SetLocale(*locale).Save(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("create school %q: %w", *slug, err)
	}
	fmt.Fprintf(c.stdout, "%d\n", s.ID)
	return nil
}

func tokenCmd(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: provreport token create --school SLUG --name NAME [--scope reports:read,events:write]")
	}
	fs := newFlags(c, "token create")
	dbURL := databaseFlag(fs)
	slug := fs.String("school", "", "the school's slug")
	name := fs.String("name", "", "what the token is for")
	scope := fs.String("scope", auth.ScopeReportsRead, "comma-separated scopes: "+strings.Join(auth.Scopes(), ", "))
	expires := fs.Duration("expires-in", 0, "lifetime, e.g. 720h; 0 never expires")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *slug == "" || *name == "" {
		return errors.New("--school and --name are required")
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
	var exp *time.Time
	if *expires > 0 {
		t := time.Now().Add(*expires).UTC()
		exp = &t
	}
	_, secret, err := auth.CreateToken(tenant.WithSchool(ctx, s.ID), db.Client, *name, splitList(*scope), exp, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, secret)
	return nil
}
