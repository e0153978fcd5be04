package engine

import (
	"encoding/json"
	"errors"
)

// Reasons, as APIM names them where it has a name.
const (
	ReasonExpression        = "ExpressionValueEvaluationFailure"
	ReasonRateLimitExceeded = "RateLimitExceeded"
	ReasonQuotaExceeded     = "QuotaExceeded"
	ReasonHeaderNotFound    = "HeaderNotFound"
	ReasonHeaderValue       = "HeaderValueNotAllowed"
	ReasonTimeout           = "Timeout"
	ReasonBackendConnection = "BackendConnectionFailure"
	ReasonCallout           = "SendRequestFailure"
	ReasonResponseTooLarge  = "ResponseTooLarge"
	ReasonConcurrency       = "ConcurrencyLimitExceeded"
	ReasonStoreUnavailable  = "StoreUnavailable"
	ReasonCanceled          = "RequestCanceled"
	// ReasonBackendNotFound: a backend-id expression gave a name that is
	// no backend entity of the API's scope (tollgate's reason: APIM does
	// not document one).
	ReasonBackendNotFound = "BackendNotFound"
	// ReasonBackendCredentialsMissing: the request's backend entity
	// cannot be used, its credentials need a named value without a value
	// (tollgate's reason).
	ReasonBackendCredentialsMissing = "BackendCredentialsMissing"
)

// ErrBodyTooLarge is wrapped by a lazy body's load error when the body is
// larger than the gateway lets a policy read (limits' max-body-size), so a
// policy can tell that from a failed read.
var ErrBodyTooLarge = errors.New("body too large")

// PolicyError is how a policy fails. Status and Response say what the
// client gets unless on-error changes it.
type PolicyError struct {
	Reason   string
	Message  string
	Status   int       // default response status (500 when 0)
	Response *Response // full default response; overrides Status when set
	// Source, when set, is context.LastError.Source for a failure outside
	// the policy steps (APIM's "configuration" for OperationNotFound).
	Source string
	cause  error
}

func (e *PolicyError) Error() string { return e.Reason + ": " + e.Message }
func (e *PolicyError) Unwrap() error { return e.cause }

// NewPolicyError returns a PolicyError with a JSON body in APIM's shape:
// {"statusCode": N, "message": "..."}.
func NewPolicyError(reason string, status int, message string, cause error) *PolicyError {
	return &PolicyError{Reason: reason, Message: message, Status: status, cause: cause}
}

// ErrorResponse builds APIM's error body for a status and message.
func ErrorResponse(status int, message string) *Response {
	r := NewResponse(status)
	b, _ := json.Marshal(struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}{status, message})
	r.Body = NewBody(b)
	r.Headers["Content-Type"] = []string{"application/json"}
	return r
}

// StepError ties a failure to the step that failed.
type StepError struct {
	Step *Compiled
	Err  error
}

func (e *StepError) Error() string {
	return e.Step.Pos.String() + ": " + e.Step.Path + ": " + e.Err.Error()
}
func (e *StepError) Unwrap() error { return e.Err }

func statusOr(s, def int) int {
	if s == 0 {
		return def
	}
	return s
}
