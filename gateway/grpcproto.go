package gateway

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/bufbuild/protocompile/ast"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"

	"tollgate/engine"
)

// A gRPC API's operations come from its specification.proto, as APIM's
// gRPC import makes them from the uploaded .proto: one operation per rpc of
// every service, method POST and URL template "/package.Service/Method",
// the path gRPC calls it by. The file is parsed (not linked: APIM takes a
// single file, and its imports, well-known types or not, name message types
// the gateway never decodes) with protocompile's parser; a syntax error is
// reported at its file:line:col. docs/grpc.md has the rules.

// protoFiles are the names a gRPC API's protobuf definition may have.
var protoFiles = []string{"specification.proto"}

// maxProtoErrors bounds the problems one broken .proto reports.
const maxProtoErrors = 20

// grpcOpInfo is what an operation of a gRPC API knows of its rpc.
type grpcOpInfo struct {
	service, method                  string // "grpc.testing.TestService", "UnaryCall"
	clientStreaming, serverStreaming bool
}

// parseProto reads a .proto's services into operations. An rpc's id (its
// operations/ID/ folder) is its name; rpcs of two services with one name
// are told apart as Service-Method.
func parseProto(file string, data []byte, errs *engine.ErrorList) []specOp {
	n := 0
	rep := reporter.NewReporter(func(err reporter.ErrorWithPos) error {
		if n < maxProtoErrors {
			errs.Add(protoPos(file, err.GetPosition()), "", "invalid .proto: %s", err.Unwrap().Error())
		}
		n++
		return nil // keep going: report every syntax error in one run
	}, nil)
	h := reporter.NewHandler(rep)
	node, err := parser.Parse(file, bytes.NewReader(data), h)
	if err != nil {
		if n == 0 && !errors.Is(err, reporter.ErrInvalidSource) {
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "invalid .proto: %s", err.Error())
		}
		return nil
	}
	res, err := parser.ResultFromAST(node, true, h)
	if err != nil || n > 0 {
		if n == 0 {
			errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "invalid .proto: %s", err.Error())
		}
		return nil
	}
	fd := res.FileDescriptorProto()
	type rpc struct {
		info grpcOpInfo
		pos  engine.Pos
	}
	var rpcs []rpc
	names := map[string]int{}
	for _, svc := range fd.GetService() {
		full := svc.GetName()
		if pkg := fd.GetPackage(); pkg != "" {
			full = pkg + "." + full
		}
		for _, m := range svc.GetMethod() {
			pos := engine.Pos{File: file, Line: 1, Col: 1}
			if mn := res.MethodNode(m); mn != nil {
				pos = protoPos(file, node.NodeInfo(mn).Start())
			}
			rpcs = append(rpcs, rpc{info: grpcOpInfo{service: full, method: m.GetName(),
				clientStreaming: m.GetClientStreaming(), serverStreaming: m.GetServerStreaming()}, pos: pos})
			names[m.GetName()]++
		}
	}
	if len(rpcs) == 0 {
		errs.Add(engine.Pos{File: file, Line: 1, Col: 1}, "", "the .proto declares no service with an rpc: a gRPC API needs at least one (or no specification.proto, to pass every call)")
		return nil
	}
	out := make([]specOp, 0, len(rpcs))
	for _, r := range rpcs {
		id := r.info.method
		if names[id] > 1 {
			short := r.info.service
			for i := len(short) - 1; i >= 0; i-- {
				if short[i] == '.' {
					short = short[i+1:]
					break
				}
			}
			id = short + "-" + r.info.method
		}
		info := r.info
		out = append(out, specOp{id: id, name: r.info.method, method: http.MethodPost,
			template: "/" + r.info.service + "/" + r.info.method, pos: r.pos, grpc: &info})
	}
	return out
}

func protoPos(file string, p ast.SourcePos) engine.Pos {
	return engine.Pos{File: file, Line: max(p.Line, 1), Col: max(p.Col, 1)}
}
