package ingest_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/provreport/provreport/internal/ingest"
)

// BenchmarkDecodeNDJSON decodes and checks a body of 1,000 lines as agents send them:
// mostly sign-ins, a quarter sync runs, every tenth run with ten changed accounts. It is
// the CPU the bulk endpoint spends before it writes anything.
func BenchmarkDecodeNDJSON(b *testing.B) {
	var body bytes.Buffer
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 1000 {
		start, end := at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), at.Add(time.Duration(i)*time.Minute+40*time.Second).Format(time.RFC3339)
		switch {
		case i%4 != 0:
			fmt.Fprintf(&body, `{"type":"AUTHORISATION","startedAt":%q,"finishedAt":%q,"username":"student.%d","service":"Google Workspace","externalID":"login-%d"}`+"\n", start, end, i, i)
		case i%40 != 0:
			fmt.Fprintf(&body, `{"type":"ACCOUNT_SYNCHRONIZATION","startedAt":%q,"finishedAt":%q,"syncProfile":"LDAP Students","processed":1450,"added":0,"updated":0,"deleted":0,"disabled":0,"errors":0,"externalID":"run-%d"}`+"\n", start, end, i)
		default:
			var changes bytes.Buffer
			for c := range 10 {
				if c > 0 {
					changes.WriteByte(',')
				}
				fmt.Fprintf(&changes, `{"action":"UPDATED","username":"student.%d","displayName":"Student %d","email":"student.%d@school.example","attributes":[{"name":"givenName","old":"Sam","new":"Samuel"},{"name":"memberOf","old":"CN=Year 7","new":"CN=Year 8"}]}`, c, c, c)
			}
			fmt.Fprintf(&body, `{"type":"ACCOUNT_SYNCHRONIZATION","startedAt":%q,"finishedAt":%q,"syncProfile":"LDAP Students","processed":1450,"added":0,"updated":10,"deleted":0,"disabled":0,"errors":0,"externalID":"run-%d","changes":[%s]}`+"\n", start, end, i, changes.String())
		}
	}
	data := body.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		events, bad, err := ingest.DecodeNDJSON(bytes.NewReader(data), ingest.MaxBulk, 1<<20)
		if err != nil || bad != nil || len(events) != 1000 {
			b.Fatalf("%d events, %v, %v", len(events), bad, err)
		}
	}
}
