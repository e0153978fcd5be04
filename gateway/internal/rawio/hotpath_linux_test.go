//go:build linux

package rawio_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEventLoopsMakeRawCalls keeps the event loops' per-connection system
// calls raw (see fd_linux.go): in gateway/internal/evloop and
// gateway/wsproxy, a call to x/sys/unix's socket wrappers (which go
// through syscall.Syscall, entersyscall, and wake sysmon) is allowed only
// in the functions listed here, which set a loop up or down, or serve the
// goroutine front's path (a descriptor copied out of Go's poller). A
// socket is read and written with rawio.Recv and rawio.Send; ReadFD and
// WriteFD only touch the loops' eventfds.
func TestEventLoopsMakeRawCalls(t *testing.T) {
	wrappers := map[string]bool{
		"Accept4": true, "Socket": true, "Connect": true, "Close": true, "Shutdown": true,
		"SetsockoptInt": true, "GetsockoptInt": true, "Read": true, "Write": true,
		"EpollCtl": true, "EpollWait": true, "Getsockname": true, "Getpeername": true,
	}
	allowed := map[string]map[string]bool{
		"../evloop": {
			"Listen": true, "drop": true, "newLoop": true, "unlisten": true, "shutdown": true,
			"pauseAccept": true, "resumeAccept": true,
			"LocalAddr": true, "RemoteAddr": true, // asked once, and only if someone wants them
		},
		"../../wsproxy": {
			"detachPair": true, // the goroutine front's sockets: copied out of Go's poller
			"newPoller":  true,
			"LocalAddr":  true,
		},
	}
	for dir, ok := range allowed {
		files, err := filepath.Glob(filepath.Join(dir, "*_linux.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no files (%v)", dir, err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range f.Decls {
				fn, isFn := d.(*ast.FuncDecl)
				if !isFn || fn.Body == nil || ok[fn.Name.Name] {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					call, isCall := n.(*ast.CallExpr)
					if !isCall {
						return true
					}
					sel, isSel := call.Fun.(*ast.SelectorExpr)
					if !isSel {
						return true
					}
					if pkg, isID := sel.X.(*ast.Ident); isID && pkg.Name == "unix" && wrappers[sel.Sel.Name] {
						t.Errorf("%s: %s calls unix.%s (syscall.Syscall): use rawio's raw call, or list %s here if it is not on a connection's path",
							fset.Position(call.Pos()), fn.Name.Name, sel.Sel.Name, fn.Name.Name)
					}
					if pkg, isID := sel.X.(*ast.Ident); isID && pkg.Name == "rawio" &&
						(sel.Sel.Name == "ReadFD" || sel.Sel.Name == "WriteFD") && !eventfdArg(call) {
						t.Errorf("%s: %s calls rawio.%s on a socket: use rawio.Recv or rawio.Send (read and write are for the loops' eventfds)",
							fset.Position(call.Pos()), fn.Name.Name, sel.Sel.Name)
					}
					return true
				})
			}
		}
	}
}

// eventfdArg reports whether call's first argument is a loop's eventfd
// (a field named evfd).
func eventfdArg(call *ast.CallExpr) bool {
	if len(call.Args) == 0 {
		return false
	}
	sel, ok := call.Args[0].(*ast.SelectorExpr)
	return ok && sel.Sel.Name == "evfd"
}
