// Command cmd runs the loopback OpenID Provider of package oidctest for the browser
// tests: it registers one client and the given users, prints the issuer URL as its first
// line on standard output, and serves until interrupted.
//
//	go run ./internal/oidctest/cmd -client-id ID -client-secret S -redirect-uri URL \
//	  -user 'username:password:email:verified:group1,group2'
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/provreport/provreport/internal/oidctest"
)

type users []oidctest.User

func (u *users) String() string { return fmt.Sprint(len(*u)) }

func (u *users) Set(v string) error {
	f := strings.SplitN(v, ":", 5)
	if len(f) < 4 {
		return fmt.Errorf("want username:password:email:verified[:groups], got %q", v)
	}
	usr := oidctest.User{Username: f[0], Password: f[1], Email: f[2], EmailVerified: f[3] == "true", Name: f[0]}
	if len(f) == 5 && f[4] != "" {
		usr.Groups = strings.Split(f[4], ",")
	}
	*u = append(*u, usr)
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	clientID := flag.String("client-id", "provreport", "the client ID to register")
	secret := flag.String("client-secret", "", "the client secret")
	redirect := flag.String("redirect-uri", "", "the client's redirect URI")
	var us users
	flag.Var(&us, "user", "an account: username:password:email:verified[:group,group] (repeatable)")
	flag.Parse()
	p, err := oidctest.Start(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "start provider:", err)
		os.Exit(1)
	}
	p.AddClient(*clientID, *secret, *redirect)
	for _, u := range us {
		p.AddUser(u)
	}
	fmt.Println(p.Issuer)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	_ = p.Close()
}
