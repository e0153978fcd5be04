package csharp

import (
	"regexp"
	"strconv"
	"strings"
)

// .NET's named blocks, \p{IsCyrillic}: regexp2 reads Unicode's scripts and
// categories in \p{...} but not .NET's block names, so they are written
// out as the block's range before compiling (netPattern). The ranges are Unicode's
// blocks under the names .NET's regular expressions give them.
var netBlocks = map[string][2]uint16{
	"IsAlphabeticPresentationForms": {0xFB00, 0xFB4F}, "IsArabic": {0x0600, 0x06FF},
	"IsArabicPresentationForms-A": {0xFB50, 0xFDFF}, "IsArabicPresentationForms-B": {0xFE70, 0xFEFF},
	"IsArmenian": {0x0530, 0x058F}, "IsArrows": {0x2190, 0x21FF}, "IsBasicLatin": {0x0000, 0x007F},
	"IsBengali": {0x0980, 0x09FF}, "IsBlockElements": {0x2580, 0x259F}, "IsBopomofo": {0x3100, 0x312F},
	"IsBopomofoExtended": {0x31A0, 0x31BF}, "IsBoxDrawing": {0x2500, 0x257F}, "IsBraillePatterns": {0x2800, 0x28FF},
	"IsBuhid": {0x1740, 0x175F}, "IsCherokee": {0x13A0, 0x13FF}, "IsCJKCompatibility": {0x3300, 0x33FF},
	"IsCJKCompatibilityForms": {0xFE30, 0xFE4F}, "IsCJKCompatibilityIdeographs": {0xF900, 0xFAFF},
	"IsCJKRadicalsSupplement": {0x2E80, 0x2EFF}, "IsCJKSymbolsandPunctuation": {0x3000, 0x303F},
	"IsCJKUnifiedIdeographs": {0x4E00, 0x9FFF}, "IsCJKUnifiedIdeographsExtensionA": {0x3400, 0x4DBF},
	"IsCombiningDiacriticalMarks": {0x0300, 0x036F}, "IsCombiningDiacriticalMarksforSymbols": {0x20D0, 0x20FF},
	"IsCombiningHalfMarks": {0xFE20, 0xFE2F}, "IsCombiningMarksforSymbols": {0x20D0, 0x20FF},
	"IsControlPictures": {0x2400, 0x243F}, "IsCurrencySymbols": {0x20A0, 0x20CF}, "IsCyrillic": {0x0400, 0x04FF},
	"IsCyrillicSupplement": {0x0500, 0x052F}, "IsDevanagari": {0x0900, 0x097F}, "IsDingbats": {0x2700, 0x27BF},
	"IsEnclosedAlphanumerics": {0x2460, 0x24FF}, "IsEnclosedCJKLettersandMonths": {0x3200, 0x32FF},
	"IsEthiopic": {0x1200, 0x137F}, "IsGeneralPunctuation": {0x2000, 0x206F}, "IsGeometricShapes": {0x25A0, 0x25FF},
	"IsGeorgian": {0x10A0, 0x10FF}, "IsGreek": {0x0370, 0x03FF}, "IsGreekandCoptic": {0x0370, 0x03FF},
	"IsGreekExtended": {0x1F00, 0x1FFF}, "IsGujarati": {0x0A80, 0x0AFF}, "IsGurmukhi": {0x0A00, 0x0A7F},
	"IsHalfwidthandFullwidthForms": {0xFF00, 0xFFEF}, "IsHangulCompatibilityJamo": {0x3130, 0x318F},
	"IsHangulJamo": {0x1100, 0x11FF}, "IsHangulSyllables": {0xAC00, 0xD7AF}, "IsHanunoo": {0x1720, 0x173F},
	"IsHebrew": {0x0590, 0x05FF}, "IsHighPrivateUseSurrogates": {0xDB80, 0xDBFF}, "IsHighSurrogates": {0xD800, 0xDB7F},
	"IsHiragana": {0x3040, 0x309F}, "IsIdeographicDescriptionCharacters": {0x2FF0, 0x2FFF},
	"IsIPAExtensions": {0x0250, 0x02AF}, "IsKanbun": {0x3190, 0x319F}, "IsKangxiRadicals": {0x2F00, 0x2FDF},
	"IsKannada": {0x0C80, 0x0CFF}, "IsKatakana": {0x30A0, 0x30FF}, "IsKatakanaPhoneticExtensions": {0x31F0, 0x31FF},
	"IsKhmer": {0x1780, 0x17FF}, "IsKhmerSymbols": {0x19E0, 0x19FF}, "IsLao": {0x0E80, 0x0EFF},
	"IsLatin-1Supplement": {0x0080, 0x00FF}, "IsLatinExtended-A": {0x0100, 0x017F}, "IsLatinExtended-B": {0x0180, 0x024F},
	"IsLatinExtendedAdditional": {0x1E00, 0x1EFF}, "IsLetterlikeSymbols": {0x2100, 0x214F}, "IsLimbu": {0x1900, 0x194F},
	"IsLowSurrogates": {0xDC00, 0xDFFF}, "IsMalayalam": {0x0D00, 0x0D7F}, "IsMathematicalOperators": {0x2200, 0x22FF},
	"IsMiscellaneousMathematicalSymbols-A": {0x27C0, 0x27EF}, "IsMiscellaneousMathematicalSymbols-B": {0x2980, 0x29FF},
	"IsMiscellaneousSymbols": {0x2600, 0x26FF}, "IsMiscellaneousSymbolsandArrows": {0x2B00, 0x2BFF},
	"IsMiscellaneousTechnical": {0x2300, 0x23FF}, "IsMongolian": {0x1800, 0x18AF}, "IsMyanmar": {0x1000, 0x109F},
	"IsNumberForms": {0x2150, 0x218F}, "IsOgham": {0x1680, 0x169F}, "IsOpticalCharacterRecognition": {0x2440, 0x245F},
	"IsOriya": {0x0B00, 0x0B7F}, "IsPhoneticExtensions": {0x1D00, 0x1D7F}, "IsPrivateUse": {0xE000, 0xF8FF},
	"IsPrivateUseArea": {0xE000, 0xF8FF}, "IsRunic": {0x16A0, 0x16FF}, "IsSinhala": {0x0D80, 0x0DFF},
	"IsSmallFormVariants": {0xFE50, 0xFE6F}, "IsSpacingModifierLetters": {0x02B0, 0x02FF}, "IsSpecials": {0xFFF0, 0xFFFF},
	"IsSuperscriptsandSubscripts": {0x2070, 0x209F}, "IsSupplementalArrows-A": {0x27F0, 0x27FF},
	"IsSupplementalArrows-B": {0x2900, 0x297F}, "IsSupplementalMathematicalOperators": {0x2A00, 0x2AFF},
	"IsSyriac": {0x0700, 0x074F}, "IsTagalog": {0x1700, 0x171F}, "IsTagbanwa": {0x1760, 0x177F}, "IsTaiLe": {0x1950, 0x197F},
	"IsTamil": {0x0B80, 0x0BFF}, "IsTelugu": {0x0C00, 0x0C7F}, "IsThaana": {0x0780, 0x07BF}, "IsThai": {0x0E00, 0x0E7F},
	"IsTibetan": {0x0F00, 0x0FFF}, "IsUnifiedCanadianAboriginalSyllabics": {0x1400, 0x167F},
	"IsVariationSelectors": {0xFE00, 0xFE0F}, "IsYiRadicals": {0xA490, 0xA4CF}, "IsYiSyllables": {0xA000, 0xA48F},
	"IsYijingHexagramSymbols": {0x4DC0, 0x4DFF},
}

