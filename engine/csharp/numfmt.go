package csharp

import (
	"math"
	"strconv"
	"strings"
)

// Numbers as .NET formats them, in the invariant culture (".", ",", "¤";
// but for "∞" and "-∞", which tollgate writes as en-US does): the standard format strings (C, D, E, F, G, N, P, R,
// X with a precision) and the custom ones (0 # . , % ‰ E0 \ 'literal' ;),
// as .NET Core 3.0 and later write them. A number is first turned into
// its decimal digits and their place (fmtDigits, .NET's NumberBuffer), then
// laid out by the format:
//
//   - an integral value's digits are exact, and its rounding (E, G5,
//     custom formats) takes a 5 up, away from zero;
//   - a double's digits, for a standard format, are its exact binary value
//     correctly rounded to the precision asked for, an exact tie going to
//     the even digit (strconv does that, as .NET's Dragon4); for a custom
//     format, 15 significant digits rounded that way, then rounded to the
//     format's places with a 5 going up (.NET's back-compat rule).
//
// float is a double here (types.go): it formats as a double; decimal has
// its own digits (decimal.go's formatDecimalNET).

// fmtKind is what the digits come from: it decides the rounding and
// whether a negative zero keeps its sign.
type fmtKind uint8

const (
	fmtInteger fmtKind = iota
	fmtFloat
)

// fmtDigits is a number as digits: 0.d1d2d3... × 10^scale, without leading
// or trailing zeros (no digit at all for zero).
type fmtDigits struct {
	dig   []byte
	scale int
	neg   bool
	kind  fmtKind
}

func errBadFormat() error { return exc("FormatException", "Format specifier was invalid.") }

// maxPrecision is .NET 7's largest precision specifier.
const maxPrecision = 999_999_999

// parseNumFormat is .NET's ParseFormatSpecifier: a letter and an optional
// precision is a standard format (c, precision; -1 without one); anything
// else is custom (c == 0). An empty format is "G".
func parseNumFormat(f string) (c byte, prec int, err error) {
	if f == "" {
		return 'G', -1, nil
	}
	c = f[0]
	if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
		if len(f) == 1 {
			return c, -1, nil
		}
		n, i := 0, 1
		for ; i < len(f) && f[i] >= '0' && f[i] <= '9'; i++ {
			n = n*10 + int(f[i]-'0')
			if n > maxPrecision {
				return 0, 0, errBadFormat()
			}
		}
		if i == len(f) {
			return c, n, nil
		}
	}
	return 0, -1, nil
}

// intBuf is an integral value as digits.
func intBuf(neg bool, u uint64) fmtDigits {
	s := strconv.AppendUint(make([]byte, 0, 20), u, 10)
	return trimBuf(fmtDigits{dig: s, scale: len(s), neg: neg && u != 0, kind: fmtInteger})
}

// trimBuf drops leading and trailing zeros (a leading one moves the scale).
func trimBuf(n fmtDigits) fmtDigits {
	i := 0
	for i < len(n.dig) && n.dig[i] == '0' {
		i++
	}
	n.dig = n.dig[i:]
	n.scale -= i
	j := len(n.dig)
	for j > 0 && n.dig[j-1] == '0' {
		j--
	}
	n.dig = n.dig[:j]
	if len(n.dig) == 0 {
		n.scale = 0
	}
	return n
}

// floatBufE is |f| correctly rounded to sig significant digits (-1: the
// shortest text that reads back as f).
func floatBufE(f float64, sig int) fmtDigits {
	n := fmtDigits{neg: math.Signbit(f), kind: fmtFloat}
	if f == 0 {
		return n
	}
	p := sig - 1
	if sig < 0 {
		p = -1
	}
	s := strconv.FormatFloat(math.Abs(f), 'e', p, 64)
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	d := make([]byte, 0, len(mant))
	for i := 0; i < len(mant); i++ {
		if mant[i] != '.' {
			d = append(d, mant[i])
		}
	}
	n.dig, n.scale = d, e+1
	return trimBuf(n)
}

