package csharp

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode"
)

// System.Globalization.NumberStyles and the Parse / TryParse overloads
// that take it (and an IFormatProvider), for every numeric type tollgate
// has: .NET's number parser (Number.TryParseNumber) with the invariant
// culture's symbols ("+", "-", ".", ",", "¤"), so the same text gives the
// same number, FormatException or OverflowException as in .NET.

// NumberStyles' members, with .NET's values (a [Flags] enum: plain ints
// here, as DateTimeStyles, so that | combines them).
const (
	nsAllowLeadingWhite    = 0x1
	nsAllowTrailingWhite   = 0x2
	nsAllowLeadingSign     = 0x4
	nsAllowTrailingSign    = 0x8
	nsAllowParentheses     = 0x10
	nsAllowDecimalPoint    = 0x20
	nsAllowThousands       = 0x40
	nsAllowExponent        = 0x80
	nsAllowCurrencySymbol  = 0x100
	nsAllowHexSpecifier    = 0x200
	nsAllowBinarySpecifier = 0x400

	nsInteger      = nsAllowLeadingWhite | nsAllowTrailingWhite | nsAllowLeadingSign
	nsHexNumber    = nsAllowLeadingWhite | nsAllowTrailingWhite | nsAllowHexSpecifier
	nsBinaryNumber = nsAllowLeadingWhite | nsAllowTrailingWhite | nsAllowBinarySpecifier
	nsNumber       = nsInteger | nsAllowTrailingSign | nsAllowDecimalPoint | nsAllowThousands
	nsFloat        = nsInteger | nsAllowDecimalPoint | nsAllowExponent
	nsCurrency     = nsNumber | nsAllowParentheses | nsAllowCurrencySymbol
	nsAny          = nsCurrency | nsAllowExponent

	nsDefined = nsAny | nsAllowHexSpecifier | nsAllowBinarySpecifier
)

var numberStyles = []struct {
	name string
	v    int
}{{"None", 0}, {"AllowLeadingWhite", nsAllowLeadingWhite}, {"AllowTrailingWhite", nsAllowTrailingWhite},
	{"AllowLeadingSign", nsAllowLeadingSign}, {"AllowTrailingSign", nsAllowTrailingSign}, {"AllowParentheses", nsAllowParentheses},
	{"AllowDecimalPoint", nsAllowDecimalPoint}, {"AllowThousands", nsAllowThousands}, {"AllowExponent", nsAllowExponent},
	{"AllowCurrencySymbol", nsAllowCurrencySymbol}, {"AllowHexSpecifier", nsAllowHexSpecifier},
	{"AllowBinarySpecifier", nsAllowBinarySpecifier}, {"Integer", nsInteger}, {"HexNumber", nsHexNumber},
	{"BinaryNumber", nsBinaryNumber}, {"Number", nsNumber}, {"Float", nsFloat}, {"Currency", nsCurrency}, {"Any", nsAny}}

// invariantCurrency is the invariant culture's currency symbol.
const invariantCurrency = "¤"

// numKind is the type a text is parsed to: an integral type (its intKind),
// double (float too: a float is a double here) or decimal (a Decimal).
type numKind uint8

const (
	nkDouble  numKind = 100
	nkDecimal numKind = 101
)

func (k numKind) integral() bool { return k < nkDouble }

// numBuf is a parsed number: 0.d1d2d3... × 10^scale, its sign.
type numBuf struct {
	digits  [800]byte // the significant digits (leading zeros left out)
	n       int
	tailNZ  bool // a non-zero digit past the ones kept
	nAll    int  // the digits kept with their trailing zeros (decimal keeps them: "1.50")
	scale   int
	neg     bool
	nonZero bool
}

