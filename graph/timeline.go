package graph

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	entsql "entgo.io/ent/dialect/sql"
	"golang.org/x/sync/errgroup"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/ent/change"
	"github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/graph/model"
	"github.com/provreport/provreport/internal/usererr"
)

// The kinds of timeline entry, as they sort: at the same instant a change comes
// before an event the user acted in, newest first.
const (
	kindActed   = 0
	kindChanged = 1
)

// timelineKey is an entry's place in the timeline: newest first by at, then kind,
// then ID, all descending, so that every entry has a distinct key and paging never
// skips or repeats entries that share an instant.
type timelineKey struct {
	at   time.Time
	kind int
	id   int
}

func (k timelineKey) less(o timelineKey) bool {
	if !k.at.Equal(o.at) {
		return k.at.Before(o.at)
	}
	if k.kind != o.kind {
		return k.kind < o.kind
	}
	return k.id < o.id
}

func (k timelineKey) cursor() entgql.Cursor[int] {
	return entgql.Cursor[int]{ID: k.id, Value: k.at.UTC().Format(time.RFC3339Nano) + "|" + strconv.Itoa(k.kind)}
}

func timelineKeyOf(c *ent.Cursor, name string) (timelineKey, error) {
	bad := usererr.BadInput(name, "is not a cursor of the timeline; pass the cursor of a previous page")
	s, ok := c.Value.(string)
	if !ok {
		return timelineKey{}, bad
	}
	at, kind, ok := strings.Cut(s, "|")
	if !ok {
		return timelineKey{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return timelineKey{}, bad
	}
	k, err := strconv.Atoi(kind)
	if err != nil || (k != kindActed && k != kindChanged) {
		return timelineKey{}, bad
	}
	return timelineKey{at: t, kind: k, id: c.ID}, nil
}

// beyond returns the predicate "(at, kind, id) < k" (older: below) or "> k" (newer)
// for rows of one kind, whose instant column is atCol.
func beyond(k timelineKey, kind int, atCol string, below bool) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		at, id := s.C(atCol), s.C("id")
		cmp, cmpEq := entsql.LT, entsql.LTE
		idCmp := entsql.LT
		if !below {
			cmp, cmpEq, idCmp = entsql.GT, entsql.GTE, entsql.GT
		}
		switch {
		case kind == k.kind:
			s.Where(entsql.Or(cmp(at, k.at), entsql.And(entsql.EQ(at, k.at), idCmp(id, k.id))))
		case (kind < k.kind) == below:
			// Every row of this kind at k's instant is on the wanted side of k.
			s.Where(cmpEq(at, k.at))
		default:
			s.Where(cmp(at, k.at))
		}
	}
}

