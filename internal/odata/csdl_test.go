package odata

import (
	"os"
	"strings"
	"testing"
)

func loadNorthwind(t testing.TB) *Model {
	t.Helper()
	data, err := os.ReadFile("testdata/northwind.xml")
	if err != nil {
		t.Fatal(err)
	}
	m, errs := ParseCSDL(data)
	if len(errs) > 0 {
		t.Fatalf("northwind.xml: %v", errs)
	}
	return m
}

func TestCSDLNorthwind(t *testing.T) {
	m := loadNorthwind(t)
	if m.Version != "4.01" || m.Container != "NorthwindModel.Container" {
		t.Errorf("version %q container %q", m.Version, m.Container)
	}
	p := m.EntitySets["Products"]
	if p == nil || p.Type.QName() != "NorthwindModel.Product" || !p.Type.HasStream {
		t.Fatalf("Products: %+v", p)
	}
	if pr := p.Type.Property("Price"); pr == nil || pr.Type.Type.Kind != KindTypeDef || base(pr.Type.Type).Name != "Decimal" {
		t.Errorf("Price: %+v", pr)
	}
	if n := p.Type.Navigation("Category"); n == nil || n.Type.Collection || n.Type.Type.Name != "Category" {
		t.Errorf("Category: %+v", n)
	}
	if e := m.EntitySets["Employees"]; e == nil || e.Type.Name != "Employee" { // by alias NW
		t.Errorf("Employees: %+v", e)
	}
	if b := m.Singletons["Boss"]; b == nil || b.Type.Base == nil || b.Type.Base.Name != "Employee" || len(b.Type.KeyOf()) != 1 {
		t.Errorf("Boss: %+v", b)
	}
	if k := m.EntitySets["Orders"].Type.Navigation("Items").Type.Type.KeyOf(); len(k) != 2 {
		t.Errorf("OrderItem key: %v", k)
	}
	if im := m.Imports["ProductsByRating"]; im == nil || im.Action || len(im.Ops) != 1 {
		t.Errorf("ProductsByRating: %+v", im)
	}
	if im := m.Imports["ResetDataSource"]; im == nil || !im.Action {
		t.Errorf("ResetDataSource: %+v", im)
	}
	if en := m.Type("Sales.Pattern"); en == nil || !en.Flags || en.Members["Yellow"] != 4 {
		t.Errorf("Sales.Pattern: %+v", en)
	}
	if x := m.Type("Core.Description"); x == nil || x.Kind != KindExternal {
		t.Errorf("a referenced namespace's type: %+v", x)
	}
}

const edmxHead = `<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
<edmx:DataServices>
<Schema Namespace="NS" xmlns="http://docs.oasis-open.org/odata/ns/edm">
`
const edmxTail = `</Schema>
</edmx:DataServices>
</edmx:Edmx>
`

