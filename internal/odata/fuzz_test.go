package odata

import (
	"net/http"
	"os"
	"testing"
)

// FuzzParseCSDL: any document is read without a panic, and every problem
// has a place in it.
func FuzzParseCSDL(f *testing.F) {
	if data, err := os.ReadFile("testdata/northwind.xml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(edmxHead + `<EntityType Name="T"><Key><PropertyRef Name="ID"/></Key><Property Name="ID" Type="Edm.Int32" Nullable="false"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="NS.T"/><FunctionImport Name="F" Function="NS.F"/></EntityContainer>` + edmxTail))
	f.Add([]byte(edmxHead + `<ComplexType Name="A" BaseType="NS.A"/><EnumType Name="E" IsFlags="true"><Member Name="x"/></EnumType>` + edmxTail))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, errs := ParseCSDL(data)
		if (m == nil) == (len(errs) == 0) {
			t.Fatalf("model %v with %d errors", m != nil, len(errs))
		}
		lines := 1
		for _, c := range data {
			if c == '\n' {
				lines++
			}
		}
		for _, e := range errs {
			if e.Pos.Line < 1 || e.Pos.Col < 1 || e.Pos.Line > lines {
				t.Fatalf("error without a place in the document: %v", e)
			}
		}
		if m != nil {
			for _, es := range m.EntitySets {
				if es.Type == nil || es.Type.Kind != KindEntity {
					t.Fatalf("entity set %s without an entity type", es.Name)
				}
			}
		}
	})
}

// FuzzCheckRequest: any path and query are checked without a panic
// against the test model, in both versions.
func FuzzCheckRequest(f *testing.F) {
	data, err := os.ReadFile("testdata/northwind.xml")
	if err != nil {
		f.Fatal(err)
	}
	m, errs := ParseCSDL(data)
	if len(errs) > 0 {
		f.Fatal(errs)
	}
	for _, ex := range specExamples {
		r := req(ex, true)
		f.Add(r.Method == http.MethodGet, r.Path, r.RawQuery, true)
	}
	f.Add(true, "/Products", "$filter=((((Name eq 'a'", false)
	f.Add(true, "/Orders(1)/Items(OrderID=1,ProductID=@p)", "@p=1&$expand=Product($expand=Category($levels=max))", true)
	f.Fuzz(func(t *testing.T, get bool, path, query string, v401 bool) {
		method := http.MethodPost
		if get {
			method = http.MethodGet
		}
		probs := m.CheckRequest(Request{Method: method, Path: path, RawQuery: query, V401: v401})
		for _, p := range probs {
			if p.Where == "" || p.Msg == "" {
				t.Fatalf("a problem without a place or a message: %+v", p)
			}
		}
	})
}
