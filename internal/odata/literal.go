package odata

import (
	"encoding/base64"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

// Literals of the common expression syntax (ABNF section 7).

var (
	reInt      = regexp.MustCompile(`^[0-9]+$`)
	reDecimal  = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	reDate     = regexp.MustCompile(`^(-?(?:0[0-9]{3}|[1-9][0-9]{3,}))-([0-9]{2})-([0-9]{2})$`)
	reTime     = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,12}))?)?$`)
	reDTO      = regexp.MustCompile(`^(-?(?:0[0-9]{3}|[1-9][0-9]{3,})-[0-9]{2}-[0-9]{2})T([0-9:.]+)(Z|[+-][0-9]{2}:[0-9]{2})$`)
	reDuration = regexp.MustCompile(`^-?P(?:([0-9]+)D)?(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$`)
	reSRID     = regexp.MustCompile(`^SRID=[0-9]{1,5};`)
)

// lit is a literal's type: its primitive type, and whether it is an
// integer literal (which fits any numeric type).
type lit struct {
	t       *Type
	integer bool
}

// numberLiteral classifies a tNumber token.
func numberLiteral(s string) (lit, bool) {
	switch {
	case reInt.MatchString(s):
		n := new(big.Int)
		n.SetString(s, 10)
		switch {
		case n.IsInt64() && n.Int64() <= 2147483647:
			return lit{Edm("Int32"), true}, true
		case n.IsInt64():
			return lit{Edm("Int64"), true}, true
		}
		return lit{Edm("Decimal"), false}, true
	case reDecimal.MatchString(s):
		if strings.ContainsAny(s, "eE") {
			return lit{Edm("Double"), false}, true
		}
		return lit{Edm("Decimal"), false}, true
	case guidAt(s, 0) && len(s) == 36:
		return lit{Edm("Guid"), false}, true
	case reDate.MatchString(s):
		return lit{Edm("Date"), false}, validDate(s)
	case reTime.MatchString(s):
		return lit{Edm("TimeOfDay"), false}, validTime(s)
	case reDTO.MatchString(s):
		m := reDTO.FindStringSubmatch(s)
		ok := validDate(m[1]) && reTime.MatchString(m[2]) && validTime(m[2])
		if z := m[3]; z != "Z" {
			h, _ := strconv.Atoi(z[1:3])
			mi, _ := strconv.Atoi(z[4:6])
			ok = ok && h <= 23 && mi <= 59
		}
		return lit{Edm("DateTimeOffset"), false}, ok
	}
	return lit{}, false
}

func validDate(s string) bool {
	m := reDate.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	y, _ := strconv.Atoi(strings.TrimPrefix(m[1], "-"))
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if mo < 1 || mo > 12 || d < 1 {
		return false
	}
	days := []int{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo-1]
	if mo == 2 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		days = 28
	}
	return d <= days
}

func validTime(s string) bool {
	m := reTime.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	sec := 0
	if m[3] != "" {
		sec, _ = strconv.Atoi(m[3])
	}
	return h <= 23 && mi <= 59 && sec <= 60
}

func validDuration(s string) bool {
	m := reDuration.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	// "P" alone, or "PT" with nothing after it, is no duration.
	return strings.TrimLeft(s, "-") != "P" && !strings.HasSuffix(s, "T")
}

// typedLiteral checks prefix'text' and returns its type: duration,
// binary, geography, geometry, or an enum type's value.
func (c *checker) typedLiteral(t token) (etype, *SyntaxError) {
	switch strings.ToLower(t.prefix) {
	case "duration":
		if !validDuration(t.text) {
			return etype{}, errAt(t.pos, "duration'%s' is not a duration (such as P1DT2H30M or PT0.5S)", t.text)
		}
		return prim("Duration"), nil
	case "binary":
		if _, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(t.text, "=")); err != nil {
			return etype{}, errAt(t.pos, "binary'…' is not base64url")
		}
		return prim("Binary"), nil
	case "geography", "geometry":
		kind, ok := geoLiteral(t.text)
		if !ok {
			return etype{}, errAt(t.pos, "%s'…' is not a spatial literal (SRID=n;Point(x y), LineString(…), Polygon(…), …)", t.prefix)
		}
		name := "Geography"
		if strings.EqualFold(t.prefix, "geometry") {
			name = "Geometry"
		}
		return prim(name + kind), nil
	}
	// An enum value: NS.EnumType'Member,Member'.
	typ := c.m.Type(t.prefix)
	if typ == nil || typ.Kind != KindEnum {
		return etype{}, errAt(t.pos, "%s'…' is no literal: %s is not an enum type of the model (nor duration, binary, geography, geometry)", t.prefix, t.prefix)
	}
	if err := checkEnumValue(typ, t.text); err != "" {
		return etype{}, errAt(t.pos, "%s", err)
	}
	return etype{t: typ, lit: true}, nil
}

// checkEnumValue checks Member or Member,Member (or integers) against an
// enum type; it returns the problem, or "".
func checkEnumValue(typ *Type, v string) string {
	parts := strings.Split(v, ",")
	if len(parts) > 1 && !typ.Flags {
		return typ.QName() + " is not a flags enum type: one member at a time"
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return "an empty enum member in '" + v + "'"
		}
		if _, err := strconv.ParseInt(p, 10, 64); err == nil {
			continue
		}
		if _, ok := typ.Members[p]; !ok {
			return p + " is not a member of " + typ.QName()
		}
	}
	return ""
}

var geoKinds = []string{"Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "Collection"}

// geoLiteral checks SRID=n;Kind(...) loosely: the kind, balanced
// parentheses, numbers inside.
func geoLiteral(s string) (string, bool) {
	loc := reSRID.FindStringIndex(s)
	if loc == nil {
		return "", false
	}
	rest := s[loc[1]:]
	kind := ""
	for _, k := range geoKinds {
		name := k
		if k == "Collection" {
			name = "GeometryCollection"
		}
		if strings.HasPrefix(rest, name+"(") && (kind == "" || len(k) > len(kind)) {
			kind = k
		}
	}
	if kind == "" {
		return "", false
	}
	depth := 0
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '(':
			depth++
			if depth > 8 {
				return "", false
			}
		case c == ')':
			depth--
			if depth < 0 {
				return "", false
			}
		case c == ',' || c == ' ' || c == '.' || c == '-' || c == '+' || (c >= '0' && c <= '9') || c == 'e' || c == 'E':
		case (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'):
		default:
			return "", false
		}
	}
	return kind, depth == 0 && strings.HasSuffix(rest, ")")
}
