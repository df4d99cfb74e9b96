package mail

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"sort"
	"strings"
	"testing"
)

// FuzzHeaders composes an export email whose subject carries an arbitrary school name
// (the subject is "Provisioning report for <name>, <range>", and a school's name is
// whatever its admin typed) and reads it back as a mail client would: the message must
// parse, hold exactly the headers the composer sets (a line break in the name must not
// add one, such as a Bcc), and its subject must decode to the one composed, modulo the
// line breaks a header cannot carry and bytes that are not UTF-8. The starting corpus is in testdata/fuzz/FuzzHeaders.
func FuzzHeaders(f *testing.F) {
	f.Add("Hillview High")
	f.Add("Hillview\r\nBcc: everyone@example.com")
	f.Add("Zoë's =?utf-8?q?school?= \"quoted\"")
	f.Add(strings.Repeat("long name ", 30))
	f.Add("\x00\xff\n\n<html>")
	f.Fuzz(func(t *testing.T, name string) {
		subject := "Provisioning report for " + name + ", 1 Mar 2026 00:00 to 9 Mar 2026 00:00"
		msg, err := build("provreport <provreport@localhost>", Message{To: "admin@school.example", Subject: subject, Text: "Hello", HTML: "<p>Hello</p>"})
		if err != nil {
			t.Fatalf("compose: %v", err)
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			t.Fatalf("render: %v", err)
		}
		m, err := netmail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("the message does not parse: %v", err)
		}
		var keys []string
		for k := range m.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want := []string{"Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
		for _, k := range keys {
			if !contains(want, k) && !strings.HasPrefix(k, "X-") && k != "User-Agent" {
				t.Fatalf("header %q appeared; headers: %v", k, keys)
			}
		}
		if len(m.Header["Subject"]) != 1 || len(m.Header["To"]) != 1 {
			t.Fatalf("Subject or To not set exactly once: %v", m.Header)
		}
		if to, err := m.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "admin@school.example" {
			t.Fatalf("To reads back as %v (%v)", to, err)
		}
		got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject %q does not decode: %v", m.Header.Get("Subject"), err)
		}
		if flat(got) != flat(strings.ToValidUTF8(subject, "\uFFFD")) {
			t.Fatalf("subject reads back as %q, composed %q", got, subject)
		}
	})
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// flat is what a one-line header can carry of s: runs of white space, line breaks
// included, become one space, and the ends are trimmed.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }
