package store

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// FullHold is how long after a write failed for lack of space the database is still
// reported full (StorageFull) unless a write succeeds first. It keeps /readyz at 503 while
// writes fail, and lets a load balancer that stopped sending traffic try again after it.
const FullHold = 30 * time.Second

// IsStorageFull reports whether err says the database had no room to write: SQLite's
// SQLITE_FULL (the disk or the file system is full) or PostgreSQL's disk_full (SQLSTATE
// 53100).
func IsStorageFull(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_FULL
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "53100"
	}
	return false
}

// NoteWrite records how a write ended: a failure for lack of space marks the database
// full (StorageFull), and a success clears that mark. Other errors change nothing.
func (d *DB) NoteWrite(err error) {
	switch {
	case err == nil:
		d.fullAt.Store(0)
	case IsStorageFull(err):
		d.fullAt.Store(time.Now().UnixNano())
	}
}

// StorageFull reports whether a write failed for lack of space within FullHold and no
// write has succeeded since.
func (d *DB) StorageFull() bool {
	at := d.fullAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < FullHold
}
