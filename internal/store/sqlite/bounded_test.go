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
// source: every statement a transaction runs (QueryContext, ExecContext,
// QueryRowContext, StmtContext on its *sql.Tx or a bound statement) must
// get bounded(ctx) or context.Background() as its context. A statement
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
