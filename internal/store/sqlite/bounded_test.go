package sqlite

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestStatementsNeverRunUnderACancellableContext reads this package's
// source: every statement a transaction of the store runs (QueryContext,
// ExecContext, QueryRowContext, StmtContext on the txn's *sql.Tx or a
// bound statement, on the store's pools, on the writer's connection) must
// get bounded(ctx) or context.Background() as its context. Backups and
// restores run on connections of their own, which a cancelled request may
// interrupt at no one else's cost. A statement
// under a request's context can be interrupted when the request ends,
// and an interrupted statement on the writer can end the transaction that
// holds other requests' writes (writer.go).
func TestStatementsNeverRunUnderACancellableContext(t *testing.T) {
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || name == "migrate.go" {
			continue // migrations run before the writer starts, under Open's context
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			switch sel.Sel.Name {
			case "QueryContext", "ExecContext", "QueryRowContext", "StmtContext":
			default:
				return true
			}
			switch root(sel.X) {
			case "t", "s", "sqlTx", "conn":
			default:
				return true // a connection of its own (backup.go, restore.go)
			}
			checked++
			if !safeContext(call.Args[0]) {
				t.Errorf("%s: %s runs under %s; use bounded(ctx)", fset.Position(call.Pos()), sel.Sel.Name, exprString(call.Args[0]))
			}
			return true
		})
	}
	if checked < 30 {
		t.Fatalf("checked only %d statements: the test no longer finds them", checked)
	}
}

// root is the identifier an expression like t.stmt(ctx, id) or s.r starts with.
func root(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name
		case *ast.SelectorExpr:
			e = x.X
		case *ast.CallExpr:
			e = x.Fun
		default:
			return ""
		}
	}
}

func safeContext(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "bounded" {
			return true
		}
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Background" {
			return true
		}
	case *ast.Ident:
		return x.Name == "bg" // context.Background() in the writer
	}
	return false
}

func exprString(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "an expression"
}
