package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLoggerDefaults shows a terminal gets text at warn and above, anything else (a server
// in production) JSON at info, and that the two variables override either default.
func TestLoggerDefaults(t *testing.T) {
	t.Parallel()
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name      string
		terminal  bool
		env       func(string) string
		wantInfo  bool
		wantJSON  bool
		wantLines int
	}{
		{"terminal", true, env(), false, false, 1},
		{"production", false, env(), true, true, 2},
		{"terminal asks for json at info", true, env("PROVREPORT_LOG_FORMAT", "json", "PROVREPORT_LOG_LEVEL", "info"), true, true, 2},
		{"production asks for text at warn", false, env("PROVREPORT_LOG_FORMAT", "text", "PROVREPORT_LOG_LEVEL", "warn"), false, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := newLogger(&buf, tc.terminal, tc.env)
			l.Info("request", "path", "/graphql")
			l.Warn("slow query", "ms", 900)
			out := buf.String()
			require.Equal(t, tc.wantLines, strings.Count(out, "\n"), out)
			require.Equal(t, tc.wantInfo, strings.Contains(out, "request"), out)
			require.Contains(t, out, "slow query")
			require.Equal(t, tc.wantJSON, strings.HasPrefix(out, "{"), out)
		})
	}
}
