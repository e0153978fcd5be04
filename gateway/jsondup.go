package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"tollgate/engine"
)

// checkJSONDuplicateKeys reports the names given twice in one object of
// file, one of tollgate's own JSON files (the named values file, the
// subscription keys file): encoding/json keeps the last without a word, so
// which of two values was meant could not be told. Each duplicate is an
// error at the second, naming the first's place; only names are quoted,
// never values (secrets live in these files). A file that does not exist
// or is not JSON is left to its reader.
func checkJSONDuplicateKeys(file string, errs *engine.ErrorList) {
	if file == "" {
		return
	}
	data, err := engine.ReadConfigFile(file)
	if err != nil {
		return
	}
	jsonDuplicateKeys(file, data, errs)
}

// jsonDuplicateKeys is checkJSONDuplicateKeys on file's bytes.
func jsonDuplicateKeys(file string, data []byte, errs *engine.ErrorList) {
	if jsonSyntax(data) != nil {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	type object struct {
		seen   map[string]int64 // name -> offset of its first quote
		expect bool             // the next token is a name
	}
	var stack []*object
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			return
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.expect {
			if name, ok := tok.(string); ok {
				at := keyStart(data, dec.InputOffset())
				if first, dup := top.seen[name]; dup {
					errs.Add(offsetPos(file, data, at+1), "", "%q is given twice in one object: here and at %s (which one is meant cannot be told)",
						name, offsetPos(file, data, first+1))
				} else {
					top.seen[name] = at
				}
				top.expect = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &object{seen: map[string]int64{}, expect: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			if tok == json.Delim('}') {
				stack = stack[:len(stack)-1]
			} else if len(stack) > 0 && stack[len(stack)-1] == nil {
				stack = stack[:len(stack)-1]
			}
		case json.Delim('['):
			stack = append(stack, nil)
			continue
		}
		// A value ended: in an object, a name comes next.
		if len(stack) > 0 && stack[len(stack)-1] != nil {
			stack[len(stack)-1].expect = true
		}
	}
}

// keyStart is the offset of the opening quote of the name that ends just
// before end.
func keyStart(data []byte, end int64) int64 {
	for i := end - 2; i >= 0; i-- {
		if data[i] != '"' {
			continue
		}
		bs := 0
		for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
			bs++
		}
		if bs%2 == 0 {
			return i
		}
	}
	return 0
}
