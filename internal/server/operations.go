package server

import (
	"fmt"
	"io/fs"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// knownOperations reads the dashboard's GraphQL documents and returns the name and type
// ("query", "mutation", "subscription") of each operation in them: the operations this
// server knows by name, for metric labels.
func knownOperations(docs fs.FS) (map[string]string, error) {
	known := map[string]string{}
	err := fs.WalkDir(docs, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(docs, name)
		if err != nil {
			return err
		}
		doc, perr := parser.ParseQuery(&ast.Source{Name: name, Input: string(src)})
		if perr != nil {
			return fmt.Errorf("dashboard operations %s: %w", name, perr)
		}
		for _, op := range doc.Operations {
			if op.Name != "" {
				known[op.Name] = string(op.Operation)
			}
		}
		return nil
	})
	return known, err
}
