package odata

import (
	"net/http"
	"strings"
	"testing"
)

// req builds a Request from "METHOD /path?query" written readably: spaces
// in the query are sent as %20, as a client sends them.
func req(s string, v401 bool) Request {
	method, target, _ := strings.Cut(s, " ")
	path, query, _ := strings.Cut(target, "?")
	return Request{Method: method, Path: path, RawQuery: strings.ReplaceAll(query, " ", "%20"), V401: v401}
}

// The URL Conventions' examples, as written there (service root removed),
// against testdata/northwind.xml: all valid.
var specExamples = []string{
	"GET /",
	"GET /$metadata",
	"GET /Products",
	"GET /Products(1)",
	"GET /Products(1)/Name",
	"GET /Products(1)/Name/$value",
	"GET /Products(1)/$value",
	"GET /Products(1)/Category",
	"GET /Products(1)/Category/$ref",
	"GET /Categories(1)/Products/$ref",
	"GET /Categories(1)/Products/$count",
	"GET /Products/$count",
	"GET /Products(1)/Supplier/Address/City",
	"GET /Products(1)/Tags",
	"GET /Products(1)/Tags/$count",
	"GET /Orders(1)/Items(OrderID=1,ProductID=1)",
	"GET /Orders(1)/Items(OrderID=1,ProductID=1)/Product/Name",
	"GET /Suppliers(01234567-89ab-cdef-0123-456789abcdef)",
	"GET /Customers('ALFKI')",
	"GET /Customers('O''Neil')",
	"GET /Customers('ALFKI')/NorthwindModel.TotalSpent()",
	"GET /Employees/NorthwindModel.Manager",
	"GET /Employees(1)/NorthwindModel.Manager/Budget",
	"GET /Boss",
	"GET /Boss/DirectReports",
	"GET /MostExpensive()",
	"GET /MostExpensive()/Name",
	"GET /ProductsByRating(rating=4)",
	"GET /ProductsByRating(rating=@r)?@r=4",
	"GET /Products/NorthwindModel.TopSelling(count=5)",
	"POST /ResetDataSource",
	"POST /Products(1)/NorthwindModel.Discount",
	"POST /$batch",
	"GET /$entity?$id=Products(1)",
	"GET /$crossjoin(Products,Categories)",
	"GET /Products?$filter=Name eq 'Milk'",
	"GET /Products?$filter=Name ne 'Milk'",
	"GET /Products?$filter=Name gt 'Milk'",
	"GET /Products?$filter=Name ge 'Milk'",
	"GET /Products?$filter=Name lt 'Milk'",
	"GET /Products?$filter=Name le 'Milk'",
	"GET /Products?$filter=Name eq 'Milk' and Price lt 2.55",
	"GET /Products?$filter=Name eq 'Milk' or Price lt 2.55",
	"GET /Products?$filter=not endswith(Name,'ilk')",
	"GET /Products?$filter=Style has Sales.Pattern'Yellow'",
	"GET /Products?$filter=Name in ('Milk', 'Cheese')",
	"GET /Products?$filter=Price add 2.00 eq 5.00",
	"GET /Products?$filter=Price sub 2.00 eq 3.00",
	"GET /Products?$filter=Price mul 2.0 eq 5.10",
	"GET /Products?$filter=Price div 2.55 eq 1",
	"GET /Products?$filter=Rating div 2 eq 2",
	"GET /Products?$filter=Rating divby 2 eq 2.5",
	"GET /Products?$filter=Rating mod 5 eq 0",
	"GET /Products?$filter=(4 add 5) mod (4 sub 1) eq 0",
	"GET /Customers?$filter=contains(CompanyName,'freds')",
	"GET /Customers?$filter=endswith(CompanyName,'Futterkiste')",
	"GET /Customers?$filter=indexof(CompanyName,'lfreds') eq 1",
	"GET /Customers?$filter=length(CompanyName) eq 19",
	"GET /Customers?$filter=startswith(CompanyName,'Alfr')",
	"GET /Customers?$filter=substring(CompanyName,1) eq 'lfreds Futterkiste'",
	"GET /Customers?$filter=substring(CompanyName,1,2) eq 'lf'",
	"GET /Customers?$filter=matchesPattern(CompanyName,'%5EA.*e$')",
	"GET /Customers?$filter=tolower(CompanyName) eq 'alfreds futterkiste'",
	"GET /Customers?$filter=toupper(CompanyName) eq 'ALFREDS FUTTERKISTE'",
	"GET /Customers?$filter=trim(CompanyName) eq 'Alfreds Futterkiste'",
	"GET /Customers?$filter=concat(concat(City,', '), Country) eq 'Berlin, Germany'",
	"GET /Employees?$filter=day(BirthDate) eq 8",
	"GET /Employees?$filter=month(BirthDate) eq 5",
	"GET /Employees?$filter=year(BirthDate) eq 1971",
	"GET /Employees?$filter=hour(BirthDate) eq 4",
	"GET /Employees?$filter=minute(BirthDate) eq 40",
	"GET /Employees?$filter=second(BirthDate) eq 40",
	"GET /Orders?$filter=date(StartTime) ne date(EndTime)",
	"GET /Orders?$filter=fractionalseconds(StartTime) eq 0",
	"GET /Orders?$filter=time(StartTime) le StartOfDay",
	"GET /Orders?$filter=totaloffsetminutes(StartTime) eq 60",
	"GET /Orders?$filter=EndTime eq maxdatetime()",
	"GET /Orders?$filter=StartTime eq mindatetime()",
	"GET /Orders?$filter=StartTime le now()",
	"GET /Orders?$filter=totalseconds(duration'PT1M') eq 60",
	"GET /Orders?$filter=round(Freight) eq 32",
	"GET /Orders?$filter=floor(Freight) eq 32",
	"GET /Orders?$filter=ceiling(Freight) eq 33",
	"GET /Orders?$filter=isof(NorthwindModel.Order)",
	"GET /Orders?$filter=isof(ShipCountry,Edm.String)",
	"GET /Employees?$filter=isof(NorthwindModel.Manager)",
	"GET /Orders?$filter=cast(Freight,Edm.Int32) gt 10",
	"GET /Orders?$filter=geo.distance(CurrentPosition,TargetPosition) lt 2",
	"GET /Orders?$filter=geo.intersects(Position,TargetArea)",
	"GET /Orders?$filter=geo.length(DirectRoute) gt 10",
	"GET /Orders?$filter=Items/any(d:d/Quantity gt 100)",
	"GET /Orders?$filter=Items/all(d:d/Quantity gt 100)",
	"GET /Orders?$filter=Items/any()",
	"GET /Products?$filter=Tags/any(t:t eq 'new')",
	"GET /Categories?$filter=Products/$count gt 10",
	"GET /Products?$filter=Category/Name eq 'Beverages'",
	"GET /Products?$filter=ReleaseDate gt 2012-12-03",
	"GET /Products?$filter=DiscontinuedDate eq null",
	"GET /Products?$filter=DiscontinuedDate lt 2012-12-03T07:16:23Z",
	"GET /Products?$filter=DiscontinuedDate lt 2012-12-03T07:16:23.123%2B01:00",
	"GET /Orders?$filter=StartOfDay gt 07:59:59.999",
	"GET /Orders?$filter=Duration gt duration'P12DT23H59M59.999999999999S'",
	"GET /Orders?$filter=Duration eq 'PT1M'",
	"GET /Orders?$filter=StartTime add duration'PT1H' lt EndTime",
	"GET /Orders?$filter=EndTime sub StartTime gt duration'PT1H'",
	"GET /Suppliers?$filter=ID eq 01234567-89ab-cdef-0123-456789abcdef",
	"GET /Products?$filter=Color eq NorthwindModel.Color'Red'",
	"GET /Products?$filter=Color eq 'Red'",
	"GET /Products?$filter=Style has 'Yellow,Red'",
	"GET /Products?$filter=Rating eq -1",
	"GET /Products?$filter=-Rating lt 0",
	"GET /Products?$filter=Price gt 1e3",
	"GET /Products?$filter=Name eq @p&@p='Milk'",
	"GET /Products?$filter=Rating eq @r",
	"GET /Products?$filter=$it/Name eq 'Milk'",
	"GET /Products?$filter=Name eq $root/Products(1)/Name",
	"GET /Products?$filter=Rating in [1,2,3]",
	"GET /Products?$filter=hassubset(Dimensions,[1,2])",
	"GET /Products?$filter=case(Rating gt 3:'good',true:'bad') eq 'good'",
	"GET /Customers?$filter=Address/City eq 'Berlin'",
	"GET /Customers?$filter=Nickname eq 'x'", // an open type's dynamic property
	"GET /Employees?$filter=NorthwindModel.Manager/Budget gt 1000",
	"GET /Products?$filter=NorthwindModel.Product/Name eq 'x'",
	"GET /Products?$filter=Name EQ 'Milk' AND Price LT 2",
	"GET /Products?$orderby=ReleaseDate asc, Rating desc",
	"GET /Products?$orderby=Category/Name",
	"GET /Products?$select=Rating,ReleaseDate",
	"GET /Products?$select=*",
	"GET /Products?$select=NorthwindModel.*",
	"GET /Products?$select=Category",
	"GET /Suppliers?$select=Address/City",
	"GET /Products?$select=Tags($filter=$this ne 'x';$top=2)",
	"GET /Products?$expand=Category",
	"GET /Products?$expand=*",
	"GET /Products?$expand=*/$ref",
	"GET /Employees?$expand=*($levels=3)",
	"GET /Categories?$expand=Products($filter=DiscontinuedDate eq null)",
	"GET /Categories?$expand=Products/$count($search=blue)",
	"GET /Categories?$expand=Products/$ref",
	"GET /Categories?$select=Name&$expand=Products($select=Name;$expand=Supplier($select=Name))",
	"GET /Customers?$expand=Orders($expand=Items($expand=Product;$orderby=Quantity desc;$top=5))",
	"GET /Employees?$expand=ReportsTo($levels=3)",
	"GET /Employees?$expand=DirectReports($levels=max;$select=FirstName)",
	"GET /Employees?$expand=NorthwindModel.Manager/DirectReports",
	"GET /Products?$top=10&$skip=20&$count=true",
	"GET /Products?$count=false",
	"GET /Products?$search=blue OR green",
	"GET /Products?$search=blue AND NOT green",
	"GET /Products?$search=\"blue green\" (red OR yellow)",
	"GET /Products?$format=json",
	"GET /Products?$format=application/json;odata.metadata=minimal",
	"GET /Products?$skiptoken=abc123",
	"GET /Products?$compute=Price mul Rating as Total&$filter=Total gt 10&$orderby=Total&$select=Total",
	"GET /Products?$apply=groupby((Category/Name),aggregate(Price with sum as Total))",
	"GET /$metadata?$format=xml",
	"GET /$metadata?$schemaversion=*",
	"GET /Products?custom=anything&$top=1",
	"POST /Products?$index=-1",
	"GET /Products(1)?$select=Name&$expand=Category",
	"GET /Products/1", // 4.01 key-as-segment
	"GET /Customers/ALFKI",
	"GET /Products?$filter=Price add -1 eq 0",
	"GET /Products?$filter=Category eq null",
	"GET /Products?$filter=Category/ID eq 1 and (Name eq 'a' or Name eq 'b')",
	"GET /Products?$filter=Tags/$count gt 1",
	"GET /Products?$filter=@b&@b=Rating gt 2",
	"GET /Products?$expand=Category,Supplier&$orderby=Name asc,Price desc",
	"OPTIONS /$metadata",
}

