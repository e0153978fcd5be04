package engine

import (
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"tollgate/internal/xsd"
)

// The APIM resource model as expressions see it: context.Operation,
// context.Product, context.Subscription and context.User. The gateway fills
// them per request from the matched operation and the request's
// subscription; each is nil when there is none (an API without operations,
// a request without a subscription key), as in APIM where they are null.
// Field names are APIM's.

// Operation is context.Operation: the API operation the request matched
// (APIM's IOperation). A WebSocket API has the single operation onHandshake.
type Operation struct {
	Id          string
	Name        string
	Method      string
	UrlTemplate string
	// Spec is the operation's OpenAPI description when it came from the
	// API's specification (nil otherwise). The validation policies read
	// it; expressions cannot see it.
	Spec *OperationSpec `expr:"-"`
	// SOAP is a SOAP API operation's messages as its WSDL describes them
	// (nil otherwise): validate-content checks the Body's payload against
	// them. Expressions cannot see it.
	SOAP *SOAPOperation `expr:"-"`
}

// SOAPOperation is what a WSDL says a SOAP operation's messages carry:
// the global elements of the request's and the response's Body (a
// document-style operation's message parts), or RPC true for an
// RPC-style operation, whose Body holds a wrapper named after the
// operation instead.
type SOAPOperation struct {
	Input, Output []xsd.QName
	RPC           bool
}

// OperationSpec is an operation's place in the API's OpenAPI document, as
// the gateway loaded it (a Swagger 2.0 document converted to OpenAPI 3).
// It is shared by every request and must never be changed.
type OperationSpec struct {
	Doc  *openapi3.T         // the whole document (components, $refs resolved)
	Path string              // the paths key, e.g. "/pets/{petId}"
	Item *openapi3.PathItem  // the path item (its parameters apply too)
	Op   *openapi3.Operation // the operation itself
}

// Product is context.Product: the product of the request's subscription
// (APIM's IProduct).
type Product struct {
	Id                   string
	Name                 string
	State                string `csharp:"enum=ProductState"` // published | notPublished; C#: APIM's enum ProductState {NotPublished, Published}
	SubscriptionRequired bool
	ApprovalRequired     bool
	SubscriptionsLimit   int  `csharp:"nullable"` // 0: unlimited (APIOps' subscriptionsLimit); C#: int?, null when unlimited, as APIM's page types it
	SubscriptionLimit    *int // APIM's older name (IProduct.SubscriptionLimit): the same, nil when unlimited
	Apis                 []*Api
	Groups               []*Group
}

// Subscription is context.Subscription (APIM's ISubscription). Key is the
// key the request presented. PrimaryKey and SecondaryKey are always empty:
// tollgate stores keys hashed and never holds them in plain text (APIM
// fills them; a policy that needs the key uses Key).
type Subscription struct {
	Id           string
	Name         string
	Key          string
	PrimaryKey   string
	SecondaryKey string
	CreatedDate  time.Time
	StartDate    *time.Time
	EndDate      *time.Time
}

// User is context.User: the owner of the request's subscription (APIM's
// IUser). Only Id is known unless the subscription's owner says more.
type User struct {
	Id               string
	Email            string
	FirstName        string
	LastName         string
	Note             string
	RegistrationDate time.Time
	Groups           []*Group
	Identities       []*UserIdentity
}

// Group is a user group (APIM's IGroup).
type Group struct {
	Id   string
	Name string
}

// UserIdentity is one of a user's identities (APIM's IUserIdentity).
type UserIdentity struct {
	Id       string
	Provider string
}
