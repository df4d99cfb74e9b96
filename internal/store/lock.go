package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofrs/flock"
)

// ErrInUse is returned by LockServer when another process already serves the SQLite
// database.
var ErrInUse = errors.New("database already served by another process")

// LockServer makes sure this process is the only server of a SQLite database. Live
// delivery on SQLite fans events out in the memory of one process, so a second server
// on the same file would start, but its subscribers would never see events recorded
// through the first (nor the first's through it). LockServer takes an exclusive lock on
// the file PATH.lock beside the database (flock(2), released by the kernel when the
// process ends, however it ends) and returns ErrInUse, naming both files, when another
// process holds it. Command-line tools (migrate, user, token) do not take it, so they
// keep working beside a running server. On PostgreSQL, where any number of replicas
// share live delivery through LISTEN/NOTIFY, it does nothing.
//
// The returned function releases the lock.
func LockServer(url string) (release func() error, err error) {
	if url == "" {
		url = DefaultURL
	}
	if !strings.HasPrefix(url, "sqlite:") {
		return func() error { return nil }, nil
	}
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	if err := mkdirFor(path); err != nil {
		return nil, err
	}
	l := flock.New(path + ".lock")
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", l.Path(), err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: another provreport serve holds %s; SQLite is served by one process "+
			"(stop the other one first, or use PostgreSQL to run several replicas): %s", ErrInUse, l.Path(), path)
	}
	return l.Unlock, nil
}
