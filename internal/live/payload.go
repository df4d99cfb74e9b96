package live

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/provreport/provreport/ent"
)

// maxPayload keeps a notification under PostgreSQL's limit of 8000 bytes.
const maxPayload = 7900

// encodePayloads turns committed events into NOTIFY payloads of the form
// "SCHOOL:ID,ID,…": one school per payload, in the events' order, split so that no
// payload reaches maxPayload. The events themselves are loaded by ID on each replica,
// which keeps notifications small and the event's contents out of the channel.
func encodePayloads(events []*ent.Event) []string {
	var out []string
	var b strings.Builder
	for _, batch := range bySchool(events) {
		prefix := strconv.Itoa(batch.schoolID) + ":"
		b.Reset()
		for _, id := range batch.ids {
			n := strconv.Itoa(id)
			if b.Len() > 0 && b.Len()+1+len(n) > maxPayload {
				out = append(out, b.String())
				b.Reset()
			}
			if b.Len() == 0 {
				b.WriteString(prefix)
			} else {
				b.WriteByte(',')
			}
			b.WriteString(n)
		}
		out = append(out, b.String())
	}
	return out
}

var errBadPayload = errors.New("malformed notification payload")

// decodePayload reads a payload written by encodePayloads.
func decodePayload(p string) (schoolID int, ids []int, err error) {
	school, list, ok := strings.Cut(p, ":")
	if !ok || list == "" {
		return 0, nil, fmt.Errorf("%w %q", errBadPayload, p)
	}
	if schoolID, err = strconv.Atoi(school); err != nil {
		return 0, nil, fmt.Errorf("%w %q: school: %v", errBadPayload, p, err)
	}
	for s := range strings.SplitSeq(list, ",") {
		id, err := strconv.Atoi(s)
		if err != nil {
			return 0, nil, fmt.Errorf("%w %q: id: %v", errBadPayload, p, err)
		}
		ids = append(ids, id)
	}
	return schoolID, ids, nil
}
