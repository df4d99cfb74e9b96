package export

import (
	"bytes"
	"encoding/csv"
	"mime"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/provreport/provreport/ent"
	"github.com/provreport/provreport/internal/report"
)

// FuzzCSV writes rows whose text cells hold arbitrary bytes, as WriteCSV does, and reads
// the file back with encoding/csv: the file must parse (RFC 4180), give back every row
// with the cells written, and no cell may read as a formula. The starting corpus is in
// testdata/fuzz/FuzzCSV.
func FuzzCSV(f *testing.F) {
	f.Add("Staff", "=1+1", "jo")
	f.Add("\r\n+SUM(A1)", "a\rb\nc\r\nd", "\"quoted\",comma")
	f.Add("\t@cmd", "＝1+1", "\xff\xfe")
	f.Add("", "\u3000-1", "\uFEFF=1")
	f.Fuzz(func(t *testing.T, profile, details, username string) {
		header := HeaderWith([]Column{ColumnUsername})
		rec := []string{"1", "2", "3", "4", Cell("Account Synchronization"), Cell(profile), "0",
			"2026-03-01T10:01:00Z", "5", "2026-03-01T10:00:00Z", Cell(details), Cell(username)}
		var buf bytes.Buffer
		out := newCSVWriter(&buf)
		if err := out.Write(header); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := out.Write(rec); err != nil {
				t.Fatal(err)
			}
		}
		out.Flush()
		if err := out.Error(); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		r.FieldsPerRecord = len(header)
		got, err := r.ReadAll()
		if err != nil {
			t.Fatalf("the file does not parse: %v\n%q", err, buf.String())
		}
		if len(got) != 3 {
			t.Fatalf("%d records read back, want 3", len(got))
		}
		for _, row := range got[1:] {
			for i := range rec {
				if row[i] != rec[i] {
					t.Fatalf("cell %d read back as %q, written %q", i, row[i], rec[i])
				}
			}
			for _, i := range []int{4, 5, 10, 11} {
				if formula(row[i]) {
					t.Fatalf("cell %d %q reads as a formula", i, row[i])
				}
			}
		}
	})
}

// formula says whether a spreadsheet would run the cell: its first character other
// than white space is a formula character, or it starts with a tab or carriage return.
func formula(cell string) bool {
	if cell == "" || cell[0] == '\'' {
		return false
	}
	if cell[0] == '\t' || cell[0] == '\r' {
		return true
	}
	for _, r := range cell {
		if unicode.IsSpace(r) || r == '\uFEFF' {
			continue
		}
		return strings.ContainsRune("=+-@＝＋－＠", r)
	}
	return false
}

var safeFileName = regexp.MustCompile(`^provisioning-report-[A-Za-z0-9._-]+-(beginning|\d{4}-\d{2}-\d{2})-\d{4}-\d{2}-\d{2}\.csv$`)

// FuzzFileName names an export file for a school of any slug and time zone: the name
// goes into a quoted Content-Disposition filename, so it must hold only characters that
// need no escaping there (no quote, backslash, line break or path separator), and the
// header built from it must parse back to the same name.
func FuzzFileName(f *testing.F) {
	f.Add("hillview", "Australia/Sydney")
	f.Add(`a"; filename="evil.exe`, "UTC")
	f.Add("x\r\nSet-Cookie: a=b", "Nowhere/Else")
	f.Add("../../etc/passwd", "")
	f.Fuzz(func(t *testing.T, slug, tz string) {
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		name := fileName(&ent.School{Slug: slug, Timezone: tz}, report.Filter{From: &from}, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
		if !safeFileName.MatchString(name) {
			t.Fatalf("file name %q holds characters a header must escape", name)
		}
		_, params, err := mime.ParseMediaType(`attachment; filename="` + name + `"`)
		if err != nil || params["filename"] != name {
			t.Fatalf("Content-Disposition for %q reads back as %q (%v)", name, params["filename"], err)
		}
	})
}