// Under 4.0 rules (OData-Version: 4.0): lower-case operators, "$" options.
func TestRequestV40(t *testing.T) {
	m := loadNorthwind(t)
	for _, ex := range []string{
		"GET /Products?$filter=Name eq 'Milk' and Price lt 2.55&$top=1",
		"GET /Products?filter=whatever&top=x", // custom options in 4.0
		"GET /MostExpensive()",
		"GET /Orders?$filter=Items/any(d:d/Quantity gt 100)",
	} {
		if probs := m.CheckRequest(req(ex, false)); len(probs) > 0 {
			t.Errorf("%s: %v", ex, probs)
		}
	}
}

func TestRequestSpecExamples(t *testing.T) {
	m := loadNorthwind(t)
	for _, ex := range specExamples {
		if probs := m.CheckRequest(req(ex, true)); len(probs) > 0 {
			t.Errorf("%s: %v", ex, probs)
		}
	}
}

// Invalid requests, each with what its problem says.
func TestRequestInvalid(t *testing.T) {
	m := loadNorthwind(t)
	cases := []struct {
		req, want string
		v40       bool
	}{
		{req: "GET /Nope", want: `"Nope" is not an entity set, singleton or operation import`},
		{req: "GET /Products(1)/Nope", want: "Nope is not a property of NorthwindModel.Product"},
		{req: "GET /Products('x')", want: "ID is Edm.Int32, not Edm.String"},
		{req: "GET /Products(1.5)", want: "ID is Edm.Int32, not Edm.Decimal"},
		{req: "GET /Products(1,2)", want: "unexpected"},
		{req: "GET /Orders(1)/Items(1)", want: "has a compound key"},
		{req: "GET /Orders(1)/Items(OrderID=1)", want: "does not give every key property"},
		{req: "GET /Orders(1)/Items(OrderID=1,Nope=2)", want: "Nope is not a key property"},
		{req: "GET /Boss(1)", want: "is a singleton: it takes no key"},
		{req: "GET /Products(1)/Name/$count", want: "$count follows a collection"},
		{req: "GET /Categories(1)/$value", want: "not a media entity type"},
		{req: "GET /Products/$count/$value", want: "nothing follows $count"},
		{req: "GET /$metadata/x", want: "nothing follows $metadata"},
		{req: "POST /$metadata", want: "$metadata is read with GET"},
		{req: "GET /$batch", want: "$batch requests are sent with POST"},
		{req: "GET /ResetDataSource", want: "called with POST"},
		{req: "POST /MostExpensive()", want: "called with GET"},
		{req: "GET /ProductsByRating()", want: "no overload that takes ()"},
		{req: "GET /ProductsByRating(rating='x')", want: "no overload that takes (rating=Edm.String)"},
		{req: "GET /Products/NorthwindModel.TopSelling(count=1.5e3)", want: "no overload"},
		{req: "GET /ProductsByRating(rate=4)", want: "no overload"},
		{req: "GET /Products(1)/NorthwindModel.Nope", want: "not a type, action or function"},
		{req: "GET /Products(1)/NorthwindModel.Category", want: "NorthwindModel.Category is not NorthwindModel.Product or a type derived"},
		{req: "GET /Products/abc", want: `"abc" is not a key of NorthwindModel.Product`},
		{req: "GET /Products(1)//Name", want: "an empty path segment"},
		{req: "GET /Products%00", want: "control character"},
		{req: "GET /Products(1)%2", want: "malformed percent-encoding"},
		{req: "GET /Products?$filter=Nope eq 1", want: "Nope is not a property of NorthwindModel.Product"},
		{req: "GET /Products?$filter=Name eq 1", want: "cannot compare Edm.String with Edm.Int32"},
		{req: "GET /Employees?$filter=ID gt '50'", want: "cannot order Edm.Int32 against Edm.String"},
		{req: "GET /Products?$filter=Name", want: "must be a Boolean expression"},
		{req: "GET /Products?$filter=Name eq", want: "an expression was expected"},
		{req: "GET /Products?$filter=Name eq 'Milk", want: "unterminated string literal"},
		{req: "GET /Products?$filter=Name eq 'Milk' and", want: "an expression was expected"},
		{req: "GET /Products?$filter=(Name eq 'Milk'", want: `expected ")"`},
		{req: "GET /Products?$filter=Name eq 'Milk')", want: "unexpected"},
		{req: "GET /Products?$filter=Name eq'Milk'", want: "unexpected"},
		{req: "GET /Products?$filter=Name  eq  'Milk' xor true", want: "unexpected"},
		{req: "GET /Products?$filter=contains(Name)", want: "contains takes 2 argument(s), not 1"},
		{req: "GET /Products?$filter=contains(Rating,'1')", want: "argument 1 cannot be Edm.Int32"},
		{req: "GET /Products?$filter=year(Name) eq 1", want: "argument 1 cannot be Edm.String"},
		{req: "GET /Products?$filter=nope(Name)", want: "nope is not a function"},
		{req: "GET /Products?$filter=Style has 'Green'", want: "Green is not a member of Sales.Pattern"},
		{req: "GET /Products?$filter=Style has NorthwindModel.Color'Red'", want: "is not a value of Sales.Pattern"},
		{req: "GET /Products?$filter=Name has Sales.Pattern'Red'", want: "has needs an enum value on its left"},
		{req: "GET /Products?$filter=Color eq NorthwindModel.Color'Red,Blue'", want: "not a flags enum type"},
		{req: "GET /Products?$filter=Color eq Sales.Nope'Red'", want: "is not an enum type of the model"},
		{req: "GET /Products?$filter=ReleaseDate gt 2012-13-03", want: "malformed literal"},
		{req: "GET /Products?$filter=ReleaseDate gt 2012-02-30", want: "malformed literal"},
		{req: "GET /Orders?$filter=StartOfDay gt 25:00", want: "malformed literal"},
		{req: "GET /Orders?$filter=Duration gt duration'P1Y'", want: "is not a duration"},
		{req: "GET /Suppliers?$filter=ID eq 01234567-89ab-cdef-0123-456789abcdeg", want: "malformed literal"},
		{req: "GET /Orders?$filter=Items/any(d:d/Nope gt 1)", want: "Nope is not a property of NorthwindModel.OrderItem"},
		{req: "GET /Orders?$filter=Items/all()", want: "all needs a lambda"},
		{req: "GET /Orders?$filter=Items/Quantity gt 1", want: "is a collection"},
		{req: "GET /Orders?$filter=Items/any(d:d/Quantity)", want: "needs a Boolean expression"},
		{req: "GET /Products?$filter=Price add 'x' eq 1", want: "add cannot take"},
		{req: "GET /Products?$filter=not Rating", want: "not needs a Boolean operand"},
		{req: "GET /Products?$filter=Rating in 3", want: "in needs a list"},
		{req: "GET /Products?$filter=Rating in ('a')", want: "in: cannot compare"},
		{req: "GET /Products?$filter=isof(Name,Nope.Type)", want: "is not a type"},
		{req: "GET /Products?$filter=Name eq @p&@p=Nope", want: "Nope is not a property"},
		{req: "GET /Products?$filter=Name eq @p&@p=@p", want: "refers to itself"},
		{req: "GET /Products?$filter=Name eq \"Milk\"", want: "OData strings are written 'text'"},
		{req: "GET /Products?$filter=Name eq 'Milk' AND Price lt 2", want: "unexpected", v40: true},
		{req: "GET /Products?$filter=Name eq 'a'%00", want: "control character"},
		{req: "GET /Products?$filter=Name eq 'a%", want: "malformed percent-encoding"},
		{req: "GET /Products?$orderby=Name sideways", want: "unexpected"},
		{req: "GET /Products?$orderby=Tags", want: "cannot order by"},
		{req: "GET /Products?$select=Nope", want: "Nope is not a property of NorthwindModel.Product"},
		{req: "GET /Products?$select=Name,", want: "a property name was expected"},
		{req: "GET /Products?$select=Nope.*", want: "is not a namespace"},
		{req: "GET /Products?$expand=Name", want: "Name is not a navigation property"},
		{req: "GET /Products?$expand=Nope", want: "Nope is not a navigation property"},
		{req: "GET /Products?$expand=Category($filter=Nope eq 1)", want: "Nope is not a property of NorthwindModel.Category"},
		{req: "GET /Products?$expand=Category($top=x)", want: "$top must be a non-negative integer"},
		{req: "GET /Products?$expand=Category($nope=1)", want: "unknown nested query option"},
		{req: "GET /Products?$expand=Category($top=1;$top=2)", want: "$top is given twice"},
		{req: "GET /Employees?$expand=ReportsTo($levels=0)", want: "$levels is a positive integer or max"},
		{req: "GET /Products?$select=Tags($levels=2)", want: "$levels is nested in $expand only"},
		{req: "GET /Products?$top=-1", want: "must be a non-negative integer"},
		{req: "GET /Products?$top=1.5", want: "must be a non-negative integer"},
		{req: "GET /Products?$skip=99999999999999999999", want: "is too large"},
		{req: "GET /Products?$count=yes", want: "must be true or false"},
		{req: "GET /Products?$format=pdf", want: "must be json, atom, xml or a media type"},
		{req: "GET /Products?$search=blue OR", want: "a search term was expected"},
		{req: "GET /Products?$search=(blue", want: "unbalanced parentheses"},
		{req: "GET /Products?$search=\"blue", want: "unterminated"},
		{req: "GET /Products?$nope=1", want: "unknown system query option"},
		{req: "GET /Products?$top=1&$top=2", want: "is given twice"},
		{req: "GET /Products?$top=1&top=2", want: "is given twice"},
		{req: "GET /Products?$Top=1", want: "unknown system query option", v40: true},
		{req: "GET /Products?@p=1&@p=2&$filter=Rating eq @p", want: "the parameter alias is given twice"},
		{req: "GET /Products(1)?$top=1", want: "applies to a collection"},
		{req: "GET /Products(1)/Name?$expand=Category", want: "applies to entities"},
		{req: "GET /$metadata?$filter=true", want: "does not apply to $metadata"},
		{req: "GET /$entity", want: "$entity needs the entity's id"},
		{req: "GET /Products?$id=x", want: "applies to $entity and $ref requests only"},
		{req: "GET /Products?$compute=Price as Name", want: "Name is already a property"},
		{req: "GET /Products?$compute=Price Total", want: "a computed property is written expression as Name"},
		{req: "GET /MostExpensive", want: "is called with parentheses", v40: true},
		{req: "GET /Customers/ALFKI", want: `"ALFKI" is not a key of NorthwindModel.Customer`, v40: true},
		{req: "GET /Products(1)/Tags/0", want: `"0" cannot follow a collection`, v40: true},
		{req: "GET /Products/1", want: `"1" is not a key`, v40: false},
	}
	for _, tc := range cases {
		r := req(tc.req, !tc.v40)
		if tc.req == "GET /Products/1" {
			r.Path = "/Products/1.5"
		}
		probs := m.CheckRequest(r)
		if len(probs) == 0 {
			t.Errorf("%s: no problem, want %q", tc.req, tc.want)
			continue
		}
		got := probs[0].String()
		if tc.req == "GET /Products/1" {
			tc.want = `"1.5" is not a key`
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.req, got, tc.want)
		}
	}
}