func isWhiteNET(c byte) bool { return c == ' ' || c >= 0x09 && c <= 0x0D }

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// scanNumber is .NET's Number.TryParseNumber with the invariant culture,
// followed by its check that only '\0's follow: false where .NET gives a
// FormatException.
func scanNumber(s string, st int, k numKind, b *numBuf) bool {
	const (
		stSign = 1 << iota
		stParens
		stDigits
		stNonZero
		stDecimal
		stCurrency
	)
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	currency := ""
	if st&nsAllowCurrencySymbol != 0 {
		currency = invariantCurrency
	}
	state, i := 0, 0
	// leading white space, sign, parenthesis, currency symbol; white space
	// after a sign is not taken (the invariant NumberNegativePattern is 1)
	// unless a currency symbol came
	for {
		c := at(i)
		if !isWhiteNET(c) || st&nsAllowLeadingWhite == 0 || state&stSign != 0 && state&stCurrency == 0 {
			switch {
			case st&nsAllowLeadingSign != 0 && state&stSign == 0 && (c == '+' || c == '-'):
				state |= stSign
				b.neg = c == '-'
			case c == '(' && st&nsAllowParentheses != 0 && state&stSign == 0:
				state |= stSign | stParens
				b.neg = true
			case currency != "" && i < len(s) && strings.HasPrefix(s[i:], currency):
				state |= stCurrency
				i += len(currency) - 1
				currency = ""
			default:
				goto digits
			}
		}
		i++
	}
digits:
	for {
		c := at(i)
		switch {
		case isDigitByte(c):
			state |= stDigits
			if c != '0' || state&stNonZero != 0 {
				if b.n < len(b.digits) {
					b.digits[b.n] = c
					b.n++
				} else if c != '0' {
					b.tailNZ = true
				}
				if state&stDecimal == 0 {
					b.scale++
				}
				state |= stNonZero
			} else if state&stDecimal != 0 {
				b.scale--
			}
		case c == '.' && st&nsAllowDecimalPoint != 0 && state&stDecimal == 0:
			state |= stDecimal
		case c == ',' && st&nsAllowThousands != 0 && state&stDigits != 0 && state&stDecimal == 0:
		default:
			goto exponent
		}
		i++
	}
exponent:
	if state&stDigits == 0 {
		return false
	}
	if c := at(i); (c == 'E' || c == 'e') && st&nsAllowExponent != 0 {
		save := i
		i++
		negExp := false
		switch at(i) {
		case '+':
			i++
		case '-':
			i++
			negExp = true
		}
		if isDigitByte(at(i)) {
			exp := 0
			for isDigitByte(at(i)) {
				if exp >= 100_000_000 { // past 9 digits: .NET's "too large", an OverflowException later
					exp = math.MaxInt32
					b.scale = 0
					for isDigitByte(at(i)) {
						i++
					}
					break
				}
				exp = exp*10 + int(at(i)-'0')
				i++
			}
			if negExp {
				exp = -exp
			}
			b.scale += exp
		} else {
			i = save
		}
	}
	// trailing white space, sign, parenthesis, currency symbol
	for {
		c := at(i)
		if !isWhiteNET(c) || st&nsAllowTrailingWhite == 0 {
			switch {
			case st&nsAllowTrailingSign != 0 && state&stSign == 0 && (c == '+' || c == '-'):
				state |= stSign
				b.neg = c == '-'
			case c == ')' && state&stParens != 0:
				state &^= stParens
			case currency != "" && i < len(s) && strings.HasPrefix(s[i:], currency):
				i += len(currency) - 1
				currency = ""
			default:
				goto end
			}
		}
		i++
	}
end:
	if state&stParens != 0 {
		return false
	}
	b.nonZero = state&stNonZero != 0
	if !b.nonZero {
		if k != nkDecimal {
			b.scale = 0
		}
		if k.integral() && state&stDecimal == 0 {
			b.neg = false
		}
	}
	for ; i < len(s); i++ { // only NULs may follow, as .NET's TrailingZeros
		if s[i] != 0 {
			return false
		}
	}
	b.nAll = b.n
	if !b.tailNZ {
		for b.n > 0 && b.digits[b.n-1] == '0' {
			b.n--
		}
	}
	return true
}

// intMaxDigits is the most digits a value of each integral type has.
var intMaxDigits = [...]int{ikNone: 10, ikSByte: 3, ikByte: 3, ikShort: 5, ikUShort: 5, ikInt: 10, ikUInt: 10, ikLong: 19, ikULong: 20}

// bufInt is the parsed number in the integral type k: ok false where
// .NET's NumberToInt32 (...) fails, an OverflowException (a fraction that
// is not zero included).
func bufInt(b *numBuf, k intKind) (any, bool) {
	if b.scale > intMaxDigits[k] || b.scale < b.n || b.tailNZ || k.unsigned() && b.neg {
		return nil, false
	}
	var v uint64
	for i := 0; i < b.scale; i++ {
		d := uint64(0)
		if i < b.n {
			d = uint64(b.digits[i] - '0')
		}
		hi, lo := bits.Mul64(v, 10)
		if hi != 0 {
			return nil, false
		}
		lo += d
		if lo < d {
			return nil, false
		}
		v = lo
	}
	return intInRange(v, b.neg, k)
}

