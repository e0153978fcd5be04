package policies

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.uber.org/zap"

	"tollgate/engine"
)

// What the four validation policies (validate-content, validate-parameters,
// validate-headers, validate-status-code) share: the action attribute, the
// error record APIM defines, and how a set of errors ends the policy.
// They validate against the matched operation's OpenAPI description
// (context.Operation.Spec, filled by the gateway from the API's
// specification) with kin-openapi's schema validator.

// action is APIM's ignore | detect | prevent.
type action uint8

const (
	actIgnore action = iota
	actDetect
	actPrevent
)

var actionNames = []string{"ignore", "detect", "prevent"}

func (a action) String() string { return actionNames[a] }

// litAction reads an action attribute; def is used when it is absent.
func litAction(p *engine.Parser, name string, required bool, def action) action {
	var v string
	if required {
		v = p.RequiredLitStr(name, actionNames...)
	} else {
		v = p.LitStr(name, def.String(), actionNames...)
	}
	for i, n := range actionNames {
		if n == v {
			return action(i)
		}
	}
	return def
}

// APIM's LastError.Reason for a prevented request and response.
const (
	ReasonBadRequest         = "Bad request"
	ReasonResponseNotAllowed = "Response not allowed"
)

// internalError is the public response APIM gives for errors that would
// leak the API's implementation (every response error, schema problems).
const internalError = "The request could not be processed due to an internal error. Contact the API owner."

// validationError is one error in APIM's format; it is what the
// errors-variable-name variable holds (as a map with these keys).
type validationError struct {
	Name           string
	Type           string
	ValidationRule string
	Details        string
	Action         string
	public         string // the client's message ("" : internalError)
}

func (e validationError) value() map[string]any {
	return map[string]any{"Name": e.Name, "Type": e.Type, "ValidationRule": e.ValidationRule, "Details": e.Details, "Action": e.Action}
}

// validation collects one policy run's errors.
type validation struct {
	errs []validationError
}

func (v *validation) add(a action, e validationError) {
	if a == actIgnore {
		return
	}
	e.Action = a.String()
	v.errs = append(v.errs, e)
}

func (v *validation) prevented() bool {
	for _, e := range v.errs {
		if e.Action == "prevent" {
			return true
		}
	}
	return false
}

// validator is the part every validation step has.
type validator struct {
	k        *kit
	policy   string // element name, for logs
	varName  string // errors-variable-name ("": none)
	response bool   // validating the response (outbound / on-error)
}

// finish records v's errors as APIM does: every error (detect and prevent)
// is logged and goes to the errors variable; if any is prevent, the policy
// fails with 400 (request) or 502 (response), LastError.Message carrying
// the details and the client getting the public response.
func (c *validator) finish(s *engine.State, v *validation) error {
	if c.varName != "" {
		list := make([]any, len(v.errs))
		for i, e := range v.errs {
			list[i] = e.value()
		}
		s.Variables()[c.varName] = list
	}
	if len(v.errs) == 0 {
		return nil
	}
	api := ""
	if a := s.Context().Api; a != nil {
		api = a.Name
	}
	for _, e := range v.errs {
		c.k.log.Info(c.policy+": validation error",
			zap.String("policy", c.policy), zap.String("api", api), zap.String("name", e.Name),
			zap.String("type", e.Type), zap.String("rule", e.ValidationRule),
			zap.String("details", e.Details), zap.String("action", e.Action))
		if s.Trace() != nil {
			s.Tracef("%s: %s %s %s (%s): %s", c.policy, e.Type, e.Name, e.ValidationRule, e.Action, e.Details)
		}
	}
	if !v.prevented() {
		return nil
	}
	var first validationError
	for _, e := range v.errs {
		if e.Action == "prevent" {
			first = e
			break
		}
	}
	status, reason, public := http.StatusBadRequest, ReasonBadRequest, first.public
	if c.response {
		status, reason, public = http.StatusBadGateway, ReasonResponseNotAllowed, internalError
	}
	if public == "" {
		public = internalError
	}
	pe := engine.NewPolicyError(reason, status, first.Details, nil)
	pe.Response = engine.ErrorResponse(status, public)
	return pe
}

