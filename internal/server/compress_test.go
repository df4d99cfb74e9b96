package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"github.com/provreport/provreport/internal/apitest"
	"github.com/provreport/provreport/internal/auth"
	"github.com/provreport/provreport/internal/testdb"
)

// TestResponsesAreCompressed: a GraphQL answer is compressed with gzip or zstd as the
// client accepts, and decompresses to the same JSON; small answers and event streams go
// out uncompressed.
func TestResponsesAreCompressed(t *testing.T) {
	t.Parallel()
	srv := apitest.New(t, testdb.Open(t, "sqlite"))
	sc := srv.CreateSchool(t, "zip", "UTC")
	tok := srv.Token(t, sc.ID, auth.ScopeReportsRead)
	// The transport would ask for gzip itself and hide the encoding; ask explicitly.
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	query := `{"query":"{ __schema { types { name description fields { name description } } } }"}`
	post := func(encoding, accept, body string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, b
	}

	resp, plain := post("", "", query)
	require.Empty(t, resp.Header.Get("Content-Encoding"))
	require.Greater(t, len(plain), 10<<10)
	require.True(t, json.Valid(plain))

	resp, zipped := post("gzip", "", query)
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	require.Contains(t, resp.Header.Values("Vary"), "Accept-Encoding")
	require.Less(t, len(zipped), len(plain)/3)
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	require.NoError(t, err)
	unzipped, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.JSONEq(t, string(plain), string(unzipped))

	resp, z := post("zstd", "", query)
	require.Equal(t, "zstd", resp.Header.Get("Content-Encoding"))
	dec, err := zstd.NewReader(nil)
	require.NoError(t, err)
	defer dec.Close()
	unz, err := dec.DecodeAll(z, nil)
	require.NoError(t, err)
	require.JSONEq(t, string(plain), string(unz))

	resp, _ = post("gzip", "", `{"query":"{ __typename }"}`)
	require.Empty(t, resp.Header.Get("Content-Encoding"), "a few bytes are not worth compressing")

	// An event stream is never compressed: each event must reach the client as sent.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/graphql",
		strings.NewReader(`{"query":"subscription { eventRecorded { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip, zstd")
	req.Header.Set("Authorization", "Bearer "+tok)
	sresp, err := hc.Do(req)
	require.NoError(t, err)
	defer sresp.Body.Close()
	require.Equal(t, "text/event-stream", sresp.Header.Get("Content-Type"))
	require.Empty(t, sresp.Header.Get("Content-Encoding"))
}