// intInRange is v (negated when neg) in the integral type k.
func intInRange(v uint64, neg bool, k intKind) (any, bool) {
	width, signed := k.bits()
	if k == ikULong {
		return v, true
	}
	if signed {
		lim := uint64(1) << (width - 1)
		if neg {
			if v > lim {
				return nil, false
			}
			return int(-int64(v)), true // v == 1<<63 wraps to MinInt64, as it must
		}
		if v >= lim {
			return nil, false
		}
		return int(v), true
	}
	if v > uint64(1)<<width-1 {
		return nil, false
	}
	return int(v), true
}

// bufFloat is the parsed number as a double, correctly rounded; past
// double's range it is an infinity, as .NET Core 3.0 and later give.
func bufFloat(b *numBuf) float64 {
	if !b.nonZero || b.n == 0 {
		if b.neg {
			return math.Copysign(0, -1)
		}
		return 0
	}
	var sb strings.Builder
	sb.Grow(b.n + 16)
	sb.WriteString("0.")
	sb.Write(b.digits[:b.n])
	if b.tailNZ {
		sb.WriteByte('1') // a sticky digit past the precision: rounds as the digits left out would
	}
	sb.WriteByte('e')
	sb.WriteString(strconv.Itoa(b.scale))
	f, _ := strconv.ParseFloat(sb.String(), 64) // ±Inf past the range, 0 below it
	if b.neg {
		f = -f
	}
	return f
}

// plainFloat reads a text .NET has read as a number and that holds only
// digits, '.', signs and 'e' (the common case) with strconv, which gives
// the same correctly rounded double without building a copy.
func plainFloat(s string) (float64, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigitByte(c), c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) { // past the range: ±Inf or 0, as .NET's
		return 0, false
	}
	return f, true
}

// scanHexBin is .NET's parse of a HexNumber or BinaryNumber style: white
// space as allowed, then digits (no sign, no "0x" or "0b"), read as the
// bits of the value. overflow: more significant digits than the type has
// bits; ok false: a FormatException (which wins over the overflow).
func scanHexBin(s string, st int, width uint) (v uint64, overflow, ok bool) {
	i := 0
	if st&nsAllowLeadingWhite != 0 {
		for i < len(s) && isWhiteNET(s[i]) {
			i++
		}
	}
	shift, base := uint(4), uint64(16)
	if st&nsAllowBinarySpecifier != 0 {
		shift, base = 1, 2
	}
	start, used := i, uint(0)
	for ; i < len(s); i++ {
		d, isDigit := hexDigitVal(s[i])
		if !isDigit || d >= base {
			break
		}
		if used == 0 && d == 0 {
			continue
		}
		used += shift
		if used > width {
			overflow = true
			continue
		}
		v = v<<shift | d
	}
	if i == start {
		return 0, false, false
	}
	if st&nsAllowTrailingWhite != 0 {
		for i < len(s) && isWhiteNET(s[i]) {
			i++
		}
	}
	for ; i < len(s); i++ {
		if s[i] != 0 {
			return 0, false, false
		}
	}
	return v, overflow, true
}

