package csharp

import (
	"reflect"
)

// The model's maps (context.Request.Headers, context.Variables,
// Url.Query, MatchedParameters...) are IReadOnlyDictionary<string, T> in
// APIM: besides the indexer, ContainsKey, TryGetValue and their own
// GetValueOrDefault, they have Count, Keys and Values, and LINQ runs over
// their KeyValuePairs. Keys (and so Values and the pairs) come in ordinal
// order, as foreach gives them.

var mapCount, mapKeys, mapValues *builtin

// claimsView reads a JWT's claims (a field tagged csharp:"claims") as
// APIM's IReadOnlyDictionary<string, string[]>: every value a string[].
var claimsView *builtin

func registerModelMaps() {
	claimsView = reg(&builtin{key: "model.claims", run: func(a []any) (any, error) {
		m, ok := a[0].(map[string]any)
		if !ok || m == nil {
			return map[string][]string(nil), nil
		}
		out := make(map[string][]string, len(m))
		for k, v := range m {
			switch x := v.(type) {
			case nil:
			case []any:
				vals := make([]string, 0, len(x))
				for _, e := range x {
					vals = append(vals, catStr(e))
				}
				out[k] = vals
			default:
				out[k] = []string{catStr(x)}
			}
		}
		return out, nil
	}})
	mapCount = reg(&builtin{key: "map.Count", result: tInt, run: func(a []any) (any, error) {
		rv := reflect.ValueOf(a[0])
		if rv.Kind() != reflect.Map {
			return nil, errNull
		}
		return rv.Len(), nil
	}})
	mapKeys = reg(&builtin{key: "map.Keys", result: tStrings, run: func(a []any) (any, error) {
		keys, _, err := mapEntries(a[0])
		return keys, err
	}})
	mapValues = reg(&builtin{key: "map.Values", run: func(a []any) (any, error) {
		_, vals, err := mapEntries(a[0])
		return vals, err
	}})
}

// mapEntries are a model map's keys and values in the order foreach gives
// its pairs (items: ordinal order of the keys).
func mapEntries(v any) (keys, vals []any, err error) {
	if reflect.ValueOf(v).Kind() != reflect.Map {
		return nil, nil, errNull
	}
	pairs, err := items(v)
	if err != nil {
		return nil, nil, err
	}
	keys, vals = make([]any, len(pairs)), make([]any, len(pairs))
	for i, p := range pairs {
		kv := p.(*JProperty)
		keys[i], vals[i] = kv.Name, kv.Value
	}
	return keys, vals, nil
}

// isModelMap reports whether t is one of the model's maps.
func isModelMap(t *Type) bool {
	return t.K == KGo && t.Go.Kind() == reflect.Map
}

// modelMapMember binds Count, Keys and Values on a model map.
func (b *binder) modelMapMember(n *Member, xt *Type) (*Type, bool) {
	if !isModelMap(xt) {
		return nil, false
	}
	switch n.Name {
	case "Count":
		n.prop = mapCount
		return tInt, true
	case "Keys":
		n.prop = mapKeys
		return tStrings, true
	case "Values":
		n.prop = mapValues
		return arrayOf(b.m.goType(xt.Go.Elem())), true
	}
	return nil, false
}

// keyValueOf is the element type of a model map as a sequence.
func (b *binder) keyValueOf(xt *Type) *Type {
	vt := b.m.goType(xt.Go.Elem())
	return &Type{K: KKeyValue, Name: "KeyValuePair<string, " + vt.Name + ">", Elem: vt}
}
