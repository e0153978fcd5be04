package csharp

import (
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Nullable<T>: the members of a value type that may be null (int?,
// DateTime?...): HasValue, Value and GetValueOrDefault. At run time such a
// value is null or the value itself. A model field of a pointer to a value
// type (*time.Time: context.Subscription.EndDate, *int) is a T? read
// through derefValue; a time.Time field tagged csharp:"nullable" (a JWT's
// ExpirationTime, zero when absent) is a DateTime? read through zeroNull.

var (
	nullableHasValue, nullableValue, nullableOr, derefValue, zeroNull, guidView *builtin
	// dateView reads a model's time.Time field (context.Timestamp) as a
	// DateTime of Kind Utc, whatever zone Go gave it; localDateView one
	// tagged csharp:"local" as local time (UTC's clock), Kind Local.
	dateView, localDateView *builtin
	nullableZero            = map[Kind]*builtin{}
)

// nullableKinds are the value types whose T? has Nullable<T>'s members.
var nullableKinds = []Kind{KInt, KDouble, KDecimal, KBool, KChar, KDateTime, KDateTimeOffset, KTimeSpan, KGuid}

func registerNullable() {
	nullableHasValue = reg(&builtin{key: "Nullable.HasValue", result: tBool,
		run:  func(a []any) (any, error) { return a[0] != nil, nil },
		expr: func(a []string) string { return "(" + a[0] + " != nil)" }})
	nullableValue = reg(&builtin{key: "Nullable.Value", run: func(a []any) (any, error) {
		if a[0] == nil {
			return nil, exc("InvalidOperationException", "Nullable object must have a value.")
		}
		return a[0], nil
	}})
	nullableOr = reg(&builtin{key: "Nullable.GetValueOrDefault(T)", run: func(a []any) (any, error) {
		if a[0] == nil {
			return a[1], nil
		}
		return a[0], nil
	}})
	for _, k := range nullableKinds {
		zero := zeroOf(&Type{K: k})
		nullableZero[k] = reg(&builtin{key: "Nullable.GetValueOrDefault()/" + kindNames[k], run: func(a []any) (any, error) {
			if a[0] == nil {
				return zero, nil
			}
			return a[0], nil
		}})
	}
	derefValue = reg(&builtin{key: "Nullable.deref", run: func(a []any) (any, error) {
		rv := reflect.ValueOf(a[0])
		if rv.Kind() != reflect.Pointer || rv.IsNil() {
			return nil, nil
		}
		switch e := rv.Elem(); e.Kind() {
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
			return int(e.Int()), nil
		case reflect.Uint8, reflect.Uint16, reflect.Uint32:
			return int(e.Uint()), nil
		case reflect.Float32, reflect.Float64:
			return e.Float(), nil
		default:
			if t, ok := e.Interface().(time.Time); ok {
				return asDateTime(t), nil // context.Subscription.EndDate: Kind Utc
			}
			return e.Interface(), nil
		}
	}})
	dateView = reg(&builtin{key: "model.date", run: func(a []any) (any, error) {
		if t, ok := a[0].(time.Time); ok {
			return asDateTime(t), nil
		}
		return a[0], nil
	}})
	localDateView = reg(&builtin{key: "model.localDate", run: func(a []any) (any, error) {
		if t, ok := a[0].(time.Time); ok {
			return t.In(locLocal), nil
		}
		return a[0], nil
	}})
	guidView = reg(&builtin{key: "model.guid", run: func(a []any) (any, error) {
		s, _ := a[0].(string)
		if u, err := uuid.Parse(s); err == nil {
			return Guid(u), nil
		}
		return requestGUID(s), nil
	}})
	zeroNull = reg(&builtin{key: "Nullable.zeroNull", run: func(a []any) (any, error) {
		if i, ok := a[0].(int); ok && i == 0 { // an int? kept as int, 0 for none
			return nil, nil
		}
		t, ok := a[0].(time.Time)
		if ok && t.IsZero() {
			return nil, nil
		}
		if ok {
			return asDateTime(t), nil // a JWT's times: Kind Utc
		}
		return a[0], nil
	}})
}

// nullableValueType reports whether t is T? for a value type T with
// Nullable<T>'s members, and gives T.
func nullableValueType(t *Type) (*Type, bool) {
	if !t.Nullable {
		return nil, false
	}
	for _, k := range nullableKinds {
		if t.K == k {
			u := *t
			u.Nullable = false
			u.Name = t.Name[:len(t.Name)-1] // "int?" -> "int"
			return &u, true
		}
	}
	return nil, false
}

// nullableMember binds HasValue and Value on a T? (not through ?.).
func (b *binder) nullableMember(n *Member, xt *Type) (*Type, bool) {
	under, ok := nullableValueType(xt)
	if !ok || n.Cond {
		return nil, false
	}
	switch n.Name {
	case "HasValue":
		n.prop = nullableHasValue
		return tBool, true
	case "Value":
		n.prop = nullableValue
		return under, true
	}
	return nil, false
}

// nullableCall binds GetValueOrDefault() and GetValueOrDefault(T) on a T?.
// ToString() on a T? is Nullable<T>.ToString: the value's text, "" when it
// is null (context.Subscription.EndDate.ToString() of a subscription that
// never ends); it is bound as the value's ToString, flagged nullText.
func (b *binder) nullableCall(n *Call, m *Member, xt *Type) (*Type, bool, error) {
	under, ok := nullableValueType(xt)
	if ok && !m.Cond && m.Name == "ToString" && len(n.Args) == 0 && len(m.TypeArgs) == 0 {
		n.nullText = true
		b.needInterp("ToString() of a nullable value")
		return nil, false, nil
	}
	if !ok || m.Cond || m.Name != "GetValueOrDefault" || len(m.TypeArgs) != 0 {
		return nil, false, nil
	}
	at, err := b.args(n.Args)
	if err != nil {
		return nil, true, err
	}
	switch len(at) {
	case 0:
		n.method = nullableZero[under.K]
	case 1:
		if err := b.paramOK(n.Args[0].X, at[0], under); err != nil {
			return nil, true, err
		}
		n.method = nullableOr
	default:
		return nil, true, b.errf(m.NameOff, "no overload for method 'GetValueOrDefault' takes %d arguments", len(at))
	}
	return under, true, nil
}

// requestGUID is the Guid of a request id that is not GUID text, so that
// context.RequestId is, as in APIM, a Guid of its own for every request.
// The gateway's ids ("d734547f-1z": 8 hex digits of the process, '-', a
// base-36 sequence number) map to one that shows both, the digits first and
// the number last: d734547f-0000-0000-0000-000000000047. Any other text
// (an id given by a test or a caller) maps to the name-based (SHA-1) UUID of
// the text, and the empty id to Guid.Empty.
func requestGUID(s string) Guid {
	if s == "" {
		return Guid{}
	}
	var g Guid
	if len(s) > 9 && s[8] == '-' {
		if p, err := hex.DecodeString(s[:8]); err == nil {
			if n, err := strconv.ParseUint(s[9:], 36, 64); err == nil {
				copy(g[:4], p)
				binary.BigEndian.PutUint64(g[8:], n)
				return g
			}
		}
	}
	return Guid(uuid.NewSHA1(uuid.NameSpaceOID, []byte(s)))
}
