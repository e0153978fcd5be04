package policies

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"tollgate/engine"
	"tollgate/internal/odata"
)

// <validate-odata-request error-variable-name="v" default-odata-version="4.0"
//
//	min-odata-version="4.0" max-odata-version="4.01" max-size="102400" />
//
// Validates a request to an OData API (api type odata: its $metadata,
// parsed at load, is engine.ODataModel of context.Api) as APIM's policy
// does: the OData-Version and OData-MaxVersion headers against the
// version range, the request body's size, the resource path against the
// model, and the system query options against OData's ABNF and the model
// ($filter and $orderby type-checked, $select and $expand paths, $top,
// $skip, $count, $search, $format, …). The version the request is read
// with (4.0 or 4.01 rules: case-insensitive operators, system options
// without "$") is its OData-Version, else default-odata-version. A
// problem is a validation error in APIM's format (validate.go): 400 with
// the details, and the errors in error-variable-name's variable.
type validateOData struct {
	validator
	defaultV401 bool
	min, max    odataVersion // 0: no bound
	maxSize     int64        // -1: none
}

// odataVersion is a version as a number: 4.0 is 400, 4.01 is 401.
type odataVersion int

func (v odataVersion) String() string {
	if v%100 == 0 {
		return fmt.Sprintf("%d.0", v/100)
	}
	return fmt.Sprintf("%d.%02d", v/100, v%100)
}

var reODataVersion = regexp.MustCompile(`^([0-9]{1,3})\.([0-9]{1,2})$`)

// parseODataVersion reads "4.0", "4.01" (any major.minor of one or two
// digits: OData-MaxVersion's syntax).
func parseODataVersion(s string) (odataVersion, bool) {
	m := reODataVersion.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if len(m[2]) == 1 {
		minor *= 10 // "4.1" is 4.10
	}
	return odataVersion(major*100 + minor), true
}

// odataVersions are the versions an attribute may name.
var odataVersions = []string{"4.0", "4.01"}

func (k *kit) parseValidateOData(p *engine.Parser) engine.Step {
	v := &validateOData{
		validator: validator{k: k, policy: "validate-odata-request", varName: p.LitStr("error-variable-name", "")},
		maxSize:   -1,
	}
	version := func(name, def string) odataVersion {
		s := p.LitStr(name, def, odataVersions...)
		x, _ := parseODataVersion(s)
		return x
	}
	v.defaultV401 = version("default-odata-version", "4.0") >= 401
	if p.Has("min-odata-version") {
		v.min = version("min-odata-version", "")
	}
	if p.Has("max-odata-version") {
		v.max = version("max-odata-version", "")
	}
	if v.min != 0 && v.max != 0 && v.min > v.max {
		p.ErrorAt(p.Attr("max-odata-version").ValuePos, "max-odata-version %s is below min-odata-version %s", v.max, v.min)
	}
	if p.Has("max-size") {
		v.maxSize = p.LitInt("max-size", 0, 0, 1<<40)
	}
	if p.Scope() == "operation" {
		p.Errorf("<validate-odata-request> applies at the global, product and API scopes (APIM's), not to an operation: an OData API has no operations")
	}
	// APIM: "can only be used once in a policy section". A second one
	// beside the first is caught here; one in another scope spliced in
	// with <base/>, or nested in a choose, by the gateway when it builds
	// the API's plans.
	if i := strings.LastIndexByte(p.Path(), '['); i >= 0 && !strings.HasSuffix(p.Path(), "[1]") {
		p.Errorf("<validate-odata-request> may be used once in a policy section")
	}
	return v
}

// NeverBlocks: the policy reads the request body (the connection's own
// I/O) and parses the URL against the model (CPU, bounded by the limits of
// internal/odata).
func (*validateOData) NeverBlocks() bool { return true }

var errNotOData = errors.New("not an OData API")