// noSchema is APIM's error for an operation without an OpenAPI description.
func noSchema() validationError {
	return validationError{Type: "ApiSchema", Details: "API's schema does not exist or it could not be resolved."}
}

// opSpec is the request's operation's OpenAPI description, or nil.
func opSpec(s *engine.State) *engine.OperationSpec {
	if op := s.Context().Operation; op != nil && op.Spec != nil && op.Spec.Op != nil {
		return op.Spec
	}
	return nil
}

// specParams are the operation's parameters (the path item's, overridden
// by the operation's with the same name and location).
func specParams(spec *engine.OperationSpec) openapi3.Parameters {
	var out openapi3.Parameters
	seen := map[string]bool{}
	key := func(p *openapi3.Parameter) string {
		if p.In == openapi3.ParameterInHeader {
			return p.In + ":" + strings.ToLower(p.Name)
		}
		return p.In + ":" + p.Name
	}
	for _, list := range []openapi3.Parameters{spec.Op.Parameters, spec.Item.Parameters} {
		for _, r := range list {
			if r == nil || r.Value == nil || seen[key(r.Value)] {
				continue
			}
			seen[key(r.Value)] = true
			out = append(out, r)
		}
	}
	return out
}

// specResponse is the operation's response for a status: the exact code,
// then its range ("4XX"), then "default"; nil if none.
func specResponse(spec *engine.OperationSpec, status int) *openapi3.Response {
	rs := spec.Op.Responses
	if rs == nil {
		return nil
	}
	for _, k := range []string{strconv.Itoa(status), strconv.Itoa(status/100) + "XX", strconv.Itoa(status/100) + "xx", "default"} {
		if r := rs.Value(k); r != nil && r.Value != nil {
			return r.Value
		}
	}
	return nil
}

// errParse is a value that cannot be read as its schema's type.
var errParse = errors.New("cannot parse")

// coerce turns a parameter's or header's text into the JSON value its
// schema describes (integer, number, boolean, array, object as text). Its
// errors never quote the value: a header may carry a credential.
func coerce(sch *openapi3.Schema, vals []string) (any, error) {
	if sch == nil {
		return vals[0], nil
	}
	switch {
	case sch.Type.Is("array"):
		parts := vals // repeated parameters (form, explode)
		if len(vals) == 1 {
			parts = strings.Split(vals[0], ",") // one comma-separated value
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			var item *openapi3.Schema
			if sch.Items != nil {
				item = sch.Items.Value
			}
			v, err := coerce(item, []string{strings.TrimSpace(p)})
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case sch.Type.Is("integer"):
		n, err := strconv.ParseInt(strings.TrimSpace(vals[0]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: the value is not an integer", errParse)
		}
		return float64(n), nil
	case sch.Type.Is("number"):
		f, err := strconv.ParseFloat(strings.TrimSpace(vals[0]), 64)
		if err != nil {
			return nil, fmt.Errorf("%w: the value is not a number", errParse)
		}
		return f, nil
	case sch.Type.Is("boolean"):
		b, err := strconv.ParseBool(strings.TrimSpace(vals[0]))
		if err != nil {
			return nil, fmt.Errorf("%w: the value is not a boolean", errParse)
		}
		return b, nil
	}
	return vals[0], nil
}

// schemaMessage is one line for a schema error: the reason and where.
func schemaMessage(err error) string {
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		msg := se.Reason
		if ptr := se.JSONPointer(); len(ptr) > 0 {
			msg += " Path '" + strings.Join(ptr, ".") + "'."
		}
		return msg
	}
	var me openapi3.MultiError
	if errors.As(err, &me) && len(me) > 0 {
		return schemaMessage(me[0])
	}
	return oneLine(err)
}

// sortedKeys lists a map's keys in order (stable error lists).
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
