package csharp

import "golang.org/x/text/unicode/norm"

// string.Normalize(), Normalize(NormalizationForm), IsNormalized() and
// IsNormalized(NormalizationForm): Unicode normalization (UAX #15) by
// golang.org/x/text/unicode/norm. APIM's table allows System.String's
// members ("All"); the enum the overloads take, System.Text's
// NormalizationForm, is tollgate's addition so that they can be called.
// The forms without an argument are FormC, as in .NET.

var normForm *enumDef

func registerStringNorm() {
	// .NET's values: FormC 1, FormD 2, FormKC 5, FormKD 6
	normForm = newEnum("NormalizationForm", "System.Text", "", "FormC", "FormD", "", "", "FormKC", "FormKD")
	form := func(v any) (norm.Form, error) {
		e, _ := v.(enumVal)
		switch e.v {
		case 1:
			return norm.NFC, nil
		case 2:
			return norm.NFD, nil
		case 5:
			return norm.NFKC, nil
		case 6:
			return norm.NFKD, nil
		}
		return 0, exc("ArgumentException", "Invalid normalization form. (Parameter 'normalizationForm')")
	}
	method(KString, "Normalize", ts(), tString, s1(func(s string) (any, error) { return norm.NFC.String(s), nil }), nil)
	method(KString, "IsNormalized", ts(), tBool, s1(func(s string) (any, error) { return norm.NFC.IsNormalString(s), nil }), nil)
	method(KString, "Normalize", ts(normForm.t), tString, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		f, err := form(a[1])
		if err != nil {
			return nil, err
		}
		return f.String(s), nil
	}, nil)
	method(KString, "IsNormalized", ts(normForm.t), tBool, func(a []any) (any, error) {
		s, err := str(a[0])
		if err != nil {
			return nil, err
		}
		f, err := form(a[1])
		if err != nil {
			return nil, err
		}
		return f.IsNormalString(s), nil
	}, nil)
}
