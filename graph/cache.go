package graph

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/report"
)

// cacheableFields are the Query fields whose answers depend on nothing but the school's
// events, users and sync profiles (and the operation's variables), which is exactly what
// the school's data version follows. Every type reachable from them (Event, User, SyncProfile,
// School, Problem, summaries, connections) is such data too.
var cacheableFields = map[string]bool{
	"events":       true,
	"eventSummary": true,
	"users":        true,
	"syncProfiles": true,
	"__typename":   true,
}

// maxCachedResponse is the largest response kept: a page of 500 events is ~250 KB.
const maxCachedResponse = 512 << 10

// ReportCache answers a report query that was answered before from memory, as long as the
// school's data has not changed since. Dashboards and polling agents ask the same
// questions over and over, and executing a page of 50 events through gqlgen costs
// several times its SQL (docs/BENCHMARKS.md); a hit costs one indexed read of the
// school's data version instead.
//
// Correctness rests on the data version: the database's triggers bump it with every write
// of the school's events, users or sync profiles, in the writing transaction, and the
// version is read before the query runs, so a response is never older than the version
// it is stored under. Replicas each keep their own cache and all read the version from
// the shared database, so a write through one replica is seen by the next request on
// every replica.
type ReportCache struct {
	client  *ent.Client
	budget  int64
	mu      sync.Mutex
	size    int64
	entries *lru.Cache[cacheKeyOf, []byte]
	// schools holds, for each school with answers kept, the data version they were
	// answered at and their keys. Only the newest version a school has been seen at is
	// kept: once its version moves, no request can ask for an older one again, so its
	// answers are dropped at once instead of filling the budget until the LRU reaches
	// them. Under continuous ingestion the version moves with every batch, and without
	// this the cache held its whole budget of dead answers (and the heap several times
	// that, at the server's GOGC).
	schools map[int]*schoolAnswers
	hits    atomic.Int64
	misses  atomic.Int64
	shared  atomic.Int64
	// flights are the answers being computed, by key: a request that misses while
	// another computes the same key waits for that answer instead of computing it again.
	flights map[cacheKeyOf]*flight
}

// cacheKeyOf identifies an answer: the school, its data version and a digest of the
// operation and its variables.
type cacheKeyOf struct {
	school  int
	version int64
	op      [sha256.Size]byte
}

// schoolAnswers are the keys of a school's kept answers, all at one data version.
type schoolAnswers struct {
	version int64
	keys    map[cacheKeyOf]struct{}
}

// flight is one answer being computed; data is set, when the answer may be kept,
// before done is closed.
type flight struct {
	done chan struct{}
	data []byte
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*ReportCache)(nil)

// NewReportCache returns a cache holding at most budget bytes of responses.
func NewReportCache(client *ent.Client, budget int64) *ReportCache {
	c := &ReportCache{client: client, budget: budget, flights: map[cacheKeyOf]*flight{}, schools: map[int]*schoolAnswers{}}
	// The count bound is far above what the byte budget admits; bytes are what matter.
	// The callback runs under c.mu, as every call into entries does. A school's entry
	// stays when its last answer goes: at most one small entry per school.
	entries, err := lru.NewWithEvict(1<<20, func(k cacheKeyOf, v []byte) {
		c.size -= int64(len(v))
		if s := c.schools[k.school]; s != nil && s.version == k.version {
			delete(s.keys, k)
		}
	})
	if err != nil {
		panic(err) // only for a non-positive size
	}
	c.entries = entries
	return c
}

// ExtensionName implements graphql.HandlerExtension.
func (*ReportCache) ExtensionName() string { return "ReportCache" }

// Validate implements graphql.HandlerExtension.
func (*ReportCache) Validate(graphql.ExecutableSchema) error { return nil }

// Held returns how many answers the cache keeps and their bytes.
func (c *ReportCache) Held() (answers int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries.Len(), c.size
}

// Stats returns how many cacheable queries were answered from memory and how many ran.
// A query that waited for the same answer computed by a concurrent request counts as
// a hit.
func (c *ReportCache) Stats() (hits, misses int64) { return c.hits.Load(), c.misses.Load() }

