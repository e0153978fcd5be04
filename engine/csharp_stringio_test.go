package engine

import (
	"strings"
	"testing"
)

// System.IO.StringWriter and StringReader, which APIM's "API Management
// policy expressions" allows, and XDocument.Save / XElement.Save into a
// StringWriter. NewLine is "\r\n", as on Windows (tollgate's choice);
// Save declares encoding="utf-16", a StringWriter's, as .NET does.
func TestCSharpStringWriterReader(t *testing.T) {
	for _, tc := range []struct{ name, stmts, want string }{
		{"Write overloads", `var w = new StringWriter(); w.Write("a"); w.Write(1); w.Write('c'); w.Write(true); w.Write(2.5); w.Write((object)null); w.Write(new[] { 'h', 'i' }); return w.ToString();`, "a1cTrue2.5hi"},
		{"WriteLine and formats", `var w = new StringWriter(); w.WriteLine("a"); w.WriteLine(); w.WriteLine("x{0}y{1}", 1, "z"); w.Write("{0:D3}", 7); return w.ToString();`, "a\r\n\r\nx1yz\r\n007"},
		{"NewLine set", `using (var w = new System.IO.StringWriter()) { w.WriteLine("a"); w.NewLine = "\n"; w.WriteLine("b"); return w.ToString() + w.GetStringBuilder().Length + w.NewLine.Length; }`, "a\r\nb\n51"},
		{"ToString after Dispose", `var w = new StringWriter(); w.Write("x"); w.Flush(); w.Dispose(); return w.ToString() + w;`, "xx"},
		{"TextWriter declared", `TextWriter w = new StringWriter(); w.Write("q"); return w.ToString() + Convert.ToBase64String(w.Encoding.GetBytes("é"));`, "q6QA="},
		{"ReadLine: \\r\\n, \\n and \\r end a line", `var r = new StringReader("a\r\nb\nc\rd"); return r.ReadLine() + "|" + r.ReadLine() + "|" + r.ReadLine() + "|" + r.ReadLine() + "|" + (r.ReadLine() == null);`, "a|b|c|d|True"},
		{"an empty last line is no line", `var r = new StringReader("a\n"); var n = 0; while (r.ReadLine() != null) n++; return n;`, "1"},
		{"Read and Peek count UTF-16 units", `var r = new StringReader("ab😀"); return r.Peek() + " " + r.Read() + " " + r.ReadToEnd().Length + " " + r.Read() + " " + r.Peek();`, "97 97 3 -1 -1"},
		{"ReadToEnd", `var r = new StringReader("line1\nline2"); r.ReadLine(); return r.ReadToEnd() + (r.ReadToEnd() == "");`, "line2True"},
		{"XDocument.Save", `var d = XDocument.Parse("<a><b>t</b></a>"); var w = new StringWriter(); d.Save(w); return w.ToString();`, "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<a>\r\n  <b>t</b>\r\n</a>"},
		{"XDocument.Save keeps standalone; DisableFormatting", `var d = XDocument.Parse("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?><a><b>t</b></a>"); var w = new StringWriter(); d.Save(w, SaveOptions.DisableFormatting); return w.ToString();`, "<?xml version=\"1.0\" encoding=\"utf-16\" standalone=\"yes\"?><a><b>t</b></a>"},
		{"XElement.Save", `var e = new XElement("a", new XElement("b")); var w = new StringWriter(); e.Save(w); return w.ToString();`, "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<a>\r\n  <b />\r\n</a>"},
		{"Save after text: appended", `var w = new StringWriter(); w.Write("x:"); XElement.Parse("<a/>").Save(w, SaveOptions.DisableFormatting); return w.ToString();`, "x:<?xml version=\"1.0\" encoding=\"utf-16\"?><a />"},
	} {
		t.Run(tc.name, func(t *testing.T) { csBothBlocks(t, tc.stmts, tc.want, nil) })
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var w = new StringWriter(); w.Close(); w.Write("x"); return 1; }`, "Cannot write to a closed TextWriter."},
		{`@{ var r = new StringReader("x"); r.Dispose(); return r.ReadLine(); }`, "Cannot read from a closed TextReader."},
		{`@{ var r = new StringReader(null); return 1; }`, "Value cannot be null. (Parameter 's')"},
		{`@{ StringWriter w = null; w.Write("x"); return 1; }`, "Object reference not set to an instance of an object."},
		{`@{ StringWriter w = null; XElement.Parse("<a/>").Save(w); return 1; }`, "Value cannot be null. (Parameter 'textWriter')"},
		{`@{ var w = new StringWriter(); w.Write("{0", 1); return 1; }`, "Input string was not in a correct format."},
		{`@{ object o = "x"; return ((StringWriter)o).ToString(); }`, "Unable to cast object of type 'System.String' to type 'System.IO.StringWriter'."},
		{`@{ object o = new StringWriter(); return ((StringReader)o).ReadLine(); }`, "Unable to cast object of type 'System.IO.StringWriter' to type 'System.IO.StringReader'."},
		{`@{ var w = new StringWriter(); for (var i = 0; i < 100; i++) { w.Write(new string('x', 100000)); } return 1; }`, "the expression built a string of more than"},
	} {
		_, err, _ := csRun(t, tc.src, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.src, err, tc.want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{`@{ var w = new StringWriter(); w.Write(1, 2); return 1; }`, "cannot convert from 'int' to 'string'"},
		{`@{ var w = new StringWriter(); w.NewLine = 1; return 1; }`, "cannot implicitly convert type 'int' to 'string'"},
		{`@{ var r = new StringReader(1); return 1; }`, "cannot convert from 'int' to 'string'"},
		{`@{ var r = new StringReader("x"); string s = r.Read(); return s; }`, "cannot implicitly convert type 'int' to 'string'"},
		{`@{ XDocument.Parse("<a/>").Save("out.xml"); return 1; }`, "cannot convert from 'string' to 'StringWriter'"},
		{`@{ var r = new StringReader("x"); r.Write("y"); return 1; }`, "'StringReader' does not contain a definition for 'Write'"},
	} {
		_, _, errs := csCompile(t, tc.src)
		if len(errs) == 0 || !strings.Contains(errs.Error(), tc.want) {
			t.Errorf("%s: errors %v, want %q", tc.src, errs, tc.want)
		}
	}
}
