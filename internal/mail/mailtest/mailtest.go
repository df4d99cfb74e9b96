// Package mailtest runs a real SMTP server on loopback for tests (emersion/go-smtp) and
// hands over every message it receives, parsed into its text and HTML parts.
package mailtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one received email.
type Message struct {
	From, To, Subject string
	Text, HTML        string
	Raw               []byte
}

// Server is a running loopback SMTP server.
type Server struct {
	// Addr is host:port.
	Addr string
	// Messages receives each message as it arrives.
	Messages chan Message
	// Fail makes the server refuse the next n messages with a temporary error.
	mu   sync.Mutex
	fail int
	srv  *smtp.Server
}

// URL returns an smtp:// URL for PROVREPORT_SMTP_URL (plain SMTP: the test server has
// no certificate, so STARTTLS is not offered).
func (s *Server) URL() string { return "smtp://" + s.Addr }

// FailNext makes the server reject the next n messages with a 451 error.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	s.fail = n
	s.mu.Unlock()
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Server{Addr: ln.Addr().String(), Messages: make(chan Message, 100)}
	s.serve(t, ln)
	return s
}

func (s *Server) serve(t testing.TB, ln net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	go func() { _ = srv.Serve(ln) }()
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	t.Cleanup(func() { _ = srv.Close() })
}

// Stop shuts the server down, as an SMTP server that is down or unreachable: connections
// to its address are refused until Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	_ = srv.Close()
}

// Restart runs the server again on the same address.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		t.Fatalf("mailtest: listen again on %s: %v", s.Addr, err)
	}
	s.serve(t, ln)
}

// Wait returns the next message, failing the test after timeout.
func (s *Server) Wait(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.Messages:
		return m
	case <-time.After(timeout):
		t.Fatalf("mailtest: no message within %s", timeout)
		return Message{}
	}
}

type session struct {
	s        *Server
	from, to string
}

func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = to
	return nil
}
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	failing := x.s.fail > 0
	if failing {
		x.s.fail--
	}
	x.s.mu.Unlock()
	if failing {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailtest: try again later"}
	}
	m, err := parse(raw)
	if err != nil {
		return fmt.Errorf("mailtest: %w", err)
	}
	m.From, m.To = x.from, x.to
	x.s.Messages <- m
	return nil
}

func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	out := Message{Subject: subject, Raw: raw}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Message{}, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decodePart(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		out.Text = body
		return out, err
	}
	return out, walk(multipart.NewReader(msg.Body, params["boundary"]), &out)
}

func walk(mr *multipart.Reader, out *Message) error {
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		mt, params, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch {
		case strings.HasPrefix(mt, "multipart/"):
			if err := walk(multipart.NewReader(p, params["boundary"]), out); err != nil {
				return err
			}
		case mt == "text/plain":
			out.Text, err = decodePart(p.Header.Get("Content-Transfer-Encoding"), p)
		case mt == "text/html":
			out.HTML, err = decodePart(p.Header.Get("Content-Transfer-Encoding"), p)
		}
		if err != nil {
			return err
		}
	}
}
