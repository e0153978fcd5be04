package policies

import (
	"fmt"
	"net/url"
	"slices"
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

// set-variable secret="true": a token learned at run time is "(secret)" in
// its own note and REDACTED (raw, query- or path-escaped) in every note of
// the request, before and after, in wait branches too.
func TestSetVariableSecretMasksTrace(t *testing.T) {
	const tok = "tok/en+with=chars.and-more"
	plan := compile(t, testDeps(), `
<set-variable name="early" value="@("seen: " + context.Request.Headers.GetValueOrDefault("X-Tok", ""))"/>
<set-variable name="token" value="@(context.Request.Headers.GetValueOrDefault("X-Tok", ""))" secret="true"/>
<set-variable name="url" value="@("ws://svc/client/?hub=chat&id=" + urlEncode(context.Variables["token"]) + "&x=1")"/>
<set-backend-service base-url="@("ws://svc/client/" + context.Variables["token"] + "?id=" + urlEncode(context.Variables["token"]))"/>
<wait for="all">
  <choose><when condition="@(true)">
    <set-variable name="other" value="branch-secret-value" secret="true"/>
    <set-variable name="echo" value="@("other " + context.Variables["other"])"/>
  </when></choose>
</wait>
<set-variable name="after" value="@(context.Variables["other"] + " / short ab")"/>
<set-variable name="n" value="@(12345)" secret="true"/>
<set-variable name="shortsecret" value="ab" secret="true"/>`)
	s := request("ws://gw/chat", "X-Tok", tok)
	defer s.Release()
	s.EnableTrace()
	if runInbound(plan, s) {
		t.Fatalf("%+v", s.LastError())
	}
	var notes []string
	for _, st := range s.Trace().Steps {
		notes = append(notes, st.Notes...)
	}
	all := strings.Join(notes, "\n")
	for _, leak := range []string{tok, url.QueryEscape(tok), url.PathEscape(tok), "branch-secret-value", "12345"} {
		if strings.Contains(all, leak) {
			t.Errorf("the trace holds %q:\n%s", leak, all)
		}
	}
	for _, want := range []string{"early = seen: REDACTED", "token = (secret)", "url = ws://svc/client/?hub=chat&id=REDACTED&x=1",
		"backend ws://svc/client/REDACTED?id=REDACTED",
		"other = (secret)", "echo = other REDACTED", "after = REDACTED / short ab", "n = (secret)", "shortsecret = (secret)"} {
		if !strings.Contains(all, want) {
			t.Errorf("no note %q in:\n%s", want, all)
		}
	}
	if s.Variables()["token"] != tok {
		t.Errorf("the variable itself must keep its value: %v", s.Variables()["token"])
	}
}

// The legacy form of trace (APIM's first documented form): the message is
// the element's text. Both forms load and run side by side, and a <trace>
// that mixes them, or has no message at all, is a load error.
func TestTraceLegacyForm(t *testing.T) {
	for _, tc := range []struct {
		name, xml, note, msg string
	}{
		// APIM's legacy documentation example, as written.
		{"doc example", `<set-variable name="clientConnectionID" value="c-42"/>
<trace source="PetStore API">
    @((string)context.Variables["clientConnectionID"])
</trace>`, "[PetStore API] verbose: c-42", "c-42"},
		{"literal text with severity", `<trace source="s" severity="error">plain text</trace>`, "[s] error: plain text", "plain text"},
		{"expr-lang expression", `<trace source="s">@("user " + context.Request.Headers.GetValueOrDefault("X-User", "?"))</trace>`, "[s] verbose: user bob", "user bob"},
		{"secret", `<trace source="s">@("key {{secret}}")</trace>`, "[s] verbose: (secret)", "(secret)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			d := testDeps()
			d.Log = zap.New(core)
			plan := compile(t, d, tc.xml+`<trace source="new"><message>new form</message></trace>`)
			s := request("ws://gw/chat", "X-User", "bob")
			s.EnableTrace()
			defer s.Release()
			if runInbound(plan, s) {
				t.Fatalf("%+v", s.LastError())
			}
			var notes []string
			for _, st := range s.Trace().Steps {
				notes = append(notes, st.Notes...)
			}
			if !slices.Contains(notes, tc.note) || !slices.Contains(notes, "[new] verbose: new form") {
				t.Errorf("trace notes = %q, want %q and the new form's", notes, tc.note)
			}
			if len(logs.FilterMessage(tc.msg).All()) != 1 {
				t.Errorf("logs = %v, want one %q", logs.All(), tc.msg)
			}
		})
	}
	for _, tc := range []struct{ name, xml, want string }{
		{"text and message", `<trace source="s">text<message>m</message></trace>`, "both text and child elements"},
		{"text and metadata", `<trace source="s">text<metadata name="a" value="b"/></trace>`, "both text and child elements"},
		{"neither", `<trace source="s"></trace>`, "needs a <message>"},
		{"no source", `<trace>text</trace>`, `"source"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := compileErrs(testDeps(), "<policies><inbound>"+tc.xml+"</inbound><backend/><outbound/><on-error/></policies>")
			if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), tc.want) {
				t.Errorf("errors = %v, want one containing %q", errs, tc.want)
			}
		})
	}
}

// The Azure Developer CLI's API policy template writes source and message
// as expressions mixed with text: APIM loads it, and so does tollgate,
// taking both as literal text (with notices at load, golden literal-text-ok).
func TestTraceLiteralText(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	d := testDeps()
	d.Log = zap.New(core)
	plan := compile(t, d, `<trace source="@(context.Api.Name)" severity="verbose">
  <message>Call to the @(context.Api.Name)</message>
</trace>`)
	s := request("ws://gw/chat")
	s.EnableTrace()
	if runInbound(plan, s) {
		t.Fatalf("%+v", s.LastError())
	}
	if notes := s.Trace().Steps[0].Notes; len(notes) != 1 || notes[0] != "[@(context.Api.Name)] verbose: Call to the @(context.Api.Name)" {
		t.Errorf("trace notes = %q", notes)
	}
	if len(logs.FilterMessage("Call to the @(context.Api.Name)").All()) != 1 {
		t.Errorf("logs = %v", logs.All())
	}
}
