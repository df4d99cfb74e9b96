package export_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"testing"
)

func mustJSON(t *testing.T, v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func intID(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func countCSVRecords(t *testing.T, r io.Reader) int {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}
