package live_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/provreport/provreport/internal/live"
	"github.com/provreport/provreport/internal/store"
	"github.com/provreport/provreport/internal/testdb"
)

// TestHealthChanges publishes a health change on one broker and receives it, whole,
// on every broker of the database (two replicas on PostgreSQL), only on subscriptions
// of its school; closing the broker ends the subscription with ErrShutdown.
func TestHealthChanges(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db, live.Options{})
		brokers := []live.Broker{b.broker}
		if db.Dialect == "postgres" && os.Getenv(testdb.EnvPostgres) != "" {
			second, err := store.Open(context.Background(), db.URL)
			if err != nil {
				t.Fatalf("open second replica: %v", err)
			}
			t.Cleanup(func() { second.Close() })
			brokers = append(brokers, newBroker(t, second, live.Options{}))
		}
		ctx := context.Background()
		var mine, others []*live.HealthSubscription
		for _, br := range brokers {
			s, err := br.SubscribeHealth(ctx, b.school)
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			mine = append(mine, s)
			o, err := br.SubscribeHealth(ctx, b.other)
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			others = append(others, o)
		}
		want := live.HealthChange{SchoolID: b.school, ProfileID: 42, Status: "QUIET", Previous: "HEALTHY",
			ChangedAt: time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)}
		if err := b.broker.PublishHealth(ctx, want); err != nil {
			t.Fatalf("publish: %v", err)
		}
		for i, s := range mine {
			select {
			case got := <-s.C:
				if !got.ChangedAt.Equal(want.ChangedAt) {
					t.Fatalf("replica %d: changed at %v, want %v", i, got.ChangedAt, want.ChangedAt)
				}
				got.ChangedAt = want.ChangedAt
				if got != want {
					t.Fatalf("replica %d: got %+v, want %+v", i, got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("replica %d: no health change", i)
			}
		}
		for i, o := range others {
			select {
			case got := <-o.C:
				t.Fatalf("replica %d: another school's subscriber got %+v", i, got)
			case <-time.After(200 * time.Millisecond):
			}
		}
		_ = b.broker.Close()
		select {
		case _, ok := <-mine[0].C:
			if ok {
				t.Fatal("a change arrived after close")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the subscription did not end on close")
		}
		if err := mine[0].Err(); !errors.Is(err, live.ErrShutdown) {
			t.Fatalf("ended with %v, want ErrShutdown", err)
		}
	})
}
