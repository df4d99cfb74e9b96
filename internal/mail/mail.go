// Package mail sends provreport's emails: through an SMTP server named by a URL
// (wneessen/go-mail, with STARTTLS or implicit TLS), or, when none is configured, into
// an outbox folder, whose file the log names, so that a local user still gets the link.
package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

// Message is one email with a plain-text and an HTML part.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrBadSMTPURL is returned for an SMTP URL that cannot be used.
var ErrBadSMTPURL = errors.New("PROVREPORT_SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")

// New returns the sender for smtpURL, or an outbox sender writing under outboxDir when
// smtpURL is empty. from is the From address.
func New(smtpURL, from, outboxDir string, logger *slog.Logger) (Sender, error) {
	if from == "" {
		from = "provreport <provreport@localhost>"
	}
	if smtpURL == "" {
		return &Outbox{Dir: outboxDir, From: from, Logger: logger}, nil
	}
	return NewSMTP(smtpURL, from)
}

// SMTP sends through an SMTP server.
type SMTP struct {
	from    string
	host    string
	options []gomail.Option
}

// NewSMTP parses an SMTP URL: smtp://[user:pass@]host[:port] uses STARTTLS when the
// server offers it (add ?starttls=required to insist on it, ?starttls=none to never
// use it), smtps:// connects with implicit TLS. ?insecure_skip_verify=true accepts any
// certificate (for test servers only).
func NewSMTP(raw, from string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, ErrBadSMTPURL
	}
	q := u.Query()
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	port := 0
	if p := u.Port(); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil {
			return nil, ErrBadSMTPURL
		}
	}
	switch u.Scheme {
	case "smtp":
		if port == 0 {
			port = 587
		}
		switch q.Get("starttls") {
		case "required":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		case "none":
			opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		case "", "opportunistic":
			opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		default:
			return nil, fmt.Errorf("starttls=%q: want required, opportunistic or none: %w", q.Get("starttls"), ErrBadSMTPURL)
		}
	case "smtps":
		if port == 0 {
			port = 465
		}
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, ErrBadSMTPURL
	}
	opts = append(opts, gomail.WithPort(port))
	if q.Get("insecure_skip_verify") == "true" {
		opts = append(opts, gomail.WithTLSConfig(insecureTLS(u.Hostname())))
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return &SMTP{from: from, host: u.Hostname(), options: opts}, nil
}

func build(from string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, fmt.Errorf("from %q: %w", from, err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to %q: %w", m.To, err)
	}
	// A subject is text: bytes that are not UTF-8 become the replacement character.
	m.Subject = strings.ToValidUTF8(m.Subject, "\uFFFD")
	if strings.Contains(m.Subject, "=?") {
		// Text that looks like an RFC 2047 encoded word (a school's name can be
		// anything) would be decoded by mail clients into whatever it spells; encoding
		// the whole subject makes them show it as typed.
		msg.SetGenHeaderPreformatted(gomail.HeaderSubject, encodeWords(m.Subject))
	} else {
		msg.Subject(m.Subject)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	msg.SetDate()
	msg.SetMessageID()
	return msg, nil
}

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(s.from, m)
	if err != nil {
		return err
	}
	c, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail to %s via %s: %w", m.To, s.host, err)
	}
	return nil
}

// Outbox writes each message as an .eml file under Dir and logs where, for running
// without an SMTP server. The text stays out of the log: an export's email carries its
// download link, which is as good as the file to whoever holds it, and logs travel
// further than the data folder.
type Outbox struct {
	Dir    string
	From   string
	Logger *slog.Logger
}

// Send writes m to the outbox.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	msg, err := build(o.From, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("outbox %s: %w", o.Dir, err)
	}
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return fmt.Errorf("render mail: %w", err)
	}
	name := time.Now().UTC().Format("20060102T150405.000000000Z") + "-" + safe(m.To) + ".eml"
	path := filepath.Join(o.Dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("outbox %s: %w", path, err)
	}
	if o.Logger != nil {
		o.Logger.InfoContext(ctx, "no SMTP server configured: email written to the outbox",
			"to", m.To, "subject", m.Subject, "file", path)
	}
	return nil
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '@' {
			return r
		}
		return '_'
	}, s)
}

// encodeWords encodes s as base64 RFC 2047 encoded words of at most 45 bytes of text
// each, never splitting a character; adjacent encoded words decode as one text.
func encodeWords(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var words []string
	for len(s) > 0 {
		n := 0
		for i := range s {
			if i > 45 {
				break
			}
			n = i
		}
		if len(s) <= 45 {
			n = len(s)
		}
		if n == 0 {
			_, size := utf8.DecodeRuneInString(s)
			n = size
		}
		words = append(words, "=?UTF-8?B?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}
