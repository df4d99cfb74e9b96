package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	entevent "github.com/provreport/provreport/ent/event"
	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/tenant"
	"github.com/provreport/provreport/internal/testdb"
)

// ingestAgent is an agent that sends batches of events and, like a real one, sends a
// batch again with the same external IDs until it is acknowledged. It remembers every
// acknowledged external ID with the event ID the server answered.
type ingestAgent struct {
	name  string
	send  func(ctx context.Context, exts []string) (ids []string, err error)
	mu    sync.Mutex
	acked map[string]string
	tries int
	fails int
}

func (a *ingestAgent) run(stop *atomic.Bool, batch int) {
	for i := 0; !stop.Load(); i++ {
		exts := make([]string, batch)
		for j := range exts {
			exts[j] = fmt.Sprintf("%s-%d-%d", a.name, i, j)
		}
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			ids, err := a.send(ctx, exts)
			cancel()
			a.mu.Lock()
			a.tries++
			if err == nil && len(ids) != len(exts) {
				err = fmt.Errorf("%d IDs for %d events", len(ids), len(exts))
			}
			if err != nil {
				a.fails++
				a.mu.Unlock()
				time.Sleep(50 * time.Millisecond)
				continue
			}
			for j, ext := range exts {
				if prev, ok := a.acked[ext]; ok && prev != ids[j] {
					a.acked[ext] = "conflict: " + prev + " then " + ids[j]
					continue
				}
				a.acked[ext] = ids[j]
			}
			a.mu.Unlock()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIngestAcrossPostgresRestart restarts a private PostgreSQL cluster twice (a
// two-second outage, then a restart as quick as pg_ctl's) while two agents record
// events, one through recordEvents and one through the bulk endpoint, each retrying a
// failed batch with the same external IDs. Afterwards every acknowledged event is
// stored exactly once with the ID it was acknowledged with: 0 lost, 0 duplicated, and
// nothing stored that was never acknowledged.
func TestIngestAcrossPostgresRestart(t *testing.T) {
	t.Parallel()
	cluster := testdb.StartCluster(t)
	db := cluster.Open(t)
	srv := apitest.New(t, db)
	sc := srv.CreateSchool(t, "ingest-restart", "UTC")
	write := srv.Token(t, sc.ID, auth.ScopeEventsWrite)

	post := func(ctx context.Context, path, contentType string, body []byte) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+write)
		res, err := srv.HTTP.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err == nil && res.StatusCode != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
		}
		return raw, err
	}
	graphqlAgent := &ingestAgent{name: "graphql", acked: map[string]string{}}
	graphqlAgent.send = func(ctx context.Context, exts []string) ([]string, error) {
		now := time.Now().UTC().Format(time.RFC3339)
		in := make([]any, len(exts))
		for j, ext := range exts {
			in[j] = map[string]any{"type": "AUTHENTICATION", "username": fmt.Sprintf("user%d", j),
				"dateStarted": now, "dateFinished": now, "externalID": ext}
		}
		body, _ := json.Marshal(map[string]any{"query": recordOne, "variables": map[string]any{"in": in}})
		raw, err := post(ctx, "/graphql", "application/json", body)
		if err != nil {
			return nil, err
		}
		var out struct {
			Data struct {
				RecordEvents struct{ Events []struct{ ID string } }
			}
			Errors []json.RawMessage
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		if len(out.Errors) > 0 {
			return nil, fmt.Errorf("%s", out.Errors[0])
		}
		ids := make([]string, len(out.Data.RecordEvents.Events))
		for j, e := range out.Data.RecordEvents.Events {
			ids[j] = e.ID
		}
		return ids, nil
	}
	bulkAgent := &ingestAgent{name: "bulk", acked: map[string]string{}}
	bulkAgent.send = func(ctx context.Context, exts []string) ([]string, error) {
		lines := make([]string, len(exts))
		for j, ext := range exts {
			lines[j] = ndjsonLine(ext, time.Now().UTC(), j)
		}
		raw, err := post(ctx, "/api/v1/events", "application/x-ndjson", []byte(strings.Join(lines, "\n")+"\n"))
		if err != nil {
			return nil, err
		}
		var out bulkReply
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, err
		}
		if len(out.Errors) > 0 || out.Recorded+out.Duplicates != len(exts) {
			return nil, fmt.Errorf("bulk reply %s", raw)
		}
		return out.IDs, nil
	}

	var stop atomic.Bool
	var agents sync.WaitGroup
	agents.Go(func() { graphqlAgent.run(&stop, 50) })
	agents.Go(func() { bulkAgent.run(&stop, 200) })

	time.Sleep(time.Second)
	cluster.Stop(t)
	time.Sleep(2 * time.Second)
	cluster.Start(t)
	time.Sleep(2 * time.Second)
	cluster.Stop(t)
	cluster.Start(t)
	time.Sleep(2 * time.Second)
	stop.Store(true)
	agents.Wait()

	rows, err := db.Client.Event.Query().Select(entevent.FieldID, entevent.FieldExternalID).All(tenant.WithSchool(context.Background(), sc.ID))
	require.NoError(t, err)
	byExt := map[string][]int{}
	for _, r := range rows {
		require.NotNil(t, r.ExternalID, "event %d without an external ID", r.ID)
		byExt[*r.ExternalID] = append(byExt[*r.ExternalID], r.ID)
	}
	for _, a := range []*ingestAgent{graphqlAgent, bulkAgent} {
		lost, duplicated, wrongID := 0, 0, 0
		for ext, id := range a.acked {
			got := byExt[ext]
			switch {
			case len(got) == 0:
				lost++
			case len(got) > 1:
				duplicated++
			case id != strconv.Itoa(got[0]):
				wrongID++
			}
		}
		require.NotZero(t, a.fails, "%s: the restarts made some requests fail (else nothing was tested)", a.name)
		require.Zero(t, lost, "%s: acknowledged events lost", a.name)
		require.Zero(t, duplicated, "%s: acknowledged events stored twice", a.name)
		require.Zero(t, wrongID, "%s: events stored under another ID than the one acknowledged", a.name)
		t.Logf("%s: %d events acknowledged in %d requests (%d failed and were sent again); lost 0, duplicated 0",
			a.name, len(a.acked), a.tries, a.fails)
	}
	require.Equal(t, len(graphqlAgent.acked)+len(bulkAgent.acked), len(rows), "nothing stored that was never acknowledged")
}
