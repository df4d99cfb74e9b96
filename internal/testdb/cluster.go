package testdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/provreport/provreport/internal/queue"
	"github.com/provreport/provreport/internal/store"
)

// Cluster is a private PostgreSQL server that one test starts, stops and restarts with
// the installed server's initdb and pg_ctl, on a free port in a temporary folder. Tests
// of database faults use it so that they never restart the shared server named by
// PROVREPORT_TEST_POSTGRES.
type Cluster struct {
	// URL reaches the cluster's postgres database as the postgres superuser.
	URL string

	bin, dir, data string
	port           int
	// runAs is the operating-system user the server runs as ("" for this process's);
	// initdb refuses to run as root.
	runAs string
}

// StartCluster initialises and starts a private cluster, stopped and removed when the
// test ends. It needs PostgreSQL's server binaries (/usr/lib/postgresql/*/bin or PATH);
// without them it skips when PROVREPORT_TEST_POSTGRES is unset and fails when it is set,
// so that a machine meant to test PostgreSQL cannot silently leave these tests out.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := serverBin()
	if bin == "" {
		if os.Getenv(EnvPostgres) == "" {
			t.Skip("no PostgreSQL server binaries (initdb, pg_ctl) installed")
		}
		t.Fatalf("%s is set but no PostgreSQL server binaries (initdb, pg_ctl) were found under /usr/lib/postgresql/*/bin or in PATH", EnvPostgres)
	}
	dir, err := os.MkdirTemp("", "provreport-pg-")
	if err != nil {
		t.Fatalf("cluster folder: %v", err)
	}
	c := &Cluster{bin: bin, dir: dir, data: filepath.Join(dir, "data"), port: freePort(t)}
	t.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("initdb refuses root and there is no postgres user to run it as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("give the cluster folder to postgres: %v", err)
		}
		c.runAs = "postgres"
	}
	if out, err := c.command(filepath.Join(bin, "initdb"), "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.Start(t)
	return c
}

// Start starts the cluster and waits until it accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if err := c.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(c.dir, "log"), "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		t.Fatalf("start cluster: %v\n%s", err, log)
	}
}

// Stop shuts the cluster down the way a restart does (fast: connections are cut and
// open transactions rolled back) and waits until it is down.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if err := c.pgctl("stop", "-w", "-m", "fast"); err != nil {
		t.Fatalf("stop cluster: %v", err)
	}
}

func (c *Cluster) pgctl(args ...string) error {
	out, err := c.command(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", args[0], err, out)
	}
	return nil
}

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	if c.runAs != "" {
		return exec.Command("runuser", append([]string{"-u", c.runAs, "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// serverBin finds the folder of initdb and pg_ctl: the newest /usr/lib/postgresql/N/bin
// (Debian's layout), else wherever PATH has pg_ctl.
func serverBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p)
		}
	}
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Open opens the cluster's database, migrated, closed when the test ends. Each call
// opens its own pools, as each server replica has.
func (c *Cluster) Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), c.URL)
	if err != nil {
		t.Fatalf("open cluster database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate cluster database: %v", err)
	}
	if err := queue.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate job queue of cluster database: %v", err)
	}
	return db
}
