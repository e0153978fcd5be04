package engine

import "testing"

func TestMask(t *testing.T) {
	secrets := []string{"s3cr3t-value", "abc"} // "abc" is too short to mask
	if got := Mask("a s3cr3t-value and abc", secrets); got != "a REDACTED and abc" {
		t.Errorf("Mask: %q", got)
	}
	errs := ErrorList{{Pos: Pos{File: "a.xml", Line: 1, Col: 2}, Path: "inbound/x[s3cr3t-value]", Msg: `not "s3cr3t-value"`}}
	MaskErrors(errs, secrets)
	if got := errs[0].Error(); got != `a.xml:1:2: inbound/x[REDACTED]: not "REDACTED"` {
		t.Errorf("MaskErrors: %s", got)
	}
}
