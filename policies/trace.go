package policies

import (
	"context"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/engine"
)

// <trace source="name" severity="verbose|information|error">
//
//	<message>text or @(…)</message>
//	<metadata name="k" value="text or @(…)"/>…
//
// </trace>
// Adds "[source] severity: message {k=v …}" to the request's trace (when
// tracing is on) and logs the message through Deps.Log at the matching
// level (verbose → debug, information → info, error → error) with the API
// name, the request id, the source and the metadata — nothing else from
// the request. source and <message> are required, severity defaults to
// verbose (APIM). A message or metadata value built from a secret named
// value is logged and traced as "(secret)" (tollgate; APIM shows it).
// Sections: all four.
//
// The legacy form APIM documented first, <trace source="name">text or
// @(…)</trace>, is taken too: the element's own text is the message (no
// <message> or <metadata> child then). A <trace> with both text and a
// <message> is a load error, as is one with neither.
//
// A request whose State holds a TraceSink under TraceSinkKey (the
// gateway's applicationinsights diagnostic, on a request that has spans)
// gets each message handed to it too, with its source, severity and
// metadata: the gateway records those of the diagnostic's verbosity or
// more as events of the request's span.
type trace struct {
	k        *kit
	source   string
	severity string
	level    zapcore.Level
	message  engine.Str
	meta     []traceMeta
}

type traceMeta struct {
	name  string
	value engine.Str
}

var severities = map[string]zapcore.Level{"verbose": zapcore.DebugLevel, "information": zapcore.InfoLevel, "error": zapcore.ErrorLevel}

func (k *kit) parseTrace(p *engine.Parser) engine.Step {
	t := &trace{
		k:        k,
		source:   p.LiteralText("source", true),
		severity: p.LitStr("severity", "verbose", "verbose", "information", "error"),
	}
	t.level = severities[t.severity]
	haveMsg := false
	for _, n := range p.Children() {
		c := p.Child(n)
		switch n.Name {
		case "message":
			if haveMsg {
				c.Errorf("<trace> has more than one <message>")
			}
			haveMsg = true
			t.message = c.TextStr()
		case "metadata":
			m := traceMeta{name: c.RequiredLitStr("name"), value: c.RequiredStr("value")}
			t.meta = append(t.meta, m)
		default:
			c.Errorf("unexpected element <%s> inside <trace> (want message, metadata)", n.Name)
		}
	}
	switch {
	case p.HasText() && (haveMsg || len(t.meta) > 0):
		p.Errorf("<trace> has both text and child elements: write the message either as its text (legacy form) or in <message>, not both")
	case p.HasText():
		t.message = p.TextStr() // legacy form: <trace source="…">message</trace>
	case !haveMsg:
		p.Errorf("<trace> needs a <message> (or, in the legacy form, the message as its text)")
	}
	return t
}

// TraceSinkKey is the State.SetPrivate key of a request's TraceSink.
type TraceSinkKey struct{}

// TraceSink receives a request's trace messages: severity is verbose,
// information or error, and meta holds the metadata as name, value
// pairs. It must be safe for concurrent use: the branches of <wait> call
// it from their goroutines.
type TraceSink func(ctx context.Context, source, severity, message string, meta []string)

func (t *trace) Run(ctx context.Context, s *engine.State) error {
	msg, err := evalShown(t.message, s)
	if err != nil {
		return err
	}
	vals := make([]string, len(t.meta))
	for i, m := range t.meta {
		if vals[i], err = evalShown(m.value, s); err != nil {
			return err
		}
	}
	if s.Trace() != nil {
		var b strings.Builder
		b.WriteString("[" + t.source + "] " + t.severity + ": " + msg)
		if len(t.meta) > 0 {
			b.WriteString(" {")
			for i, m := range t.meta {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(m.name + "=" + vals[i])
			}
			b.WriteByte('}')
		}
		s.Tracef("%s", b.String())
	}
	if sink, ok := s.Private(TraceSinkKey{}).(TraceSink); ok {
		meta := make([]string, 0, 2*len(t.meta))
		for i, m := range t.meta {
			meta = append(meta, m.name, vals[i])
		}
		sink(ctx, t.source, t.severity, msg, meta)
	}
	if ce := t.k.log.Check(t.level, msg); ce != nil {
		ctx := s.Context()
		api := ""
		if ctx.Api != nil {
			api = ctx.Api.Name
		}
		fields := []zap.Field{zap.String("api", api), zap.String("request_id", ctx.RequestId), zap.String("source", t.source)}
		if len(t.meta) > 0 {
			md := make([]zap.Field, len(t.meta))
			for i, m := range t.meta {
				md[i] = zap.String(m.name, vals[i])
			}
			fields = append(fields, zap.Dict("metadata", md...))
		}
		ce.Write(fields...)
	}
	return nil
}

// evalShown evaluates a value that is shown in traces and logs.
func evalShown(v engine.Str, s *engine.State) (string, error) {
	if v.Secret() {
		return "(secret)", nil
	}
	return v.Eval(s)
}
