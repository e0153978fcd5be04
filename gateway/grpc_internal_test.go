package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"tollgate/engine"
)

func TestParseProtoOperations(t *testing.T) {
	src := `syntax = "proto3";
package a.b;
import "google/protobuf/empty.proto";
service One {
  rpc Get(google.protobuf.Empty) returns (google.protobuf.Empty);
  rpc Watch(Req) returns (stream Res);
}
service Two {
  rpc Get(Req) returns (Res);
  rpc Upload(stream Req) returns (Res);
  rpc Chat(stream Req) returns (stream Res);
}
`
	var errs engine.ErrorList
	ops := parseProto("s.proto", []byte(src), &errs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.id+" "+op.method+" "+op.template+" "+op.pos.String()+" "+
			map[bool]string{false: "-", true: "cs"}[op.grpc.clientStreaming]+map[bool]string{false: "-", true: "ss"}[op.grpc.serverStreaming])
	}
	want := []string{
		"One-Get POST /a.b.One/Get s.proto:5:3 --",
		"Watch POST /a.b.One/Watch s.proto:6:3 -ss",
		"Two-Get POST /a.b.Two/Get s.proto:9:3 --",
		"Upload POST /a.b.Two/Upload s.proto:10:3 cs-",
		"Chat POST /a.b.Two/Chat s.proto:11:3 csss",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// FuzzParseProto: whatever the .proto holds, reading it ends with
// operations or errors (never a panic), every error has a position in the
// file, and every operation's template is one the router takes.
func FuzzParseProto(f *testing.F) {
	f.Add(`syntax = "proto3"; package p; service S { rpc M(A) returns (stream B); }`)
	f.Add(`syntax = "proto2"; service S { rpc M(A) returns (B) { option deprecated = true; } }`)
	f.Add("service S {\n rpc M(A) returns (B)\n}")
	f.Add(`edition = "2023"; service S { rpc M(stream A) returns (B); }`)
	f.Add("")
	f.Fuzz(func(t *testing.T, src string) {
		var errs engine.ErrorList
		ops := parseProto("f.proto", []byte(src), &errs)
		for _, e := range errs {
			if e.Pos.File != "f.proto" || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("error without a position: %v", e)
			}
		}
		if len(errs) > 0 && len(ops) > 0 {
			t.Fatalf("both operations and errors: %v", errs)
		}
		var r opRouter
		for _, op := range ops {
			tpl, err := parseTemplate(op.template)
			if err != nil {
				t.Fatalf("template %q: %v", op.template, err)
			}
			o := &Operation{Info: &engine.Operation{Id: op.id, Method: op.method, UrlTemplate: op.template}, tpl: tpl}
			if err := r.add(o); err != nil {
				continue // two services or rpcs of one name: reported at load
			}
			if got, _ := r.match(http.MethodPost, op.template, ""); got != o {
				t.Fatalf("%q does not match its own operation", op.template)
			}
		}
	})
}

func TestGRPCTimeoutHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1S", time.Second, true}, {"250m", 250 * time.Millisecond, true}, {"2H", 2 * time.Hour, true},
		{"99999999n", 99999999, true}, {"100u", 100 * time.Microsecond, true}, {"3M", 3 * time.Minute, true},
		{"", 0, false}, {"S", 0, false}, {"1s", 0, false}, {"-1S", 0, false}, {"123456789S", 0, false}, {"1.5S", 0, false},
	} {
		got, ok := parseGRPCTimeout(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	for _, tc := range []struct {
		in   time.Duration
		want string
	}{{time.Second, "1000m"}, {1500 * time.Microsecond, "2m"}, {0, "0n"}, {48 * time.Hour, "172800S"}} {
		if got := formatGRPCTimeout(tc.in); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGRPCStatusMapping(t *testing.T) {
	for status, code := range map[int]int{401: 16, 403: 7, 404: 12, 429: 8, 502: 14, 503: 14, 504: 4, 408: 4, 499: 1, 500: 2, 400: 2, 200: 2, 413: 8} {
		if got := grpcCode(status); got != code {
			t.Errorf("%d: %d, want %d", status, got, code)
		}
	}
	if got := grpcEncodeMessage("50% off: ü\n"); got != "50%25 off: %C3%BC%0A" {
		t.Errorf("%q", got)
	}
	for ct, want := range map[string]bool{"application/grpc": true, "application/grpc+proto": true, "Application/GRPC;charset=x": true,
		"application/grpc-web": false, "application/json": false, "": false} {
		if isGRPCContentType(ct) != want {
			t.Errorf("%q: %v", ct, !want)
		}
	}
}