// InterceptResponse answers from the cache or runs the operation and keeps its answer.
// Limits (depth, complexity) have been applied before this point; authorisation is
// checked here the way the resolvers would (reports:read), so a hit never bypasses it.
func (c *ReportCache) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query || !cacheable(oc.Operation.SelectionSet) ||
		selectsHealth(oc.Operation.SelectionSet) {
		return next(ctx)
	}
	v, ok := auth.FromContext(ctx)
	if !ok || !v.Has(auth.ScopeReportsRead) {
		return next(ctx)
	}
	version := v.DataVersion
	if !v.DataVersionKnown {
		var err error
		if version, err = report.DataVersion(ctx, c.client, v.SchoolID); err != nil {
			return next(ctx)
		}
	}
	key, ok := cacheKey(v.SchoolID, version, oc)
	if !ok {
		return next(ctx)
	}
	c.mu.Lock()
	data, hit := c.entries.Get(key)
	f, busy := c.flights[key]
	if !hit && !busy {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
	}
	c.mu.Unlock()
	if hit {
		c.hits.Add(1)
		return &graphql.Response{Data: data}
	}
	if busy {
		// Under continuous ingestion every batch moves the version, and the dashboards
		// of a school all miss at once on the same few pages: they wait for the one
		// answer being computed under the same key (same school, version, operation
		// and variables), which is exactly the answer they would compute.
		select {
		case <-f.done:
		case <-ctx.Done():
			return next(ctx)
		}
		if f.data != nil {
			c.hits.Add(1)
			c.shared.Add(1)
			return &graphql.Response{Data: f.data}
		}
		return next(ctx)
	}
	c.misses.Add(1)
	var resp *graphql.Response
	defer func() {
		c.mu.Lock()
		delete(c.flights, key)
		if resp != nil && len(resp.Errors) == 0 && len(resp.Extensions) == 0 && len(resp.Data) <= maxCachedResponse {
			f.data = resp.Data
			c.keep(key, resp.Data)
		}
		c.mu.Unlock()
		close(f.done)
	}()
	resp = next(ctx)
	return resp
}

// keep stores an answer under key, called with c.mu held. An answer at an older version
// than one already kept for its school is dead on arrival (the request read the version
// just before a write) and is not kept; one at a newer version drops the school's older
// answers first.
func (c *ReportCache) keep(key cacheKeyOf, data []byte) {
	s := c.schools[key.school]
	switch {
	case s != nil && key.version < s.version:
		return
	case s != nil && key.version > s.version:
		for k := range s.keys {
			c.entries.Remove(k) // the eviction callback forgets it in s.keys
		}
		s.version = key.version
	case s == nil:
		s = &schoolAnswers{version: key.version, keys: map[cacheKeyOf]struct{}{}}
		c.schools[key.school] = s
	}
	if c.entries.Contains(key) {
		return
	}
	s.keys[key] = struct{}{}
	c.entries.Add(key, data)
	c.size += int64(len(data))
	for c.size > c.budget && c.entries.Len() > 0 {
		c.entries.RemoveOldest()
	}
}

// cacheable reports whether every top-level field of a query is a cacheable one.
// selectsHealth reports whether set asks for a sync profile's health anywhere in it. A
// profile's health depends on the time (a profile goes QUIET as time passes) and on
// the school's settings, neither of which the data version follows, so such an answer
// is never kept.
func selectsHealth(set ast.SelectionSet) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if (s.Definition != nil && s.Definition.Type.Name() == "SyncHealth") || selectsHealth(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && selectsHealth(s.Definition.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if selectsHealth(s.SelectionSet) {
				return true
			}
		}
	}
	return false
}

func cacheable(set ast.SelectionSet) bool {
	if len(set) == 0 {
		return false
	}
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if !cacheableFields[s.Name] {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || !cacheable(s.Definition.SelectionSet) {
				return false
			}
		case *ast.InlineFragment:
			if !cacheable(s.SelectionSet) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// cacheKey identifies an answer: the school and its data version, the operation's text
// and name, and its variables (json.Marshal sorts map keys, so equal variables give
// equal keys).
func cacheKey(schoolID int, version int64, oc *graphql.OperationContext) (cacheKeyOf, bool) {
	vars, err := json.Marshal(oc.Variables)
	if err != nil {
		return cacheKeyOf{}, false
	}
	h := sha256.New()
	for _, s := range []string{oc.OperationName, oc.RawQuery, string(vars)} {
		var l [8]byte
		binary.BigEndian.PutUint64(l[:], uint64(len(s)))
		h.Write(l[:])
		h.Write([]byte(s))
	}
	k := cacheKeyOf{school: schoolID, version: version}
	h.Sum(k.op[:0])
	return k, true
}