// floatBufF is |f| correctly rounded to places digits after the point.
func floatBufF(f float64, places int) fmtDigits {
	n := fmtDigits{neg: math.Signbit(f), kind: fmtFloat}
	if f == 0 {
		return n
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', places, 64)
	ip, fp, _ := strings.Cut(s, ".")
	n.dig = []byte(ip + fp)
	n.scale = len(ip)
	return trimBuf(n)
}

// round is .NET's RoundNumber: the digits cut at pos (a place counted from
// the first digit), a 5 there going up where the digits are not already
// correctly rounded (exact ones: integers; a double's for custom formats).
func (n *fmtDigits) round(pos int, correct bool) {
	i := 0
	for i < pos && i < len(n.dig) {
		i++
	}
	if i == pos && pos >= 0 && i < len(n.dig) && !correct && n.dig[i] >= '5' {
		for i > 0 && n.dig[i-1] == '9' {
			i--
		}
		if i > 0 {
			d := append([]byte(nil), n.dig[:i]...)
			d[i-1]++
			n.dig = d
		} else {
			n.scale++
			n.dig = []byte{'1'}
			i = 1
		}
	} else {
		if pos < 0 {
			i = 0
		}
		for i > 0 && n.dig[i-1] == '0' {
			i--
		}
	}
	n.dig = n.dig[:i]
	if i == 0 {
		if n.kind != fmtFloat {
			n.neg = false
		}
		n.scale = 0
	}
}

// digit is the i-th digit, '0' past the end.
func (n *fmtDigits) digit(i int) byte {
	if i >= 0 && i < len(n.dig) {
		return n.dig[i]
	}
	return '0'
}

// formatNumberNET is v.ToString(format) for a number v (int, int64,
// uint64, float64); ik is its static integral type (ikNone where it is not
// known: a boxed value), which decides the bits "X" writes of a negative
// value.
func formatNumberNET(v any, ik intKind, format string) (string, error) {
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		return formatFloatNET(f, 0, -1, format)
	}
	c, prec, err := parseNumFormat(format)
	if err != nil {
		return "", err
	}
	if prec > 99 {
		return "", errPrecision(format)
	}
	var s string
	if f, ok := v.(float64); ok {
		s, err = formatFloatNET(f, c, prec, format)
	} else {
		s, err = formatIntNET(v, ik, c, prec, format)
	}
	if err == nil && len(s) > MaxString {
		return "", errString
	}
	return s, err
}

func formatIntNET(v any, ik intKind, c byte, prec int, format string) (string, error) {
	var neg bool
	var u uint64
	switch x := v.(type) {
	case uint64:
		u = x
	default:
		i := int64(intOf(v))
		neg, u = i < 0, uint64(i)
		if neg {
			u = -u
		}
	}
	up := c &^ 0x20
	switch {
	case up == 'G' && prec < 1 || up == 'D':
		s := strconv.FormatUint(u, 10)
		if len(s) < prec {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		if neg {
			s = "-" + s
		}
		return s, nil
	case up == 'X':
		bits := u
		if neg {
			w := uint(32)
			switch ik {
			case ikNone:
				return "", exc("NotSupportedException", "tollgate cannot format the negative value %d with '%s' here: its integral type (and so the bits .NET writes) is not known once it is boxed as an object; format it with ToString(\"%s\") on a typed value", -int64(u), format, format)
			case ikSByte:
				w = 8
			case ikShort:
				w = 16
			case ikLong:
				w = 64
			}
			bits = -u
			if w < 64 {
				bits &= 1<<w - 1
			}
		}
		s := strconv.FormatUint(bits, 16)
		if c == 'X' {
			s = strings.ToUpper(s)
		}
		if len(s) < prec {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return s, nil
	case up == 'B':
		return "", errBinaryFormat(format)
	}
	n := intBuf(neg, u)
	if c == 0 {
		return customNumberNET(n, format), nil
	}
	return standardNumber(n, c, prec)
}

// errPrecision: a precision past 99 is a FormatException before .NET 6,
// digits since.
func errPrecision(format string) error {
	return exc("NotSupportedException", "the format '%s' is not supported in policy expressions: a precision past 99 is a FormatException before .NET 6 and digits since, and which one APIM runs is not documented", format)
}

// errBinaryFormat: "B" is .NET 8's and a FormatException before it: which
// one APIM's gateway runs is not documented.
func errBinaryFormat(format string) error {
	return exc("NotSupportedException", "the format '%s' is not supported in policy expressions: .NET 8 writes binary digits for it, earlier versions throw a FormatException, and which one APIM runs is not documented", format)
}

func formatFloatNET(f float64, c byte, prec int, format string) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) { // whatever the format, as .NET
		switch {
		case math.IsNaN(f):
			return "NaN", nil
		case f > 0:
			return "∞", nil
		}
		return "-∞", nil
	}
	if c == 0 { // custom: 15 significant digits first
		return customNumberNET(floatBufE(f, 15), format), nil
	}
	var n fmtDigits
	max := prec
	switch c &^ 0x20 {
	case 'C', 'F', 'N':
		if prec < 0 {
			prec = 2
		}
		n = floatBufF(f, prec)
	case 'P':
		if prec < 0 {
			prec = 2
		}
		n = floatBufF(f, prec+2)
	case 'E':
		if prec < 0 {
			prec = 6
		}
		n = floatBufE(f, prec+1)
	case 'G':
		if prec == 0 {
			prec = -1
		}
		n = floatBufE(f, prec)
		if prec == -1 {
			max = max17(len(n.dig))
		}
	case 'R':
		n = floatBufE(f, -1)
		max = max17(len(n.dig))
		c -= 'R' - 'G'
	default:
		return "", errBadFormat()
	}
	return standardNumber(n, c, max)
}