func u4(c uint16) string {
	s := strconv.FormatUint(uint64(c), 16)
	return `\u` + strings.Repeat("0", 4-len(s)) + s
}

// netCategories are the Unicode categories .NET's \p{...} takes.
var netCategories = map[string]bool{
	"Cc": true, "Cf": true, "Cn": true, "Co": true, "Cs": true, "C": true, "Ll": true, "Lm": true, "Lo": true, "Lt": true,
	"Lu": true, "L": true, "Mc": true, "Me": true, "Mn": true, "M": true, "Nd": true, "Nl": true, "No": true, "N": true,
	"Pc": true, "Pd": true, "Pe": true, "Po": true, "Ps": true, "Pf": true, "Pi": true, "P": true, "Sc": true, "Sk": true,
	"Sm": true, "So": true, "S": true, "Zl": true, "Zp": true, "Zs": true, "Z": true,
}

// inlineX finds an inline option group that turns IgnorePatternWhitespace
// on: (?x), (?ix:, (?-i+x)...
var inlineX = regexp.MustCompile(`\(\?[imnsx]*x`)

// leadingX is an inline option that turns IgnorePatternWhitespace on for
// the whole pattern, (?x) or (?ix) at its start; offX one that turns it
// off, (?-x), (?i-x:...
var (
	leadingX = regexp.MustCompile(`^\(\?[imns]*x[imnsx]*\)`)
	offX     = regexp.MustCompile(`\(\?[imnsx]*-[imnsx]*x`)
)

