// Package command is provreport's command line: serve, migrate, demo and the
// administration of schools and API tokens. Every flag also reads an environment
// variable, named in its help.
package command

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// env is one flag's environment variable and default.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

type cmd struct {
	name  string
	usage string
	run   func(ctx context.Context, c *cli, args []string) error
}

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	logger         *slog.Logger
}

var commands = []cmd{
	{"serve", "serve [--addr 127.0.0.1:8080] [--database-url URL] [--demo]   serve the dashboard and API", serve},
	{"migrate", "migrate [--database-url URL]                            apply database migrations", migrateCmd},
	{"demo", "demo [--database-url URL] [--days 90]                   seed the demo school", demoCmd},
	{"school", "school create --slug SLUG --name NAME [--timezone TZ] [--locale TAG]   create a school", schoolCmd},
	{"user", "user create --school SLUG --username U --email E --role ADMIN|VIEWER   add a dashboard user\n  provreport user set-password --school SLUG --username U                   (password: PROVREPORT_PASSWORD or prompt)", userCmd},
	{"record", "record --school SLUG [FILE|-]                        record an NDJSON file of events (as POST /api/v1/events takes them)", recordCmd},
	{"token", "token create --school SLUG --name NAME [--scope S,S]   create an API token; prints it alone", tokenCmd},
	{"sso", "sso add|list|remove|rotate-key --school SLUG …             single sign-on providers (OpenID Connect) of a school", ssoCmd},
	{"schema", "schema                                                  print the GraphQL schema as clients see it", schemaCmd},
}

// Run runs the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, logger: newLogger(stderr, isTerminal(stdout), os.Getenv)}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		c.usage()
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, k := range commands {
		if k.name == args[0] {
			if err := k.run(ctx, c, args[1:]); err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return 0
				}
				fmt.Fprintf(stderr, "provreport %s: %v\n", k.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(stderr, "provreport: unknown command %q\n", args[0])
	c.usage()
	return 2
}

func (c *cli) usage() {
	fmt.Fprintln(c.stderr, "usage: provreport COMMAND [flags]\n\ncommands:")
	for _, k := range commands {
		fmt.Fprintln(c.stderr, "  provreport "+k.usage)
	}
	fmt.Fprintln(c.stderr, "\nRun provreport COMMAND -h for its flags and environment variables.")
}

// newLogger writes to w. By default a server run in production logs JSON at info, one
// line per request; run by a person at a terminal (stdout is one, as with `make run`)
// it logs only warnings and errors, as text, so the sign-in notice stays readable.
// PROVREPORT_LOG_FORMAT (json, text) and PROVREPORT_LOG_LEVEL (debug, info, warn,
// error) override either default.
func newLogger(w io.Writer, terminal bool, getenv func(string) string) *slog.Logger {
	level, format := slog.LevelInfo, "json"
	if terminal {
		level, format = slog.LevelWarn, "text"
	}
	switch strings.ToLower(getenv("PROVREPORT_LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	switch strings.ToLower(getenv("PROVREPORT_LOG_FORMAT")) {
	case "text":
		format = "text"
	case "json":
		format = "json"
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// isTerminal reports whether w is a terminal (a character device), as stdout is when a
// person runs the server by hand.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newFlags(c *cli, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("provreport "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

func databaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database-url", env("DATABASE_URL", "sqlite:data/provreport.db"),
		"database: sqlite:PATH or postgres://… (env DATABASE_URL)")
}
