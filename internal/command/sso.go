package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/provreport/provreport/ent/school"
	"github.com/provreport/provreport/ent/ssoprovider"
	"github.com/provreport/provreport/internal/secretkey"
	"github.com/provreport/provreport/internal/sso"
	"github.com/provreport/provreport/internal/tenant"
)

const ssoUsage = `usage: provreport sso add --school SLUG --name NAME --issuer URL --client-id ID [--client-secret-env VAR]
                       [--allowed-domains a.edu,b.edu] [--admin-group G] [--viewer-group G] [--default-role VIEWER|NONE]
       provreport sso list --school SLUG
       provreport sso remove --school SLUG --name NAME
       provreport sso rotate-key
client secrets are sealed with PROVREPORT_SECRET_KEY (32 random bytes, base64: openssl rand -base64 32) and never printed`

func ssoCmd(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		return errors.New(ssoUsage)
	}
	fs := newFlags(c, "sso "+args[0])
	dbURL := databaseFlag(fs)
	var slug *string
	if args[0] != "rotate-key" {
		slug = fs.String("school", "", "the school's slug")
	}
	var name, issuer, clientID, secretEnv, domains, adminGroup, viewerGroup, defaultRole *string
	switch args[0] {
	case "add":
		issuer = fs.String("issuer", "", "the provider's issuer URL, e.g. https://accounts.google.com")
		clientID = fs.String("client-id", "", "the client ID the provider gave this application")
		secretEnv = fs.String("client-secret-env", "", "the environment variable holding the client secret (never a flag, so it stays out of shell history)")
		domains = fs.String("allowed-domains", "", "comma-separated email domains that may sign in (default: all)")
		adminGroup = fs.String("admin-group", "", "the groups-claim value that makes a user ADMIN")
		viewerGroup = fs.String("viewer-group", "", "the groups-claim value that makes a user VIEWER")
		defaultRole = fs.String("default-role", "NONE", "the role of a user in neither group: VIEWER or NONE")
		fallthrough
	case "remove":
		name = fs.String("name", "", "the provider's name, shown on its sign-in button")
	case "list", "rotate-key":
	default:
		return errors.New(ssoUsage)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	keys, err := secretkey.Load(os.Getenv)
	if err != nil {
		return err
	}
	if args[0] == "add" && !keys.Configured() {
		return secretkey.ErrNoKey
	}
	if slug != nil && *slug == "" {
		return errors.New("--school is required")
	}
	db, err := openMigrated(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := &sso.Service{Client: db.Client, Keys: keys}
	if args[0] == "rotate-key" {
		n, err := svc.RotateKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "%d client secrets sealed again under PROVREPORT_SECRET_KEY; PROVREPORT_SECRET_KEY_PREVIOUS can now be removed\n", n)
		return nil
	}
	sc, err := db.Client.School.Query().Where(school.Slug(*slug)).Only(tenant.System(ctx))
	if err != nil {
		return fmt.Errorf("school %q: %w", *slug, err)
	}
	sctx := tenant.WithSchool(ctx, sc.ID)
	switch args[0] {
	case "add":
		in := sso.Input{Name: *name, Issuer: *issuer, ClientID: *clientID, AdminGroup: *adminGroup, ViewerGroup: *viewerGroup,
			DefaultRole: ssoprovider.DefaultRole(strings.ToUpper(*defaultRole))}
		if *domains != "" {
			in.AllowedDomains = strings.Split(*domains, ",")
		}
		if *secretEnv != "" {
			v, ok := os.LookupEnv(*secretEnv)
			if !ok || v == "" {
				return fmt.Errorf("--client-secret-env: %s is not set", *secretEnv)
			}
			in.ClientSecret = &v
		}
		p, err := svc.Add(sctx, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "provider %q (ID %d) added to school %q; register this redirect URI with it: %s/auth/oidc/callback\n",
			p.Name, p.ID, *slug, strings.TrimRight(env("PROVREPORT_PUBLIC_URL", "http://127.0.0.1:8080"), "/"))
	case "list":
		ps, err := svc.List(sctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tISSUER\tCLIENT ID\tSECRET\tDOMAINS\tADMIN GROUP\tVIEWER GROUP\tDEFAULT ROLE")
		for _, p := range ps {
			secret := "none"
			if p.ClientSecretSealed != "" {
				secret = "stored"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", strconv.Itoa(p.ID), p.Name, p.Issuer, p.ClientID, secret,
				dash(strings.Join(p.AllowedDomains, ",")), dash(p.AdminGroup), dash(p.ViewerGroup), p.DefaultRole)
		}
		return tw.Flush()
	case "remove":
		p, err := db.Client.SSOProvider.Query().Where(ssoprovider.Name(*name)).Only(sctx)
		if err != nil {
			return fmt.Errorf("provider %q of school %q: %w", *name, *slug, err)
		}
		if err := svc.Remove(sctx, sc.ID, p.ID); err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "provider %q removed from school %q\n", *name, *slug)
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
