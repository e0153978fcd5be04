package appinsights

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
)

// The telemetry items, as Application Insights' data contracts (the
// "Bond" schemas its SDKs serialise) name their fields. Each is the
// baseData of an envelope; ver is always 2.

// RequestData is a request the gateway served (the requests table).
type RequestData struct {
	Ver          int                `json:"ver"`
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	Duration     Duration           `json:"duration"`
	ResponseCode string             `json:"responseCode"`
	Success      bool               `json:"success"`
	Source       string             `json:"source,omitempty"`
	URL          string             `json:"url,omitempty"`
	Properties   map[string]string  `json:"properties,omitempty"`
	Measurements map[string]float64 `json:"measurements,omitempty"`
}

// RemoteDependencyData is a call the gateway made (the dependencies
// table): its backend call.
type RemoteDependencyData struct {
	Ver        int               `json:"ver"`
	ID         string            `json:"id,omitempty"`
	Name       string            `json:"name"`
	ResultCode string            `json:"resultCode,omitempty"`
	Duration   Duration          `json:"duration"`
	Success    bool              `json:"success"`
	Data       string            `json:"data,omitempty"`
	Target     string            `json:"target,omitempty"`
	Type       string            `json:"type,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// Severity levels of MessageData and ExceptionData.
const (
	Verbose     = 0
	Information = 1
	Warning     = 2
	Error       = 3
	Critical    = 4
)

// MessageData is a trace message (the traces table).
type MessageData struct {
	Ver           int               `json:"ver"`
	Message       string            `json:"message"`
	SeverityLevel int               `json:"severityLevel"`
	Properties    map[string]string `json:"properties,omitempty"`
}

// ExceptionData is a failure (the exceptions table).
type ExceptionData struct {
	Ver           int                `json:"ver"`
	Exceptions    []ExceptionDetails `json:"exceptions"`
	SeverityLevel int                `json:"severityLevel"`
	Properties    map[string]string  `json:"properties,omitempty"`
}

// ExceptionDetails is one exception of an ExceptionData: the gateway has
// no stack to give.
type ExceptionDetails struct {
	TypeName     string `json:"typeName"`
	Message      string `json:"message"`
	HasFullStack bool   `json:"hasFullStack"`
}

// Data point kinds.
const (
	Measurement = 0
	Aggregation = 1
)

// MetricData is one or more metric values (the customMetrics table).
type MetricData struct {
	Ver        int               `json:"ver"`
	Metrics    []DataPoint       `json:"metrics"`
	Properties map[string]string `json:"properties,omitempty"`
}

// DataPoint is one metric: a single value (Measurement) or an aggregate
// of Count values (Aggregation: Value is their sum).
type DataPoint struct {
	Namespace string   `json:"ns,omitempty"`
	Name      string   `json:"name"`
	Kind      int      `json:"kind"`
	Value     float64  `json:"value"`
	Count     int      `json:"count,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	StdDev    *float64 `json:"stdDev,omitempty"`
}

// Tags are the context tags of an item that the caller knows (the
// exporter adds the instrumentation key and the cloud role).
type Tags struct {
	OperationID   string // ai.operation.id: the W3C trace id
	ParentID      string // ai.operation.parentId
	OperationName string // ai.operation.name
	LocationIP    string // ai.location.ip: the client's address
	CloudRole     string // ai.cloud.role, when not the exporter's Role.Name
}

// Item is one telemetry item: Data is a *RequestData,
// *RemoteDependencyData, *MessageData, *ExceptionData or *MetricData.
type Item struct {
	Time time.Time
	Tags Tags
	Data any
}

// envelope is what goes over the wire.
type envelope struct {
	Name string            `json:"name"`
	Time string            `json:"time"`
	IKey string            `json:"iKey"`
	Tags map[string]string `json:"tags,omitempty"`
	Data envelopeData      `json:"data"`
}

type envelopeData struct {
	BaseType string `json:"baseType"`
	BaseData any    `json:"baseData"`
}

// kinds: an item's envelope name and baseType.
func kinds(data any) (name, baseType string, ok bool) {
	switch d := data.(type) {
	case *RequestData:
		d.Ver = 2
		return "Microsoft.ApplicationInsights.Request", "RequestData", true
	case *RemoteDependencyData:
		d.Ver = 2
		return "Microsoft.ApplicationInsights.RemoteDependency", "RemoteDependencyData", true
	case *MessageData:
		d.Ver = 2
		return "Microsoft.ApplicationInsights.Message", "MessageData", true
	case *ExceptionData:
		d.Ver = 2
		return "Microsoft.ApplicationInsights.Exception", "ExceptionData", true
	case *MetricData:
		d.Ver = 2
		return "Microsoft.ApplicationInsights.Metric", "MetricData", true
	}
	return "", "", false
}

// encode is the item's envelope as one line of JSON.
func (it *Item) encode(ikey string, role Role) ([]byte, error) {
	name, base, ok := kinds(it.Data)
	if !ok {
		return nil, errUnknownItem
	}
	tags := make(map[string]string, 8)
	set := func(k, v string) {
		if v != "" {
			tags[k] = v
		}
	}
	set("ai.operation.id", it.Tags.OperationID)
	set("ai.operation.parentId", it.Tags.ParentID)
	set("ai.operation.name", it.Tags.OperationName)
	set("ai.location.ip", it.Tags.LocationIP)
	if it.Tags.CloudRole != "" {
		role.Name = it.Tags.CloudRole
	}
	set("ai.cloud.role", role.Name)
	set("ai.cloud.roleInstance", role.Instance)
	set("ai.internal.sdkVersion", role.SDKVersion)
	return json.Marshal(envelope{Name: name, Time: FormatTime(it.Time), IKey: ikey, Tags: tags,
		Data: envelopeData{BaseType: base, BaseData: it.Data}})
}

// FormatTime is t as the envelopes' time: UTC, ISO 8601 with seven
// fractional digits.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.0000000Z")
}

// Duration is a duration as the data contracts write one: a .NET
// TimeSpan, d.hh:mm:ss.fffffff.
type Duration time.Duration

// String is d as d.hh:mm:ss.fffffff (negative durations are written as
// zero).
func (d Duration) String() string {
	v := time.Duration(d)
	if v < 0 {
		v = 0
	}
	ticks := int64(v / 100) // 100 ns, .NET's tick
	frac := ticks % 10_000_000
	secs := ticks / 10_000_000
	b := make([]byte, 0, 24)
	b = strconv.AppendInt(b, secs/86400, 10)
	b = append(b, '.')
	b = pad2(b, secs/3600%24)
	b = append(b, ':')
	b = pad2(b, secs/60%60)
	b = append(b, ':')
	b = pad2(b, secs%60)
	b = append(b, '.')
	f := strconv.AppendInt(nil, frac, 10)
	for range 7 - len(f) {
		b = append(b, '0')
	}
	return string(append(b, f...))
}

func pad2(b []byte, n int64) []byte {
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, n, 10)
}

// MarshalJSON writes d as a JSON string.
func (d Duration) MarshalJSON() ([]byte, error) { return strconv.AppendQuote(nil, d.String()), nil }

// TraceID is a new random W3C trace id (32 lower-case hex digits).
func TraceID() string { return randomHex(16) }

// SpanID is a new random W3C span id (16 lower-case hex digits): the id
// of a request or dependency.
func SpanID() string { return randomHex(8) }

func randomHex(n int) string {
	var b [16]byte
	_, _ = rand.Read(b[:n])
	return hex.EncodeToString(b[:n])
}