// netPattern readies pat for regexp2 as .NET's parser reads it: .NET's
// named blocks, \p{IsCyrillic}, become the block's range ([\u0400-\u04ff];
// inside a class the range alone, \P{...} the ranges around it), and the
// syntax regexp2 reads beyond .NET's is refused with .NET's message:
// \p{X} with a name that is no .NET category or block (regexp2 takes Go's
// scripts and properties), \pL without braces, \Q \E \R \X, and a
// quantifier right after a quantifier (regexp2's possessive a*+), or
// after a quantifier and a comment, or white space under
// IgnorePatternWhitespace (a*(?#c)+, a* +), which .NET's parser skips. With
// ECMAScript the escapes are left to regexp2's ECMAScript mode, but for
// \s and \S, which are written out as .NET's ECMAScript reads them.
//
// With ECMAScript and IgnoreCase (the option or an inline (?i)), \W, \D and
// . outside a class are written (?-i:\W), (?-i:\D), (?-i:.): regexp2 folds
// a set for IgnoreCase by walking each of its characters, and these three
// are ranges up to U+10FFFF (tens of milliseconds each), which case
// folding leaves as they are (TestRegexECMAFoldClosed).
func netPattern(pat string, opts int) (string, error) {
	return netPatternUnfold(pat, opts, true)
}

