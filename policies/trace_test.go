package policies

import (
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestTrace(t *testing.T) {
	for _, tc := range []struct {
		severity string
		level    zapcore.Level
	}{{"", zapcore.DebugLevel}, {`severity="verbose"`, zapcore.DebugLevel}, {`severity="information"`, zapcore.InfoLevel}, {`severity="error"`, zapcore.ErrorLevel}} {
		core, logs := observer.New(zapcore.DebugLevel)
		d := testDeps()
		d.Log = zap.New(core)
		plan := compile(t, d, `<trace source="my-api" `+tc.severity+`>
  <message>@("user " + context.Request.Headers.GetValueOrDefault("X-User", "?"))</message>
  <metadata name="ip" value="@(context.Request.IpAddress)"/>
  <metadata name="k" value="lit"/>
</trace>
<trace source="s" severity="error"><message>@("key {{secret}}")</message></trace>`)
		s := request("ws://gw/chat", "X-User", "bob", "Authorization", "Bearer do-not-log")
		s.SetRequestID("req-1")
		s.EnableTrace()
		if runInbound(plan, s) {
			t.Fatalf("%+v", s.LastError())
		}
		notes := s.Trace().Steps[0].Notes
		label := strings.TrimSuffix(strings.TrimPrefix(tc.severity, `severity="`), `"`)
		if label == "" {
			label = "verbose"
		}
		if len(notes) != 1 || notes[0] != "[my-api] "+label+": user bob {ip=10.1.2.3 k=lit}" {
			t.Errorf("trace notes = %q", notes)
		}
		entries := logs.FilterMessage("user bob").All()
		if len(entries) != 1 {
			t.Fatalf("%s: logs = %v", tc.severity, logs.All())
		}
		e := entries[0]
		f := e.ContextMap()
		if e.Level != tc.level || f["api"] != "test" || f["request_id"] != "req-1" || f["source"] != "my-api" || len(f) != 4 {
			t.Errorf("%s: level %v fields %v", tc.severity, e.Level, f)
		}
		if md, _ := f["metadata"].(map[string]any); md["ip"] != "10.1.2.3" || md["k"] != "lit" {
			t.Errorf("metadata = %v", f["metadata"])
		}
		if len(logs.FilterMessage("(secret)").All()) != 1 {
			t.Errorf("a secret message was not hidden: %v", logs.All())
		}
		for _, e := range logs.All() {
			if strings.Contains(e.Message, "do-not-log") || strings.Contains(e.Message, "s3cr3t") {
				t.Errorf("logged more than the message: %v", e)
			}
		}
		s.Release()
	}
}