func max17(d int) int {
	if d > 17 {
		return d
	}
	return 17
}

// standardNumber is .NET's NumberToString: C, F, N, E, G, P of a number's
// digits (D and X of integers, R of doubles are done before).
func standardNumber(n fmtDigits, c byte, prec int) (string, error) {
	correct := n.kind == fmtFloat
	var b strings.Builder
	switch c {
	case 'C', 'c':
		if prec < 0 {
			prec = 2
		}
		n.round(n.scale+prec, correct)
		if n.neg {
			b.WriteString("(¤")
			fixedDigits(&b, &n, prec, true)
			b.WriteByte(')')
		} else {
			b.WriteString("¤")
			fixedDigits(&b, &n, prec, true)
		}
	case 'F', 'f', 'N', 'n':
		if prec < 0 {
			prec = 2
		}
		n.round(n.scale+prec, correct)
		if n.neg {
			b.WriteByte('-')
		}
		fixedDigits(&b, &n, prec, c == 'N' || c == 'n')
	case 'E', 'e':
		if prec < 0 {
			prec = 6
		}
		prec++
		n.round(prec, correct)
		if n.neg {
			b.WriteByte('-')
		}
		b.WriteByte(n.digit(0))
		if prec != 1 {
			b.WriteByte('.')
		}
		for i := 1; i < prec; i++ {
			b.WriteByte(n.digit(i))
		}
		e := 0
		if len(n.dig) > 0 {
			e = n.scale - 1
		}
		exponent(&b, e, c, 3, true)
	case 'G', 'g':
		if prec < 1 {
			prec = len(n.dig)
		}
		n.round(prec, correct)
		if n.neg {
			b.WriteByte('-')
		}
		general(&b, &n, prec, c-('G'-'E'))
	case 'P', 'p':
		if prec < 0 {
			prec = 2
		}
		n.scale += 2
		if len(n.dig) == 0 {
			n.scale = 0
		}
		n.round(n.scale+prec, correct)
		if n.neg {
			b.WriteByte('-')
		}
		fixedDigits(&b, &n, prec, true)
		b.WriteString(" %")
	default:
		return "", errBadFormat()
	}
	return b.String(), nil
}