func (v *validateOData) Run(_ context.Context, s *engine.State) error {
	c := s.Context()
	model, _ := engine.ODataModel(c.Api).(*odata.Model)
	if model == nil {
		name := ""
		if c.Api != nil {
			name = c.Api.Name
		}
		return engine.NewPolicyError(engine.ReasonExpression, http.StatusInternalServerError,
			fmt.Sprintf("validate-odata-request: API %q is not an OData API (type odata, with its $metadata)", name), errNotOData)
	}
	var val validation
	r := c.Request
	add := func(typ, name, rule, details string) {
		val.add(actPrevent, validationError{Name: name, Type: typ, ValidationRule: rule, Details: details, public: details})
	}

	// Versions.
	v401 := v.defaultV401
	if vals := r.Headers["Odata-Version"]; len(vals) > 0 {
		ver, ok := parseODataVersion(vals[0])
		switch {
		case len(vals) > 1:
			add("RequestHeader", "OData-Version", "IncorrectMessage", "Request cannot contain multiple values for the header OData-Version.")
		case !ok || ver/100 != 4 || ver%100 > 9:
			add("RequestHeader", "OData-Version", "IncorrectMessage", "The header OData-Version must be an OData version, 4.0 or 4.01, not "+strconv.Quote(clipHeader(vals[0]))+".")
		case v.min != 0 && ver < v.min:
			add("RequestHeader", "OData-Version", "IncorrectMessage", "OData-Version "+ver.String()+" is below the lowest version the API accepts, "+v.min.String()+".")
		case v.max != 0 && ver > v.max:
			add("RequestHeader", "OData-Version", "IncorrectMessage", "OData-Version "+ver.String()+" is above the highest version the API accepts, "+v.max.String()+".")
		default:
			v401 = ver >= 401
		}
	}
	if vals := r.Headers["Odata-Maxversion"]; len(vals) > 0 {
		ver, ok := parseODataVersion(vals[0])
		switch {
		case len(vals) > 1:
			add("RequestHeader", "OData-MaxVersion", "IncorrectMessage", "Request cannot contain multiple values for the header OData-MaxVersion.")
		case !ok:
			add("RequestHeader", "OData-MaxVersion", "IncorrectMessage", "The header OData-MaxVersion must be a version such as 4.01, not "+strconv.Quote(clipHeader(vals[0]))+".")
		case v.min != 0 && ver < v.min:
			add("RequestHeader", "OData-MaxVersion", "IncorrectMessage", "OData-MaxVersion "+ver.String()+" is below the lowest version the API accepts, "+v.min.String()+".")
		case len(r.Headers["Odata-Version"]) == 0 && ver < 401:
			v401 = false // the client speaks 4.0 at most
		}
	}

	// The body's size.
	if v.maxSize >= 0 {
		if msg, pub, err := bodyOver(r, v.maxSize); err != nil {
			return err
		} else if msg != "" {
			val.add(actPrevent, validationError{Type: "RequestBody", ValidationRule: "SizeLimit", Details: msg, public: pub})
		}
	}

	// The URL.
	if u := r.OriginalUrl; u != nil {
		path := u.Path
		if c.Api != nil && c.Api.Path != "/" && c.Api.Path != "" {
			path = strings.TrimPrefix(path, strings.TrimSuffix(c.Api.Path, "/"))
		}
		probs := model.CheckRequest(odata.Request{Method: r.Method, Path: path, PathDecoded: true,
			RawQuery: strings.TrimPrefix(u.QueryString, "?"), V401: v401})
		for _, pr := range probs {
			switch {
			case pr.Where == "resource path":
				add("RequestUrl", "", "IncorrectMessage", "The request's resource path is not valid for the OData service: "+pr.Msg)
			case pr.Where == "query":
				add("QueryParameter", "", "IncorrectMessage", "The request's query string is not valid: "+pr.Msg)
			default:
				add("QueryParameter", pr.Where, "IncorrectMessage", "The query option "+pr.Where+" is not valid: "+pr.Msg)
			}
		}
	}
	return v.finish(s, &val)
}

// bodyOver measures the request body against max (from Content-Length
// when there is one, so a body over it is never read): the details and
// the client's message when it is larger, "" otherwise.
func bodyOver(r *engine.Request, max int64) (details, public string, err error) {
	size := int64(-1)
	if cl := r.Headers.GetValueOrDefault("Content-Length", ""); cl != "" {
		if n, perr := strconv.ParseInt(strings.TrimSpace(cl), 10, 64); perr == nil && n >= 0 {
			size = n
		}
	}
	long := ""
	if size < 0 && r.Body != nil {
		b, rerr := r.Body.Bytes()
		switch {
		case errors.Is(rerr, engine.ErrBodyTooLarge):
			size, long = max+1, "more than the gateway's max-body-size"
		case rerr != nil:
			return "", "", rerr
		default:
			size = int64(len(b))
		}
	}
	if size <= max {
		return "", "", nil
	}
	if long == "" {
		long = strconv.FormatInt(size, 10)
	}
	limit := strconv.FormatInt(max, 10)
	return "Request's body is " + long + " bytes long and it exceeds the configured limit of " + limit + " bytes.",
		"Request's body is " + long + " bytes long and it exceeds the limit of " + limit + " bytes.", nil
}

// clipHeader shortens a header value an error quotes.
func clipHeader(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
