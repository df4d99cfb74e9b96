// Package ent holds the generated ent client; its schema is in ./schema.
package ent

//go:generate go run -mod=mod entc.go
//go:generate sh -c "cd .. && go run ./graph/gqlgen.go"
