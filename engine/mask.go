package engine

import "strings"

// Secret masking. Every text tollgate prints or hands out that may carry a
// secret named value goes through Mask: log lines (gateway's zap core, for
// every field, structured ones included), context.LastError.Message and
// the default error bodies built from it, load errors (so `tollgate check`,
// /status/reload and the "config error" log lines), and check's API lines.

// MinMasked is the shortest value that is masked: a one-letter "secret"
// would garble every line and protects nothing.
const MinMasked = 4

// Redacted replaces a masked value.
const Redacted = "REDACTED"

// Mask replaces every occurrence of each secret in s with REDACTED.
func Mask(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= MinMasked && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// MaskErrors masks the messages of a list of load errors in place.
func MaskErrors(errs ErrorList, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	for _, e := range errs {
		e.Msg = Mask(e.Msg, secrets)
		e.Path = Mask(e.Path, secrets)
	}
}
