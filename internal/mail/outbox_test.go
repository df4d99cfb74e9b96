package mail_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provreport/provreport/internal/mail"
)

// TestOutboxKeepsTheLinkOutOfTheLog: without an SMTP server the message is written to
// the outbox, whose file the log names, and its text (an export's download link) is in
// the file and not in the log.
func TestOutboxKeepsTheLinkOutOfTheLog(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	o := &mail.Outbox{Dir: dir, From: "reports@school.example", Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	link := "https://reports.school.example/exports/42/download?token=s3cr3t-capability"
	err := o.Send(context.Background(), mail.Message{To: "admin@school.example", Subject: "Your report is ready", Text: "Download it: " + link})
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil || len(files) != 1 {
		t.Fatalf("outbox files %v (%v), want one", files, err)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	msg, err := netmail.ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), link) {
		t.Errorf("the outbox file lacks the link:\n%s", body)
	}
	if strings.Contains(logs.String(), "s3cr3t-capability") {
		t.Errorf("the log holds the link: %s", logs.String())
	}
	if !strings.Contains(logs.String(), filepath.Base(files[0])) {
		t.Errorf("the log does not name the outbox file: %s", logs.String())
	}
}