// fixedDigits is .NET's FormatFixed: the integral digits (grouped by three
// with ","), then prec places.
func fixedDigits(b *strings.Builder, n *fmtDigits, prec int, group bool) {
	if n.scale > 0 {
		for i := 0; i < n.scale; i++ {
			if group && i > 0 && (n.scale-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteByte(n.digit(i))
		}
	} else {
		b.WriteByte('0')
	}
	if prec > 0 {
		b.WriteByte('.')
		for i := 0; i < prec; i++ {
			b.WriteByte(n.digit(n.scale + i))
		}
	}
}

// exponent writes e+ddd: a sign (always "-" for a negative one, "+" when
// plus), at least min digits.
func exponent(b *strings.Builder, e int, c byte, min int, plus bool) {
	b.WriteByte(c)
	if e < 0 {
		b.WriteByte('-')
		e = -e
	} else if plus {
		b.WriteByte('+')
	}
	s := strconv.Itoa(e)
	for i := len(s); i < min; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

// general is .NET's FormatGeneral: fixed-point notation unless the
// exponent is past the precision or below -4.
func general(b *strings.Builder, n *fmtDigits, max int, expChar byte) {
	pos := n.scale
	sci := false
	if pos > max || pos < -3 {
		pos, sci = 1, true
	}
	i := 0
	if pos > 0 {
		for ; i < pos; i++ {
			b.WriteByte(n.digit(i))
		}
	} else {
		b.WriteByte('0')
	}
	if i < len(n.dig) || pos < 0 {
		b.WriteByte('.')
		for ; pos < 0; pos++ {
			b.WriteByte('0')
		}
		for ; i < len(n.dig); i++ {
			b.WriteByte(n.dig[i])
		}
	}
	if sci {
		e := 0
		if len(n.dig) > 0 {
			e = n.scale - 1
		}
		exponent(b, e, expChar, 2, true)
	}
}

// numSection finds the start of section k (0: positive, 1: negative, 2:
// zero) of a custom format, 0 where there is none (.NET's FindSection).
func numSection(f string, k int) int {
	if k == 0 {
		return 0
	}
	for i := 0; i < len(f); i++ {
		switch c := f[i]; c {
		case '\'', '"':
			for i++; i < len(f) && f[i] != c; i++ {
			}
		case '\\':
			i++
		case ';':
			if k--; k != 0 {
				continue
			}
			if i+1 < len(f) && f[i+1] != ';' {
				return i + 1
			}
			return 0
		}
	}
	return 0
}

// customNumberNET is .NET's NumberToStringFormat: a custom numeric
// format of up to three sections.
func customNumberNET(n fmtDigits, f string) string {
	correct := false // integers exact, a double's 15 digits: a 5 goes up
	sectionOf := func(n *fmtDigits) int {
		switch {
		case len(n.dig) == 0:
			return numSection(f, 2)
		case n.neg:
			return numSection(f, 1)
		}
		return 0
	}
	section := sectionOf(&n)
	var digitCount, decimalPos, firstDigit, lastDigit, thousandPos, thousandCount, scaleAdjust int
	var scientific, thousandSeps bool
	for {
		digitCount, decimalPos, firstDigit, lastDigit = 0, -1, math.MaxInt32, 0
		scientific, thousandPos, thousandSeps, scaleAdjust, thousandCount = false, -1, false, 0, 0
	scan:
		for i := section; i < len(f); i++ {
			switch c := f[i]; c {
			case ';':
				break scan
			case '#':
				digitCount++
			case '0':
				if firstDigit == math.MaxInt32 {
					firstDigit = digitCount
				}
				digitCount++
				lastDigit = digitCount
			case '.':
				if decimalPos < 0 {
					decimalPos = digitCount
				}
			case ',':
				if digitCount > 0 && decimalPos < 0 {
					if thousandPos >= 0 {
						if thousandPos == digitCount {
							thousandCount++
							continue
						}
						thousandSeps = true
					}
					thousandPos, thousandCount = digitCount, 1
				}
			case '%':
				scaleAdjust += 2
			case '\'', '"':
				for i++; i < len(f) && f[i] != c; i++ {
				}
			case '\\':
				i++
			case 'E', 'e':
				if i+1 < len(f) && f[i+1] == '0' || i+2 < len(f) && (f[i+1] == '+' || f[i+1] == '-') && f[i+2] == '0' {
					i++
					for i+1 < len(f) && f[i+1] == '0' {
						i++
					}
					scientific = true
				}
			default:
				if strings.HasPrefix(f[i:], "‰") {
					scaleAdjust += 3
					i += len("‰") - 1
				}
			}
		}
		if decimalPos < 0 {
			decimalPos = digitCount
		}
		if thousandPos >= 0 {
			if thousandPos == decimalPos {
				scaleAdjust -= thousandCount * 3
			} else {
				thousandSeps = true
			}
		}
		if len(n.dig) > 0 {
			n.scale += scaleAdjust
			pos := n.scale + digitCount - decimalPos
			if scientific {
				pos = digitCount
			}
			n.round(pos, correct)
			if len(n.dig) == 0 {
				if s := numSection(f, 2); s != section {
					section = s
					continue
				}
			}
		} else {
			if n.kind != fmtFloat {
				n.neg = false
			}
			n.scale = 0
		}
		break
	}
	if firstDigit < decimalPos {
		firstDigit = decimalPos - firstDigit
	} else {
		firstDigit = 0
	}
	if lastDigit > decimalPos {
		lastDigit = decimalPos - lastDigit
	} else {
		lastDigit = 0
	}
	var digPos, adjust int
	if scientific {
		digPos, adjust = decimalPos, 0
	} else {
		digPos = max(n.scale, decimalPos)
		adjust = n.scale - decimalPos
	}
	// the places after which a group separator goes, counted from the point
	var seps []int
	if thousandSeps {
		total := digPos
		if adjust < 0 {
			total += adjust
		}
		num := max(firstDigit, total)
		for g := 3; num > g; g += 3 {
			seps = append(seps, g)
		}
	}
	sepAt := len(seps) - 1
	var b strings.Builder
	if n.neg && section == 0 && n.scale != 0 {
		b.WriteByte('-')
	}
	decimalWritten := false
	cur := 0
	writeDigit := func(c byte) {
		b.WriteByte(c)
		if thousandSeps && digPos > 1 && sepAt >= 0 && digPos == seps[sepAt]+1 {
			b.WriteByte(',')
			sepAt--
		}
	}
	for i := section; i < len(f); i++ {
		c := f[i]
		if c == ';' {
			break
		}
		if adjust > 0 && (c == '#' || c == '0' || c == '.') {
			for adjust > 0 {
				d := n.digit(cur)
				if cur < len(n.dig) {
					cur++
				}
				writeDigit(d)
				digPos--
				adjust--
			}
		}
		switch c {
		case '#', '0':
			var ch byte
			if adjust < 0 {
				adjust++
				if digPos <= firstDigit {
					ch = '0'
				}
			} else if cur < len(n.dig) {
				ch = n.dig[cur]
				cur++
			} else if digPos > lastDigit {
				ch = '0'
			}
			if ch != 0 {
				writeDigit(ch)
			}
			digPos--
		case '.':
			if digPos != 0 || decimalWritten {
				continue
			}
			if lastDigit < 0 || decimalPos < digitCount && cur < len(n.dig) {
				b.WriteByte('.')
				decimalWritten = true
			}
		case '%':
			b.WriteByte('%')
		case ',':
		case '\'', '"':
			for i++; i < len(f) && f[i] != c; i++ {
				b.WriteByte(f[i])
			}
		case '\\':
			if i+1 < len(f) {
				i++
				b.WriteByte(f[i])
			}
		case 'E', 'e':
			plus := false
			zeros := 0
			if scientific {
				switch {
				case i+1 < len(f) && f[i+1] == '0':
					zeros++
				case i+2 < len(f) && f[i+1] == '+' && f[i+2] == '0':
					plus = true
				case i+2 < len(f) && f[i+1] == '-' && f[i+2] == '0':
				default:
					b.WriteByte(c)
					continue
				}
				i++
				for i+1 < len(f) && f[i+1] == '0' {
					i++
					zeros++
				}
				zeros = min(zeros, 10)
				e := 0
				if len(n.dig) > 0 {
					e = n.scale - decimalPos
				}
				exponent(&b, e, c, zeros, plus)
				scientific = false
			} else {
				b.WriteByte(c)
				if i+1 < len(f) {
					if f[i+1] == '+' || f[i+1] == '-' {
						i++
						b.WriteByte(f[i])
					}
					for i+1 < len(f) && f[i+1] == '0' {
						i++
						b.WriteByte('0')
					}
				}
			}
		default:
			b.WriteByte(c)
		}
	}
	s := b.String()
	if n.neg && section == 0 && n.scale == 0 && len(s) > 0 {
		s = "-" + s
	}
	return s
}

// intToStringKey is the builtin of ToString(format[, provider]) on a value
// of integral type ik: "X" writes a negative value's bits in its type's
// width.
func intToStringKey(ik intKind, args int) string {
	return "numfmt.ToString/" + strconv.Itoa(int(ik)) + "/" + strconv.Itoa(args)
}

func registerNumberFormats() {
	for ik := ikSByte; ik <= ikULong; ik++ {
		ik := ik
		run := func(a []any) (any, error) {
			f, _ := a[1].(string)
			return formatNumberNET(a[0], ik, f)
		}
		reg(&builtin{key: intToStringKey(ik, 1), params: ts(tString), result: tString, run: run})
		reg(&builtin{key: intToStringKey(ik, 2), params: ts(tString, tProvider), result: tString, run: run})
	}
}

// formatToString binds ToString(format[, provider]) on a number, a date or
// a time span: an integral receiver gets its type's builtin, and a format
// written as a literal that tollgate cannot write is a load error.
func (b *binder) formatToString(n *Call, xt *Type, bi *builtin) error {
	if len(n.Args) == 0 || len(bi.params) == 0 || bi.params[0].K != KString {
		return nil
	}
	if xt.K == KInt && !xt.Nullable {
		if nb := byKey[intToStringKey(xt.ik(), len(n.Args))]; nb != nil {
			n.method = nb
		}
	}
	if l, ok := n.Args[0].X.(*Lit); ok {
		if f, ok := l.V.(string); ok {
			if msg := unsupportedFormat(xt.K, f); msg != "" {
				return b.errf(l.Off, "%s", msg)
			}
		}
	}
	return nil
}

// unsupportedFormat says why tollgate cannot write a value of kind k with
// format f ("" where it can, or where .NET itself refuses it, which is
// .NET's FormatException at run time).
func unsupportedFormat(k Kind, f string) string {
	switch k {
	case KInt, KDouble, KDecimal:
		c, prec, err := parseNumFormat(f)
		switch {
		case err != nil || c == 0:
		case k == KInt && c&^0x20 == 'B':
			return errBinaryFormat(f).(*Exception).Msg
		case prec > 99:
			return errPrecision(f).(*Exception).Msg
		}
	}
	return ""
}

// holeFormat records the integral type of hole i of an interpolated
// string with a format, and refuses a format tollgate cannot write.
func (b *binder) holeFormat(n *Interp, i int, t *Type) error {
	f := n.Formats[i]
	if strings.HasPrefix(f, ",") {
		_, f, _ = strings.Cut(f[1:], ":")
	}
	if f == "" {
		return nil
	}
	if n.IKs == nil {
		n.IKs = make([]intKind, len(n.Holes))
	}
	if t.K == KInt { // int? too: its value, when there is one
		n.IKs[i] = t.ik()
	}
	if msg := unsupportedFormat(t.K, f); msg != "" {
		return b.errf(n.Holes[i].pos(), "%s", msg)
	}
	return nil
}

// holeIK is the integral type of hole i (ikNone: not an integral type,
// or a boxed one).
func (n *Interp) holeIK(i int) intKind {
	if n.IKs == nil {
		return ikNone
	}
	return n.IKs[i]
}

// checkCompositeFormat: string.Format with a literal composite format, an
// item whose format tollgate cannot write for its argument's static type
// ("{0:B}" of an int) is a load error.
func (b *binder) checkCompositeFormat(bi *builtin, args []*Arg, at []*Type) error {
	if !strings.HasPrefix(bi.key, "string.Format") || len(args) < 2 {
		return nil
	}
	fi := 0
	if at[0].K == KProvider || at[0].K == KNull {
		fi = 1
	}
	l, ok := args[fi].X.(*Lit)
	if !ok {
		return nil
	}
	f, ok := l.V.(string)
	if !ok {
		return nil
	}
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == '{' && i+1 < len(f) && f[i+1] == '{', f[i] == '}' && i+1 < len(f) && f[i+1] == '}':
			i++
		case f[i] == '{':
			end := strings.IndexByte(f[i:], '}')
			if end < 0 {
				return nil
			}
			item, spec, _ := strings.Cut(f[i+1:i+end], ":")
			item, _, _ = strings.Cut(item, ",")
			i += end
			k, err := strconv.Atoi(strings.TrimSpace(item))
			if err != nil || fi+1+k >= len(at) || spec == "" {
				continue
			}
			if msg := unsupportedFormat(at[fi+1+k].K, spec); msg != "" {
				return b.errf(l.Off, "%s", msg)
			}
		}
	}
	return nil
}
