// Package testbin builds the provreport binary once per test process and runs it as a
// real server process, for tests of restarts, crashes and several replicas.
package testbin

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Build returns the path of a provreport binary built from this module. With
// PROVREPORT_BIN set (as make test does) that binary is used instead.
func Build(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("PROVREPORT_BIN"); p != "" {
			binPath = p
			return
		}
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		dir, err := os.MkdirTemp("", "provreport-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "provreport")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/provreport")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Run runs a provreport command to completion and returns its standard output.
func Run(t testing.TB, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Build(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("provreport %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// Proc is a running `provreport serve`.
type Proc struct {
	// URL is the server's base URL.
	URL  string
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// Serve starts `provreport serve --addr 127.0.0.1:0` with env and extra args and waits
// until it listens. The process is killed when the test ends.
func Serve(t testing.TB, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(Build(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	// Events are kept forever unless env says otherwise (the last value of a key wins):
	// the retention job runs at start on the real clock, and would delete a test's
	// fixed-date events once they are a year old.
	cmd.Env = append(append(os.Environ(), "PROVREPORT_RETENTION_DAYS=0"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &Proc{cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout = p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.log.WriteString(line + "\n")
			if m := listening.FindStringSubmatch(line); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.Kill() })
	select {
	case p.URL = <-urls:
	case <-p.done:
		t.Fatalf("provreport serve exited before listening:\n%s", p.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("provreport serve did not listen within 60s:\n%s", p.log.String())
	}
	return p
}

// Kill kills the process at once (SIGKILL), as a crash would.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Terminate sends SIGTERM and waits for the process to exit or ctx to end.
func (p *Proc) Terminate(ctx context.Context) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExitCode is the process's exit code once it has exited.
func (p *Proc) ExitCode() int { return p.cmd.ProcessState.ExitCode() }

// Log returns what the process has written so far.
func (p *Proc) Log() string { return p.log.String() }

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(b)
}

func (s *syncBuffer) WriteString(str string) {
	s.mu.Lock()
	s.b.WriteString(str)
	s.mu.Unlock()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// PID is the server process's ID, for reading its memory from /proc.
func (p *Proc) PID() int { return p.cmd.Process.Pid }
