package csharp

// JToken.DeepEquals(a, b), JValue.CreateNull(), JValue.CreateString(s) and
// token.Values<T>() (Newtonsoft.Json.Linq's Extensions), which APIM's
// table of allowed types lists.

// jDeepEquals is Json.NET's JToken.DeepEquals: the same token kind (an
// integer and a float compare by value, as JValue's comparison does), an
// object's properties compared by name in any order, an array's items in
// order; two nulls are equal.
func jDeepEquals(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case *JObject:
		y, ok := b.(*JObject)
		if !ok || len(x.Keys) != len(y.Keys) {
			return false
		}
		for _, k := range x.Keys {
			yv, has := y.M[k]
			if !has || !jDeepEquals(x.M[k], yv) {
				return false
			}
		}
		return true
	case *JArray:
		y, ok := b.(*JArray)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !jDeepEquals(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case float64:
		if y, ok := b.(float64); ok && x != x && y != y {
			return true // NaN equals NaN, as JValue's Compare has it
		}
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case Decimal: // Json.NET compares a decimal and another number as decimals
		if y, ok := jDecimalOperand(b); ok {
			return decCmp(x, y) == 0
		}
		return false
	case *JRaw:
		y, ok := b.(*JRaw)
		return ok && x.Raw == y.Raw
	}
	if y, ok := b.(Decimal); ok {
		if x, ok := jDecimalOperand(a); ok {
			return decCmp(x, y) == 0
		}
		return false
	}
	// Numbers (an integer and a float by value), dates and the rest: =='s.
	return equalNET(a, b) && sameJKind(a, b)
}

// sameJKind: a string never equals a bool or a number of the same text.
func sameJKind(a, b any) bool {
	switch a.(type) {
	case string:
		_, ok := b.(string)
		return ok
	case bool:
		_, ok := b.(bool)
		return ok
	}
	return true
}

func registerJSONValues() {
	static("JToken", "DeepEquals", ts(tJToken, tJToken), tBool, func(a []any) (any, error) { return jDeepEquals(a[0], a[1]), nil }, nil)
	static("JValue", "CreateNull", ts(), tJToken, func([]any) (any, error) { return nil, nil }, nil)
	static("JValue", "CreateString", ts(tString), tJToken, func(a []any) (any, error) { return a[0], nil }, nil)
	// token.Values<T>(): an array's items, each converted as Value<T>()
	// converts it (bind.go picks the builtin by T)
	for _, t := range []*Type{tString, tInt, tLong, tDouble, tDecimal, tBool, tJToken, tDateTime, tDTO, tJObject, tJArray} {
		t := t
		reg(&builtin{key: "JToken.Values<" + t.Name + ">/0", result: arrayOf(t), run: func(a []any) (any, error) {
			switch x := a[0].(type) {
			case nil:
				return nil, errNull
			case *JArray:
				out := make([]any, len(x.Items))
				for i, it := range x.Items {
					v, err := jtokenConvert(it, t)
					if err != nil {
						return nil, err
					}
					out[i] = v
				}
				return out, nil
			case *JObject:
				return nil, exc("NotSupportedException", "tollgate has Values<T>() for a JArray only: for a JObject's property values write Properties().Select(p => p.Value.Value<%s>())", t.Name)
			}
			return nil, exc("InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue.") // any other token is a JValue
		}})
	}
}