// netPatternUnfold is netPattern, which, unless unfold is false, writes
// ECMAScript's \W, \D and . as (?-i:...) (false: FuzzRegexUnfold's
// reference).
func netPatternUnfold(pat string, opts int, unfold bool) (string, error) {
	ecma := opts&roECMAScript != 0
	unfold = unfold && ecma && mayIgnoreCase(pat, opts) // write \W, \D and . as (?-i:...)
	if !strings.ContainsAny(pat, `\\+*?{`) && !(unfold && strings.Contains(pat, ".")) {
		return pat, nil
	}
	refuse := func(format string, args ...any) (string, error) {
		return "", exc("RegexParseException", "Invalid pattern '%s'. "+format, append([]any{pat}, args...)...)
	}
	xmode := opts&roIgnoreWhitespace != 0 || inlineX.MatchString(pat)
	// xall: IgnorePatternWhitespace holds for the whole pattern (the
	// option, or a leading (?x), and no (?-x) turning it off), so its
	// white space is blank; elsewhere white space is read as a character,
	// as it is outside a (?x:...) group
	xall := (opts&roIgnoreWhitespace != 0 || leadingX.MatchString(pat)) && !offX.MatchString(pat)
	var b strings.Builder
	depth := 0                  // inside [...]: 1, in a subtraction [a-z-[...]]: 2...
	quant, lazy := false, false // the last thing read is a quantifier; and its lazy ?
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		wasQuant := quant
		quant = false
		switch {
		case c == '\\' && i+1 < len(pat):
			switch p := pat[i+1]; p {
			case 'p', 'P':
				rest := pat[i+2:]
				end := strings.IndexByte(rest, '}')
				if !strings.HasPrefix(rest, "{") || end < 0 {
					return refuse("Incomplete \\p{X} character escape.")
				}
				name := rest[1:end]
				if r, ok := netBlocks[name]; ok {
					b.WriteString(blockClass(r, p == 'P', depth > 0))
					i += 2 + end
					continue
				}
				if !netCategories[name] && !ecma {
					return refuse("Unknown property '%s'.", name)
				}
			case 's', 'S':
				if ecma { // .NET's ECMAScript \s is [\t\n\v\f\r ], regexp2's ECMAScript's has Unicode's spaces too
					b.WriteString(ecmaSpace(p == 'S', depth > 0))
					i++
					continue
				}
			case 'W', 'D':
				if unfold && depth == 0 {
					b.WriteString(`(?-i:\` + string(p) + `)`)
					i++
					continue
				}
			case 'Q', 'E', 'R', 'X':
				if ecma { // ECMAScript: the letter itself, in .NET as in regexp2
					break
				}
				return refuse("Unrecognized escape sequence \\%c.", p)
			}
			b.WriteString(pat[i : i+2])
			i++
			continue
		case depth > 0:
			switch {
			case c == '[' && pat[i-1] == '-':
				depth++
			case c == ']':
				depth--
			}
		case c == '[':
			depth++
			b.WriteByte(c)
			// a ] right after [ or [^ is a character, not the end
			if i+1 < len(pat) && pat[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(pat) && pat[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
			continue
		case xall && (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'):
			// white space, which .NET's parser skips between a quantifier
			// and what follows (ScanBlank): a* + is a nested quantifier,
			// a* ? a lazy one
			quant = wasQuant
			b.WriteByte(c)
			continue
		case c == '(' && strings.HasPrefix(pat[i:], "(?#"), c == '#' && xmode: // a comment, to its end; skipped as white space is
			if c == '(' || xall {
				quant = wasQuant
			}
			stop := byte(')')
			if c == '#' {
				stop = '\n'
			}
			end := strings.IndexByte(pat[i:], stop)
			if end < 0 {
				end = len(pat) - i - 1
			}
			b.WriteString(pat[i : i+end+1])
			i += end
			continue
		case (c == '*' || c == '+' || c == '?' || c == '{' && quantifierAt(pat[i:]) > 0) && (i == 0 || pat[i-1] != '('):
			switch {
			case wasQuant && c == '?' && !lazy: // a*? is lazy
				quant, lazy = true, true
			case wasQuant: // a*+, a++, a*?+: regexp2's possessive, .NET's error
				return refuse("Nested quantifier '%c'.", c)
			default:
				quant, lazy = true, false
			}
			if c == '{' {
				n := quantifierAt(pat[i:])
				b.WriteString(pat[i : i+n])
				i += n - 1
				continue
			}
		case c == '.' && unfold:
			b.WriteString(`(?-i:.)`)
			continue
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// quantifierAt is the length of the quantifier {n}, {n,} or {n,m} s
// starts with, 0 if it starts with none.
func quantifierAt(s string) int {
	i := 1
	digits := func() int {
		k := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - k
	}
	if digits() == 0 {
		return 0
	}
	if i < len(s) && s[i] == ',' {
		i++
		digits()
	}
	if i < len(s) && s[i] == '}' {
		return i + 1
	}
	return 0
}

// ecmaSpace is .NET's \s (\S) under RegexOptions.ECMAScript: tab, line
// feed, vertical tab, form feed, carriage return and space.
func ecmaSpace(negate, inClass bool) string {
	switch {
	case !negate && inClass:
		return `\x09-\x0d\x20`
	case !negate:
		return `[\x09-\x0d\x20]`
	case inClass:
		return `\x00-\x08\x0e-\x1f\x21-\uffff`
	}
	return `[^\x09-\x0d\x20]`
}

func blockClass(r [2]uint16, negate, inClass bool) string {
	var ranges string
	if !negate {
		ranges = u4(r[0]) + "-" + u4(r[1])
	} else {
		if r[0] > 0 {
			ranges = u4(0) + "-" + u4(r[0]-1)
		}
		if r[1] < 0xFFFF {
			ranges += u4(r[1]+1) + "-" + u4(0xFFFF)
		}
	}
	if inClass {
		return ranges
	}
	return "[" + ranges + "]"
}
