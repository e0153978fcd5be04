package csharp

import (
	"strings"
	"unicode/utf16"
)

// String.IndexOf and LastIndexOf with a start index (and a count), and
// IndexOfAny / LastIndexOfAny: System.String is "All" in APIM's table of
// allowed types. Indexes are .NET's UTF-16 units; the search is ordinal
// (as tollgate's IndexOf(string) without a comparison is), case-blind
// with an IgnoreCase StringComparison. The argument checks and their
// messages are .NET's (String.Searching.cs).

const (
	msgIndexLessOrEqual = "Index was out of range. Must be non-negative and less than or equal to the size of the collection."
	msgCountInString    = "Count must be positive and count must refer to a location within the string/array/collection."
	msgIndexLess        = "Index was out of range. Must be non-negative and less than the size of the collection."
)

func argRange(param, msg string) error {
	return exc("ArgumentOutOfRangeException", "%s (Parameter '%s')", msg, param)
}

// u16Units is s in UTF-16 units.
func u16Units(s string) []uint16 { return utf16.Encode([]rune(s)) }

// u16Equal compares two UTF-16 runs, case-blind when fold is set.
func u16Equal(a, b []uint16, fold bool) bool {
	if !fold {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	return strings.EqualFold(string(utf16.Decode(a)), string(utf16.Decode(b)))
}

// forwardRange checks a forward search's start and count in a string of
// n units (count: the rest of the string when not given) as .NET does.
func forwardRange(n, start, count int, hasCount bool) (int, error) {
	if start < 0 || start > n {
		return 0, argRange("startIndex", msgIndexLessOrEqual)
	}
	if !hasCount {
		count = n - start
	}
	if count < 0 || count > n-start {
		return 0, argRange("count", msgCountInString)
	}
	return count, nil
}

// indexFrom is s.IndexOf(value, start, count, comparison): the first
// match lying inside s[start:start+count].
func indexFrom(s, value string, start, count int, hasCount, fold bool) (int, error) {
	u, v := u16Units(s), u16Units(value)
	count, err := forwardRange(len(u), start, count, hasCount)
	if err != nil {
		return 0, err
	}
	end := start + count
	for i := start; i+len(v) <= end; i++ {
		if u16Equal(u[i:i+len(v)], v, fold) {
			return i, nil
		}
	}
	return -1, nil
}

// lastIndexFrom is s.LastIndexOf(value, start, count, comparison): the
// last match lying inside s[start-count+1:start+1], searched from start
// back towards the beginning.
func lastIndexFrom(s, value string, start, count int, hasCount, fold bool) (int, error) {
	u, v := u16Units(s), u16Units(value)
	if !hasCount {
		count = start + 1
	}
	if len(u) == 0 && (start == -1 || start == 0) {
		if len(v) == 0 {
			return 0, nil
		}
		return -1, nil
	}
	if start < 0 || start > len(u) {
		return 0, argRange("startIndex", msgIndexLessOrEqual)
	}
	if start == len(u) { // allowed: the search starts at the last unit
		start--
		if count > 0 {
			count--
		}
	}
	if count < 0 || start-count+1 < 0 {
		return 0, argRange("count", msgCountInString)
	}
	if len(v) == 0 {
		return start, nil
	}
	lo := start - count + 1
	for i := start - len(v) + 1; i >= lo; i-- {
		if u16Equal(u[i:i+len(v)], v, fold) {
			return i, nil
		}
	}
	return -1, nil
}

// anyFrom is s.IndexOfAny(chars, start, count) (last: LastIndexOfAny).
func anyFrom(s string, chars []any, start, count int, hasStart, hasCount, last bool) (int, error) {
	u := u16Units(s)
	set := map[uint16]bool{}
	for _, c := range chars {
		cs, _ := c.(string)
		for _, x := range u16Units(cs) {
			set[x] = true
		}
	}
	if !last {
		if !hasStart {
			start = 0
		}
		count, err := forwardRange(len(u), start, count, hasCount)
		if err != nil {
			return 0, err
		}
		for i := start; i < start+count; i++ {
			if set[u[i]] {
				return i, nil
			}
		}
		return -1, nil
	}
	if len(u) == 0 {
		return -1, nil
	}
	if !hasStart {
		start = len(u) - 1
	}
	if start < 0 || start >= len(u) {
		return 0, argRange("startIndex", msgIndexLess)
	}
	if !hasCount {
		count = start + 1
	}
	if count < 0 || start-count+1 < 0 {
		return 0, argRange("count", msgCountInString)
	}
	for i := start; i > start-count; i-- {
		if set[u[i]] {
			return i, nil
		}
	}
	return -1, nil
}

// strAndValue reads a search's receiver and the text it looks for (a
// char is a one-character string here): null is .NET's
// ArgumentNullException for value.
func strAndValue(a []any) (s, v string, err error) {
	if s, err = str(a[0]); err != nil {
		return "", "", err
	}
	if a[1] == nil {
		return "", "", argNull("value")
	}
	v, _ = a[1].(string)
	return s, v, nil
}

func registerStringIndex() {
	S, I, C := tString, tInt, tCompare
	// searchArgs reads (s, value, [start, [count]], [comparison]) from a.
	type shape struct {
		params             []*Type
		hasStart, hasCount bool
		hasComparison      bool
	}
	shapes := []shape{
		{ts(S, I), true, false, false},
		{ts(S, I, I), true, true, false},
		{ts(S, I, C), true, false, true},
		{ts(S, I, I, C), true, true, true},
		{ts(tChar, I), true, false, false},
		{ts(tChar, I, I), true, true, false},
	}
	for _, name := range []string{"IndexOf", "LastIndexOf"} {
		last := name == "LastIndexOf"
		for _, sh := range shapes {
			sh := sh
			method(KString, name, sh.params, I, func(a []any) (any, error) {
				s, v, err := strAndValue(a)
				if err != nil {
					return nil, err
				}
				start, count, fold := toInt(a[2]), 0, false
				if sh.hasCount {
					count = toInt(a[3])
				}
				if sh.hasComparison {
					fold = ignoreCase(a[len(a)-1])
				}
				if last {
					return lastIndexFrom(s, v, start, count, sh.hasCount, fold)
				}
				return indexFrom(s, v, start, count, sh.hasCount, fold)
			}, nil)
		}
	}
	// LastIndexOf(string, StringComparison)
	method(KString, "LastIndexOf", ts(S, C), I, func(a []any) (any, error) {
		s, v, err := strAndValue(a)
		if err != nil {
			return nil, err
		}
		n := len(u16Units(s))
		return lastIndexFrom(s, v, n-1, n, true, ignoreCase(a[2]))
	}, nil)
	chars := arrayOf(tChar)
	for _, name := range []string{"IndexOfAny", "LastIndexOfAny"} {
		last := name == "LastIndexOfAny"
		for n, params := range [][]*Type{ts(chars), ts(chars, I), ts(chars, I, I)} {
			n := n
			method(KString, name, params, I, func(a []any) (any, error) {
				s, err := str(a[0])
				if err != nil {
					return nil, err
				}
				if a[1] == nil {
					return nil, argNull("anyOf")
				}
				cs, err := items(a[1])
				if err != nil {
					return nil, err
				}
				start, count := 0, 0
				if n >= 1 {
					start = toInt(a[2])
				}
				if n == 2 {
					count = toInt(a[3])
				}
				return anyFrom(s, cs, start, count, n >= 1, n == 2, last)
			}, nil)
		}
	}
}