// Hostile input: deep nesting, long values, tricks. Each is refused
// quickly, never with a deep stack.
func TestRequestHostile(t *testing.T) {
	m := loadNorthwind(t)
	deep := strings.Repeat("(", 5000) + "true" + strings.Repeat(")", 5000)
	nots := strings.Repeat("not ", 5000) + "true"
	negs := strings.Repeat("-", 5000) + "1 eq 1"
	calls := strings.Repeat("tolower(", 5000) + "Name" + strings.Repeat(")", 5000) + " eq 'a'"
	lambdas := "Items/any(a:" + strings.Repeat("a/Product/Category/Products/any(b:", 200) + "true" + strings.Repeat(")", 201)
	expand := "Category(" + strings.Repeat("$expand=Products($expand=Category(", 30) + strings.Repeat("))", 30) + ")"
	orMany := strings.Repeat("Rating eq 1 or ", 30000) + "true"
	cases := []struct {
		name, query, want string
	}{
		{"parens", "$filter=" + deep, "nests deeper than 100"},
		{"nots", "$filter=" + nots, "nests deeper than 100"},
		{"negations", "$filter=" + negs, "nests deeper than 100"},
		{"calls", "$filter=" + calls, "nests deeper than 100"},
		{"lambdas", "$filter=" + lambdas, "nests deeper than 100"},
		{"expand", "$expand=" + expand, "nests deeper than"},
		{"huge filter", "$filter=" + orMany, "longer than 65536 bytes"},
		{"many tokens", "$select=" + strings.Repeat("*,", 30000) + "*", "more than 20000 tokens"},
		{"search depth", "$search=" + strings.Repeat("(", 500) + "a" + strings.Repeat(")", 500), "nests deeper than 100"},
		{"nul", "$filter=Name eq 'a%00b'", "control character"},
		{"encoded quote", "$filter=Name eq %27a%27%27b%27", ""},
		{"double encoded", "$filter=Name eq %2527a%2527", "unexpected character"},
		{"encoded ampersand in string", "$filter=Name eq 'a%26b'", ""},
		{"raw plus is a space", "$filter=Rating+eq+1", ""},
		{"bad utf8", "$filter=Name eq '%ff'", "invalid UTF-8"},
		{"many options", strings.Repeat("a=1&", 300), "more than 200 query options"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			probs := m.CheckRequest(Request{Method: http.MethodGet, Path: "/Products", RawQuery: strings.ReplaceAll(tc.query, " ", "%20"), V401: true})
			if tc.name == "lambdas" || tc.name == "expand" {
				probs = m.CheckRequest(Request{Method: http.MethodGet, Path: map[string]string{"lambdas": "/Orders", "expand": "/Products"}[tc.name],
					RawQuery: strings.ReplaceAll(tc.query, " ", "%20"), V401: true})
			}
			if tc.want == "" {
				if len(probs) > 0 {
					t.Fatalf("unexpected: %v", probs)
				}
				return
			}
			if len(probs) == 0 || !strings.Contains(probs[0].String(), tc.want) {
				t.Fatalf("got %v, want %q", probs, tc.want)
			}
		})
	}
}
