package server

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
)

// A long-lived connection (a websocket, or a Server-Sent Events stream) is
// authenticated when it opens, but a credential can end while it stays open: a sign-out,
// a session's idle or lifetime limit, a revoked or expired token, a user set to role
// NONE. Every replica therefore reads the credentials of all its open connections again
// from the database every few seconds (one batch of queries per replica, however many
// connections), and ends the connections whose credential has ended. The database is
// what the replicas share, so a sign-out on one replica closes the connections on all of
// them within one interval, with nothing new to run. A websocket also reads its
// credential again before each operation it is sent.

// liveKind tells a websocket from an event stream: they end differently.
type liveKind int

const (
	liveWebsocket liveKind = iota
	liveSSE
)

// liveConn is one open websocket or event stream.
type liveConn struct {
	kind liveKind
	// live is the caller; nil until a websocket's connection_init is accepted.
	live *auth.Live
	// cancel ends the connection's context.
	cancel context.CancelFunc
	// forbidden is set when the connection ends because its credential did: a websocket
	// then closes with 4403 rather than a normal close.
	forbidden atomic.Bool
	// closed, when set, counts a websocket as closed in the open-connections gauge.
	closed func()
}

type liveConnKey struct{}

func liveConnFrom(ctx context.Context) *liveConn {
	lc, _ := ctx.Value(liveConnKey{}).(*liveConn)
	return lc
}

// sseGrace is how long an event stream whose credential ended is left to send its last
// error before the stream is cut.
const sseGrace = time.Second

// end ends the connection because its credential has ended. A websocket closes at once
// with 4403; an event stream's subscriptions send an UNAUTHENTICATED error and complete,
// and the stream is cut after sseGrace at the latest.
func (lc *liveConn) end() {
	lc.forbidden.Store(true)
	if lc.live != nil {
		lc.live.End()
	}
	if lc.kind == liveSSE {
		time.AfterFunc(sseGrace, lc.cancel)
		return
	}
	lc.cancel()
}

// liveConns is the replica's register of open long-lived connections.
type liveConns struct {
	client *ent.Client
	logger *slog.Logger
	every  time.Duration

	mu    sync.Mutex
	conns map[*liveConn]struct{}
	stop  context.CancelFunc
	done  chan struct{}
}

func newLiveConns(client *ent.Client, logger *slog.Logger, every time.Duration) *liveConns {
	return &liveConns{client: client, logger: logger, every: every, conns: map[*liveConn]struct{}{}}
}

// add registers an authenticated connection; the returned function removes it.
func (r *liveConns) add(lc *liveConn) func() {
	r.mu.Lock()
	r.conns[lc] = struct{}{}
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		delete(r.conns, lc)
		r.mu.Unlock()
	}
}

// start runs the periodic check until stopped.
func (r *liveConns) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.done = cancel, make(chan struct{})
	go r.run(ctx, r.done)
}

// halt stops the periodic check and waits for it.
func (r *liveConns) halt() {
	r.mu.Lock()
	stop, done := r.stop, r.done
	r.stop, r.done = nil, nil
	r.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

func (r *liveConns) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(r.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.check(ctx); err != nil && ctx.Err() == nil {
			// The connections stay open: a database that cannot be read says nothing
			// about the credentials, and the next interval tries again.
			r.logger.WarnContext(ctx, "check credentials of live connections", "err", err)
		}
	}
}

// check reads the credential of every open connection and ends those that have ended.
func (r *liveConns) check(ctx context.Context) error {
	r.mu.Lock()
	conns := make([]*liveConn, 0, len(r.conns))
	for lc := range r.conns {
		conns = append(conns, lc)
	}
	r.mu.Unlock()
	if len(conns) == 0 {
		return nil
	}
	creds := make([]auth.Credential, len(conns))
	for i, lc := range conns {
		creds[i] = lc.live.Credential
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	viewers, err := auth.Current(ctx, r.client, creds)
	if err != nil {
		return err
	}
	for i, lc := range conns {
		if viewers[i] == nil {
			lc.end()
			continue
		}
		lc.live.Update(viewers[i])
	}
	return nil
}

// recheck reads one connection's credential now, before an operation runs on it, and
// ends the connection when the credential has ended.
func (r *liveConns) recheck(ctx context.Context, lc *liveConn) (bool, error) {
	viewers, err := auth.Current(ctx, r.client, []auth.Credential{lc.live.Credential})
	if err != nil {
		return false, err
	}
	if viewers[0] == nil {
		lc.end()
		return false, nil
	}
	lc.live.Update(viewers[0])
	return true, nil
}