// timeline answers User.timeline: the user's actor events and the changes to them,
// merged newest first. Each source is read in key order from its own index, at most
// one page and one more entry, so a page costs two short range reads however long
// the user's history is. The accounts and sync profiles the entries show come with
// the page (the user is the one whose timeline it is; the rest in one query per
// edge), so a page's statements do not grow with its length.
func timeline(ctx context.Context, c *ent.Client, userID int, first *int, after *ent.Cursor, last *int, before *ent.Cursor,
	f *model.TimelineFilter, count bool) (*model.TimelineConnection, error) {
	first, err := pageArgs(first, after, last, before)
	if err != nil {
		return nil, err
	}
	n, backward := 0, last != nil
	if backward {
		n = *last
	} else {
		n = *first
	}
	var cur *timelineKey
	for name, c := range map[string]*ent.Cursor{"after": after, "before": before} {
		if c != nil {
			k, err := timelineKeyOf(c, name)
			if err != nil {
				return nil, err
			}
			cur = &k
		}
	}
	acted, changed := true, true
	if f != nil && len(f.Kinds) > 0 {
		acted = slices.Contains(f.Kinds, model.TimelineKindActed)
		changed = slices.Contains(f.Kinds, model.TimelineKindChanged)
	}
	evq := c.Event.Query().Where(event.UserID(userID))
	chq := c.Change.Query().Where(change.UserID(userID))
	if f != nil && f.From != nil {
		evq.Where(event.DateFinishedGTE(*f.From))
		chq.Where(change.AtGTE(*f.From))
	}
	if f != nil && f.To != nil {
		evq.Where(event.DateFinishedLT(*f.To))
		chq.Where(change.AtLT(*f.To))
	}
	conn := &model.TimelineConnection{PageInfo: &entgql.PageInfo[int]{}, Edges: []*model.TimelineEdge{}}
	// The counts, the two pages and the user do not depend on each other: they are read
	// at once, each on its own connection, so that a page waits for the slowest of them
	// rather than for their sum.
	type entry struct {
		key timelineKey
		ev  *ent.Event
		ch  *ent.Change
	}
	var (
		evCount, chCount int
		evs              []*ent.Event
		chs              []*ent.Change
		runs             map[int]*ent.Event
		u                *ent.User
	)
	g, gctx := errgroup.WithContext(ctx)
	if count && acted {
		g.Go(func() (err error) {
			if evCount, err = evq.Clone().Count(gctx); err != nil {
				return fmt.Errorf("timeline: count events: %w", err)
			}
			return nil
		})
	}
	if count && changed {
		g.Go(func() (err error) {
			if chCount, err = chq.Clone().Count(gctx); err != nil {
				return fmt.Errorf("timeline: count changes: %w", err)
			}
			return nil
		})
	}
	if n > 0 {
		// Forwards reads newest first below the cursor; backwards reads oldest first above it.
		below := !backward
		if cur != nil {
			evq.Where(beyond(*cur, kindActed, event.FieldDateFinished, below))
			chq.Where(beyond(*cur, kindChanged, change.FieldAt, below))
		}
		order := entsql.OrderDesc()
		if backward {
			order = entsql.OrderAsc()
		}
		if acted {
			g.Go(func() (err error) {
				if evs, err = evq.Order(event.ByDateFinished(order), event.ByID(order)).Limit(n + 1).WithSyncProfile().All(gctx); err != nil {
					return fmt.Errorf("timeline: events: %w", err)
				}
				return nil
			})
		}
		if changed {
			// The runs that made the changes are read as soon as the changes are, alongside
			// the other reads, rather than after all of them.
			g.Go(func() (err error) {
				if chs, err = chq.Order(change.ByAt(order), change.ByID(order)).Limit(n + 1).All(gctx); err != nil {
					return fmt.Errorf("timeline: changes: %w", err)
				}
				if runs, err = runsOf(gctx, c, chs); err != nil {
					return fmt.Errorf("timeline: runs of changes: %w", err)
				}
				return nil
			})
		}
		// The user is every entry's account: read whole once (the caller's copy may hold
		// only the fields its query selected) and given to each entry.
		g.Go(func() (err error) {
			if u, err = c.User.Get(gctx, userID); err != nil {
				return fmt.Errorf("timeline: user %d: %w", userID, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	conn.TotalCount = evCount + chCount
	if n == 0 {
		return conn, nil
	}
	var entries []entry
	for _, ev := range evs {
		entries = append(entries, entry{key: timelineKey{ev.DateFinished, kindActed, ev.ID}, ev: ev})
	}
	for _, ch := range chs {
		entries = append(entries, entry{key: timelineKey{ch.At, kindChanged, ch.ID}, ch: ch})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.key == b.key:
			return 0
		case b.key.less(a.key) != backward:
			return -1
		default:
			return 1
		}
	})
	more := len(entries) > n
	if more {
		entries = entries[:n]
	}
	if backward {
		slices.Reverse(entries)
		conn.PageInfo.HasPreviousPage, conn.PageInfo.HasNextPage = more, before != nil
	} else {
		conn.PageInfo.HasNextPage, conn.PageInfo.HasPreviousPage = more, after != nil
	}
	for _, e := range entries {
		if e.ev != nil {
			e.ev.Edges.User = u
		} else {
			e.ch.Edges.User = u
		}
	}
	for _, e := range entries {
		node := &model.TimelineEntry{At: e.key.at, Event: e.ev, Change: e.ch}
		if e.ch != nil {
			node.Event = runs[e.ch.EventID]
			if node.Event == nil {
				continue // deleted by retention since the change was read
			}
		}
		conn.Edges = append(conn.Edges, &model.TimelineEdge{Node: node, Cursor: e.key.cursor()})
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

// timelineFeed answers timelineEntryAdded: it follows every event the school records
// (the report's live feed, default view: idle runs change nobody) and turns those the
// user acted in, and the changes they carry for the user, into timeline entries.
func (r *Resolver) timelineFeed(ctx context.Context, userID int) (<-chan *model.TimelineEntry, error) {
	if _, err := r.Client.User.Get(ctx, userID); ent.IsNotFound(err) {
		return nil, usererr.NotFoundf("no user with ID %d", userID)
	} else if err != nil {
		return nil, fmt.Errorf("timeline feed: user %d: %w", userID, err)
	}
	events, err := r.eventFeed(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan *model.TimelineEntry)
	go func() {
		defer close(out)
		for ev := range events {
			var entries []*model.TimelineEntry
			if ev.UserID != nil && *ev.UserID == userID {
				entries = append(entries, &model.TimelineEntry{At: ev.DateFinished, Event: ev})
			}
			ch, err := r.Client.Change.Query().Where(change.EventID(ev.ID), change.UserID(userID)).Only(ctx)
			if err == nil {
				entries = append([]*model.TimelineEntry{{At: ev.DateFinished, Event: ev, Change: ch}}, entries...)
			}
			for _, e := range entries {
				select {
				case out <- e:
				case <-ctx.Done():
					// Drain so that the event feed's goroutine can end.
					for range events {
					}
					return
				}
			}
		}
	}()
	return out, nil
}

// runsOf reads the runs that made the changes, with their sync profiles and actors, in
// one query for the runs.
func runsOf(ctx context.Context, c *ent.Client, chs []*ent.Change) (map[int]*ent.Event, error) {
	runs := map[int]*ent.Event{}
	if len(chs) == 0 {
		return runs, nil
	}
	ids := make([]int, 0, len(chs))
	for _, ch := range chs {
		ids = append(ids, ch.EventID)
	}
	evs, err := c.Event.Query().Where(event.IDIn(ids...)).WithSyncProfile().WithUser().All(ctx)
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		runs[ev.ID] = ev
	}
	return runs, nil
}
