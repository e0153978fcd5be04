package gateway

import (
	"encoding/json"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"tollgate/engine"
)

// mask returns fields with every secret value masked (engine.Mask), in
// every field that holds text: strings, errors, Stringers, and structured
// values (zap.Any of a struct, slice or map, object and array marshalers,
// such as the "policy trace" line's steps), which are walked.
func (c *maskCore) mask(fields []zapcore.Field) []zapcore.Field {
	secrets := c.secrets()
	if len(secrets) == 0 {
		return fields
	}
	var out []zapcore.Field
	set := func(i int, f zapcore.Field) {
		if out == nil {
			out = append([]zapcore.Field(nil), fields...)
		}
		out[i] = f
	}
	for i, f := range fields {
		var text string
		switch f.Type {
		case zapcore.StringType:
			text = f.String
		case zapcore.ByteStringType:
			if b, ok := f.Interface.([]byte); ok {
				text = string(b)
			}
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok && err != nil {
				text = err.Error()
			}
		case zapcore.StringerType:
			if st, ok := f.Interface.(interface{ String() string }); ok && st != nil {
				text = st.String()
			}
		case zapcore.ReflectType, zapcore.ObjectMarshalerType, zapcore.ArrayMarshalerType, zapcore.InlineMarshalerType:
			if v, changed := maskStructured(f, secrets); changed {
				set(i, zap.Any(f.Key, v))
			}
			continue
		default:
			continue
		}
		masked := engine.Mask(text, secrets)
		if masked == text && f.Type == zapcore.StringType {
			continue
		}
		set(i, zap.String(f.Key, masked))
	}
	if out == nil {
		return fields
	}
	return out
}

// maskStructured renders a structured field to plain values (maps, slices,
// strings, numbers), masks every string in it, and reports whether any
// changed. What cannot be rendered is replaced by a note, never printed.
func maskStructured(f zapcore.Field, secrets []string) (any, bool) {
	var v any
	switch f.Type {
	case zapcore.ReflectType:
		b, err := json.Marshal(f.Interface)
		if err != nil || json.Unmarshal(b, &v) != nil {
			return "(unprintable)", true
		}
	default:
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		if f.Type == zapcore.InlineMarshalerType {
			v = enc.Fields
		} else {
			v = enc.Fields[f.Key]
		}
	}
	changed := false
	v = maskValue(v, secrets, &changed)
	return v, changed
}

func maskValue(v any, secrets []string, changed *bool) any {
	switch x := v.(type) {
	case string:
		if m := engine.Mask(x, secrets); m != x {
			*changed = true
			return m
		}
		return x
	case []any:
		for i := range x {
			x[i] = maskValue(x[i], secrets, changed)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			mk := engine.Mask(k, secrets)
			if mk != k {
				*changed = true
			}
			out[mk] = maskValue(e, secrets, changed)
		}
		return out
	}
	return v
}
