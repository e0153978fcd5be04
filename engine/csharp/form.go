package csharp

import (
	"net/url"
	"strings"
)

// Form is Body.AsFormUrlEncodedContent(): fields in the order they came,
// each with its values.
type Form struct {
	keys []string
	m    map[string]*FormList
}

// FormList is one field's values.
type FormList struct{ Items []string }

func parseForm(s string) *Form {
	f := &Form{m: map[string]*FormList{}}
	for _, part := range strings.Split(s, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		f.get(k).Items = append(f.get(k).Items, v)
	}
	return f
}

// get returns the field's values, adding an empty field when it is not
// there (so form["new"].Add("v") works, as in APIM's example).
func (f *Form) get(k string) *FormList {
	if l, ok := f.m[k]; ok {
		return l
	}
	l := &FormList{}
	f.keys = append(f.keys, k)
	f.m[k] = l
	return l
}

func (f *Form) remove(k string) bool {
	if _, ok := f.m[k]; !ok {
		return false
	}
	delete(f.m, k)
	for i, kk := range f.keys {
		if kk == k {
			f.keys = append(f.keys[:i:i], f.keys[i+1:]...)
			break
		}
	}
	return true
}

// encode is ToFormUrlEncodedContent(): fields in order, values repeated.
func (f *Form) encode() string {
	var b strings.Builder
	for _, k := range f.keys {
		for _, v := range f.m[k].Items {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}
