package csharp

import (
	"fmt"
	"reflect"
	"sort"
)

// The model's maps (context.Request.Headers, context.Variables,
// Url.Query, MatchedParameters...) are IReadOnlyDictionary<string, T> in
// APIM: besides the indexer, ContainsKey, TryGetValue and their own
// GetValueOrDefault, they have Count, Keys and Values, and LINQ runs over
// their KeyValuePairs. Keys (and so Values and the pairs) come in ordinal
// order, as foreach gives them.

var mapCount, mapKeys, mapValues *builtin

func registerModelMaps() {
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

func mapEntries(v any) (keys, vals []any, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map {
		return nil, nil, errNull
	}
	ks := rv.MapKeys()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = fmt.Sprint(k.Interface())
	}
	order := make([]int, len(ks))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return names[order[i]] < names[order[j]] })
	keys, vals = make([]any, len(ks)), make([]any, len(ks))
	for i, o := range order {
		keys[i], vals[i] = names[o], rv.MapIndex(ks[o]).Interface()
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