// TestCSDLErrors: each bad document is reported at the right line and
// column (lines counted from the document's first, edmxHead's 3 lines
// before the body).
func TestCSDLErrors(t *testing.T) {
	okSet := `<EntityType Name="T"><Key><PropertyRef Name="ID"/></Key><Property Name="ID" Type="Edm.Int32" Nullable="false"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="NS.T"/></EntityContainer>
`
	cases := []struct {
		name, doc, want string
	}{
		{"good", edmxHead + okSet + edmxTail, ""},
		{"not xml", "<edmx:Edmx", "1:11: invalid XML"},
		{"empty", "", "1:1: the metadata document is empty"},
		{"v3", `<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"/>`, "1:1: this is OData v2/v3 metadata"},
		{"wrong root", `<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm"/>`, "1:1: an OData v4 metadata document starts with"},
		{"version", `<edmx:Edmx Version="5.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices/></edmx:Edmx>`,
			"1:21: edmx:Edmx Version must be 4.0 or 4.01"},
		{"no container", edmxHead + `<ComplexType Name="A"/>` + "\n" + edmxTail, "1:1: the metadata has no EntityContainer"},
		{"unknown type", edmxHead + `<EntityType Name="T"><Key><PropertyRef Name="ID"/></Key>
  <Property Name="ID" Type="Edm.Int32" Nullable="false"/>
  <Property Name="X" Type="NS.Nope"/></EntityType>
<EntityContainer Name="C"><EntitySet Name="Ts" EntityType="NS.T"/></EntityContainer>
` + edmxTail, `6:28: type "NS.Nope" is not defined`},
		{"no key", edmxHead + `<EntityType Name="T"><Property Name="ID" Type="Edm.Int32"/></EntityType>
<EntityContainer Name="C"/>
` + edmxTail, "4:1: entity type NS.T has no key"},
		{"bad key ref", edmxHead + `<EntityType Name="T"><Key><PropertyRef Name="Id"/></Key><Property Name="ID" Type="Edm.Int32" Nullable="false"/></EntityType>
<EntityContainer Name="C"/>
` + edmxTail, `4:46: key property "Id" is not a property of NS.T`},
		{"nullable key", edmxHead + `<EntityType Name="T"><Key><PropertyRef Name="ID"/></Key><Property Name="ID" Type="Edm.Int32"/></EntityType>
<EntityContainer Name="C"/>
` + edmxTail, `4:46: key property ID of NS.T must be Nullable="false"`},
		{"duplicate property", edmxHead + `<ComplexType Name="A"><Property Name="X" Type="Edm.String"/>
<Property Name="X" Type="Edm.String"/></ComplexType><EntityContainer Name="C"/>
` + edmxTail, "5:17: NS.A has two members named X"},
		{"base cycle", edmxHead + `<ComplexType Name="A" BaseType="NS.B"/><ComplexType Name="B" BaseType="NS.A"/><EntityContainer Name="C"/>
` + edmxTail, "4:1: NS.A: its base types form a cycle"},
		{"nav to complex", edmxHead + `<ComplexType Name="A"/><EntityType Name="T"><Key><PropertyRef Name="ID"/></Key><Property Name="ID" Type="Edm.Int32" Nullable="false"/>
<NavigationProperty Name="N" Type="NS.A"/></EntityType><EntityContainer Name="C"/>
` + edmxTail, "5:36: navigation property N must have an entity type"},
		{"set of unknown type", edmxHead + `<EntityContainer Name="C"><EntitySet Name="S" EntityType="NS.Gone"/></EntityContainer>
` + edmxTail, `4:59: S: entity type "NS.Gone" is not defined`},
		{"import of nothing", edmxHead + `<EntityContainer Name="C"><FunctionImport Name="F" Function="NS.F"/></EntityContainer>
` + edmxTail, `4:62: F imports "NS.F", which is no unbound function`},
		{"unknown element", edmxHead + `<EntityTipe Name="T"/><EntityContainer Name="C"/>
` + edmxTail, "4:1: unexpected element <EntityTipe> in <Schema>"},
		{"two containers", edmxHead + `<EntityContainer Name="C"/><EntityContainer Name="D"/>
` + edmxTail, "4:28: a second EntityContainer"},
		{"enum member value", edmxHead + `<EnumType Name="E"><Member Name="A" Value="x"/></EnumType><EntityContainer Name="C"/>
` + edmxTail, "4:44: enum member A: Value must be an integer"},
		{"function without return", edmxHead + `<Function Name="F"/><EntityContainer Name="C"/>
` + edmxTail, "4:1: function NS.F needs a ReturnType"},
		{"text", edmxHead + `oops<EntityContainer Name="C"/>
` + edmxTail, "4:1: unexpected text in <Schema>"},
		{"deep", edmxHead + strings.Repeat("<Annotation>", 200) + edmxTail, "elements nested deeper than 128"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, errs := ParseCSDL([]byte(tc.doc))
			if tc.want == "" {
				if len(errs) > 0 || m == nil {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatalf("no error, want %q", tc.want)
			}
			if m != nil {
				t.Errorf("a model came back with errors")
			}
			if got := errs[0].Error(); !strings.Contains(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}