func hexDigitVal(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// checkNumberStyles refuses what .NET's ValidateParseStyleInteger (or
// ValidateParseStyleFloatingPoint) refuses, with its ArgumentException.
func checkNumberStyles(st int, k numKind) error {
	if st&^nsDefined != 0 {
		return exc("ArgumentException", "An undefined NumberStyles value is being used. (Parameter 'style')")
	}
	if st&(nsAllowHexSpecifier|nsAllowBinarySpecifier) == 0 {
		return nil
	}
	if !k.integral() {
		return exc("ArgumentException", "The number styles AllowHexSpecifier and AllowBinarySpecifier are not supported on floating point data types. (Parameter 'style')")
	}
	if st&^nsHexNumber != 0 && st&^nsBinaryNumber != 0 {
		return exc("ArgumentException", "With the AllowHexSpecifier or AllowBinarySpecifier bit set in the enum bit field, the only other valid bits that can be combined into the enum value must be AllowLeadingWhite and AllowTrailingWhite. (Parameter 'style')")
	}
	return nil
}

// numOverflow is the OverflowException of a parse into k.
func numOverflow(k numKind) error {
	if k == nkDecimal {
		return exc("OverflowException", "Value was either too large or too small for a Decimal.")
	}
	return convertOverflow(intKind(k))
}

// parseNumber is T.Parse(s, style, provider) for the numeric type k: the
// value (an int, a uint64 for a ulong, a float64), or .NET's
// ArgumentException, ArgumentNullException, FormatException or
// OverflowException.
func parseNumber(s any, st int, k numKind) (any, error) {
	if err := checkNumberStyles(st, k); err != nil {
		return nil, err
	}
	text, isStr := s.(string)
	if !isStr {
		return nil, argNull("s")
	}
	if st&(nsAllowHexSpecifier|nsAllowBinarySpecifier) != 0 {
		width, _ := intKind(k).bits()
		v, overflow, ok := scanHexBin(text, st, width)
		switch {
		case !ok:
			return nil, formatErr(text)
		case overflow:
			return nil, numOverflow(k)
		}
		return hexValue(v, intKind(k)), nil
	}
	var b numBuf
	if !scanNumber(text, st, k, &b) {
		if k == nkDouble {
			if f, ok := floatSymbol(text); ok {
				return f, nil
			}
		}
		return nil, formatErr(text)
	}
	switch k {
	case nkDouble:
		if f, ok := plainFloat(text); ok {
			return f, nil
		}
		return bufFloat(&b), nil
	case nkDecimal:
		d, ok := decFromBuf(&b)
		if !ok {
			return nil, numOverflow(k)
		}
		return d, nil
	}
	v, ok := bufInt(&b, intKind(k))
	if !ok {
		return nil, numOverflow(k)
	}
	return v, nil
}

// hexValue reads the bits v as the integral type k (int.Parse("FFFFFFFF",
// NumberStyles.HexNumber) is -1).
func hexValue(v uint64, k intKind) any {
	switch k {
	case ikULong:
		return v
	case ikSByte:
		return int(int8(v))
	case ikShort:
		return int(int16(v))
	case ikInt:
		return int(int32(v))
	case ikLong:
		return int(int64(v))
	}
	return int(v)
}

// floatSymbol reads the invariant culture's infinity and NaN symbols, as
// double.Parse does where the text is not a number (ignoring case and the
// white space around it): "Infinity", "-Infinity", "NaN", "+Infinity",
// "+NaN", "-NaN"; and "∞", "-∞", "+∞", which tollgate writes for them.
func floatSymbol(s string) (float64, bool) {
	t := strings.TrimFunc(s, unicode.IsSpace)
	switch {
	case strings.EqualFold(t, "Infinity"), t == "∞", strings.EqualFold(t, "+Infinity"), t == "+∞":
		return math.Inf(1), true
	case strings.EqualFold(t, "-Infinity"), t == "-∞":
		return math.Inf(-1), true
	case strings.EqualFold(t, "NaN"), strings.EqualFold(t, "+NaN"), strings.EqualFold(t, "-NaN"):
		return math.NaN(), true
	}
	return 0, false
}

// numTypes are the numeric types with Parse: their static name, kind, type
// and default style (Parse(s) and Parse(s, provider)).
var numTypes = []struct {
	name  string
	k     numKind
	t     *Type
	style int
}{
	{"int", numKind(ikInt), tInt, nsInteger}, {"long", numKind(ikLong), tLong, nsInteger},
	{"short", numKind(ikShort), tShort, nsInteger}, {"ushort", numKind(ikUShort), tUShort, nsInteger},
	{"uint", numKind(ikUInt), tUInt, nsInteger}, {"ulong", numKind(ikULong), tULong, nsInteger},
	{"sbyte", numKind(ikSByte), tSByte, nsInteger}, {"byte", numKind(ikByte), tByte, nsInteger},
	{"double", nkDouble, tDouble, nsFloat | nsAllowThousands}, {"float", nkDouble, tDouble, nsFloat | nsAllowThousands},
	{"Single", nkDouble, tDouble, nsFloat | nsAllowThousands}, {"decimal", nkDecimal, tDecimal, nsNumber},
}

// tProvider is IFormatProvider: CultureInfo.InvariantCulture and the
// other providers, all read as the invariant culture.
var tProvider = &Type{K: KProvider, Name: "IFormatProvider"}

func registerNumberStyles() {
	kindNames[KProvider] = "IFormatProvider"
	for _, st := range numberStyles {
		v := st.v
		staticProp("NumberStyles", st.name, tInt, func([]any) (any, error) { return v, nil }, func([]string) string { return strconv.Itoa(v) })
	}
	registerProviders()
	registerDecimal() // decimal's own statics (decimal_reg.go); its Parse below
	S, I, P := tString, tInt, tProvider
	for _, nt := range numTypes {
		nt := nt
		if statics[nt.name] == nil {
			statics[nt.name] = table{}
		}
		key := "num." + nt.name + ".Parse"
		statics[nt.name]["Parse"] = []*builtin{
			reg(&builtin{key: key + "(string)", params: ts(S), result: nt.t, run: func(a []any) (any, error) { return parseNumber(a[0], nt.style, nt.k) }}),
			reg(&builtin{key: key + "(string,NumberStyles)", params: ts(S, I), result: nt.t, run: func(a []any) (any, error) { return parseNumber(a[0], toInt(a[1]), nt.k) }}),
			reg(&builtin{key: key + "(string,IFormatProvider)", params: ts(S, P), result: nt.t, run: func(a []any) (any, error) { return parseNumber(a[0], nt.style, nt.k) }}),
			reg(&builtin{key: key + "(string,NumberStyles,IFormatProvider)", params: ts(S, I, P), result: nt.t, run: func(a []any) (any, error) { return parseNumber(a[0], toInt(a[1]), nt.k) }}),
		}
		numericStatic[nt.name] = true
		if _, ok := tryParseTypes[nt.name]; !ok {
			tryParseTypes[nt.name] = nt.t
		}
	}
	// int.Parse(s) and long.Parse(s) keep their key: lowered programs name it
	for _, typ := range []string{"double"} {
		if b := byKey[typ+".Parse/1"]; b != nil {
			nt := nkDouble
			b.run = func(a []any) (any, error) { return parseNumber(a[0], nsFloat|nsAllowThousands, nt) }
		}
	}
	registerNumberText()
	registerNumberFormats()
}

// registerProviders: CultureInfo.InvariantCulture, CurrentCulture...
// are IFormatProviders, every one read as the invariant culture.
func registerProviders() {
	for typ, names := range map[string][]string{
		"CultureInfo":        {"InvariantCulture", "CurrentCulture", "CurrentUICulture", "InvariantUICulture"},
		"NumberFormatInfo":   {"InvariantInfo", "CurrentInfo"},
		"DateTimeFormatInfo": {"InvariantInfo", "CurrentInfo"},
	} {
		for _, n := range names {
			v := n
			if typ != "CultureInfo" {
				v = strings.Replace(n, "Info", "Culture", 1)
			}
			if staticProps[typ] == nil {
				staticProps[typ] = map[string]*builtin{}
			}
			staticProps[typ][n] = reg(&builtin{key: "provider." + typ + "." + n, result: tProvider, run: func([]any) (any, error) { return v, nil }})
		}
	}
	// CultureInfo.InvariantCulture.DateTimeFormat and .NumberFormat: the
	// same culture's
	for _, p := range []string{"DateTimeFormat", "NumberFormat"} {
		prop(KProvider, p, tProvider, func(a []any) (any, error) {
			if a[0] == nil {
				return nil, errNull
			}
			return a[0], nil
		}, nil)
	}
}

// invariantProvider reports whether p is an invariant provider (as
// opposed to a current one, or null, which read as the current culture).
func invariantProvider(p any) bool {
	s, _ := p.(string)
	return strings.HasPrefix(s, "Invariant")
}

// tryParseOverloads are the overloads of Parse (ParseExact) that a
// TryParse (TryParseExact) with more than a text and an out argument
// tries: a number's TryParse(s, style, provider, out n) and (s, provider,
// out n), as .NET has them (not (s, style, out n)).
func tryParseOverloads(typ, parseAs string) []*builtin {
	cands := statics[typ][parseAs]
	if parseAs != "Parse" || !numericStatic[typ] {
		return cands
	}
	var out []*builtin
	for _, c := range cands {
		if c.params[len(c.params)-1] == tProvider {
			out = append(out, c)
		}
	}
	return out
}

var numericStatic = map[string]bool{}
