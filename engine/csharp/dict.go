package csharp

// Dictionary<string, T> members. A dictionary is a JObject at run time
// (values as JTokens), so these mirror JObject's with .NET's Dictionary
// semantics: Add throws on a duplicate key, the indexer replaces, a null
// key throws; Keys and Values come in insertion order.
var dictSet *builtin

func registerDict() {
	S, I, B, O := tString, tInt, tBool, tObject
	dict := func(v any) (*JObject, error) {
		o, ok := v.(*JObject)
		if !ok || o == nil {
			return nil, errNull
		}
		return o, nil
	}
	// entry is the dictionary and the key of a call d.M(key, ...).
	entry := func(a []any) (*JObject, string, error) {
		o, err := dict(a[0])
		if err != nil {
			return nil, "", err
		}
		k, ok := a[1].(string)
		if !ok {
			return nil, "", argNull("key")
		}
		return o, k, nil
	}
	method(KDict, "Add", ts(S, O), tVoid, func(a []any) (any, error) {
		o, k, err := entry(a)
		if err != nil {
			return nil, err
		}
		if _, dup := o.M[o.key(k)]; dup {
			return nil, exc("ArgumentException", "An item with the same key has already been added. Key: %s", k)
		}
		o.Set(k, toJToken(a[2]))
		return nil, nil
	}, nil)
	method(KDict, "TryAdd", ts(S, O), B, func(a []any) (any, error) {
		o, k, err := entry(a)
		if err != nil {
			return nil, err
		}
		if _, dup := o.M[o.key(k)]; dup {
			return false, nil // the value held stays
		}
		o.Set(k, toJToken(a[2]))
		return true, nil
	}, nil)
	method(KDict, "ContainsKey", ts(S), B, func(a []any) (any, error) {
		o, k, err := entry(a)
		if err != nil {
			return nil, err
		}
		_, has := o.M[o.key(k)]
		return has, nil
	}, nil)
	method(KDict, "Remove", ts(S), B, func(a []any) (any, error) {
		o, k, err := entry(a)
		if err != nil {
			return nil, err
		}
		return o.Remove(k), nil
	}, nil)
	dictSet = reg(&builtin{key: "Dictionary.set", run: func(a []any) (any, error) {
		o, k, err := entry(a)
		if err != nil {
			return nil, err
		}
		o.Set(k, toJToken(a[2]))
		return a[2], nil
	}})
	prop(KDict, "Keys", tStrings, func(a []any) (any, error) {
		o, err := dict(a[0])
		if err != nil {
			return nil, err
		}
		out := make([]any, len(o.Keys))
		for i, k := range o.Keys {
			out[i] = k
		}
		return out, nil
	}, nil)
	prop(KDict, "Values", tObjects, func(a []any) (any, error) {
		o, err := dict(a[0])
		if err != nil {
			return nil, err
		}
		out := make([]any, len(o.Keys))
		for i, k := range o.Keys {
			out[i] = o.M[k]
		}
		return out, nil
	}, nil)
	prop(KDict, "Count", I, func(a []any) (any, error) {
		o, err := dict(a[0])
		if err != nil {
			return nil, err
		}
		return len(o.Keys), nil
	}, nil)
}
