package csharp

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the zones are the same on every machine tollgate runs on
)

// System.TimeZoneInfo and the older System.TimeZone, which APIM's policy
// expressions allow. A time converted into a zone is its wall clock there:
// its Hour, Day and DayOfWeek are the zone's, its Kind is .NET's (Utc for
// TimeZoneInfo.Utc, Local for TimeZoneInfo.Local, Unspecified for any
// other zone), and two DateTimes compare by their ticks, as .NET compares
// them whatever their kind. A DateTime given to a zone is read by its
// kind, as .NET reads it: Utc and Local (the gateway's zone is UTC) as an
// instant, Unspecified as the zone's wall clock.

var (
	tTimeZone       = &Type{K: KTimeZone, Name: "TimeZoneInfo"}
	tTimeZoneLegacy = &Type{K: KTimeZoneLegacy, Name: "TimeZone"}
)

// tzInfo is a TimeZoneInfo (and TimeZone.CurrentTimeZone).
type tzInfo struct {
	id       string // as asked for: a Windows ID, an IANA name, or "UTC"
	std, dst string // StandardName, DaylightName
	loc      *time.Location
	legacy   bool // TimeZone.CurrentTimeZone, a System.TimeZone
}

// tzUTC is TimeZoneInfo.Utc, tzLocal TimeZoneInfo.Local: APIM's gateways,
// like DateTime.Now here, run on UTC. They are two objects, as in .NET,
// where a time converted to Local is Kind Local and one converted to Utc
// is Kind Utc.
var (
	tzUTC   = &tzInfo{id: "UTC", std: "Coordinated Universal Time", dst: "Coordinated Universal Time", loc: time.UTC}
	tzLocal = &tzInfo{id: "UTC", std: tzUTC.std, dst: tzUTC.dst, loc: time.UTC}
)

// kind is the DateTimeKind of a time converted into the zone (.NET's
// GetCorrespondingKind): Utc for TimeZoneInfo.Utc (which
// FindSystemTimeZoneById("UTC") gives), Local for TimeZoneInfo.Local,
// Unspecified for the rest.
func (z *tzInfo) kind() int {
	switch {
	case z == tzLocal:
		return kindLocal
	case z == tzUTC || z.utcID():
		return kindUtc
	}
	return kindUnspecified
}

// utcID reports whether the zone is UTC by its ID, as .NET's Equals
// compares zones (the Local zone's ID here is "UTC" too).
func (z *tzInfo) utcID() bool { return strings.EqualFold(z.id, "UTC") && z.loc == time.UTC }

// instant is the UTC instant d stands for in the zone, by d's kind: a Utc
// or Local time (the local zone is UTC) is one already, an Unspecified one
// is the zone's wall clock (toUTC: the standard time of a repeated hour,
// an ArgumentException in a skipped one).
func (z *tzInfo) instant(d time.Time) (time.Time, error) {
	if kindOf(d) != kindUnspecified {
		return d.UTC(), nil
	}
	return z.toUTC(d)
}

// errKindMismatch is .NET's refusal to read a Utc or Local time as
// another zone's.
func errKindMismatch() error {
	return exc("ArgumentException", "The conversion could not be completed because the supplied DateTime did not have the Kind property set correctly.  For example, when the Kind property is DateTimeKind.Local, the source time zone must be TimeZoneInfo.Local. (Parameter 'sourceTimeZone')")
}

// from is the instant of d given as a time in zone src (ConvertTime's and
// ConvertTimeToUtc's source): a Utc or Local d must come with the UTC zone.
func (src *tzInfo) from(d time.Time) (time.Time, error) {
	if kindOf(d) != kindUnspecified && !src.utcID() {
		return time.Time{}, errKindMismatch()
	}
	return src.instant(d)
}

// tzCurrent is TimeZone.CurrentTimeZone: UTC too.
var tzCurrent = &tzInfo{id: "UTC", std: tzUTC.std, dst: tzUTC.dst, loc: time.UTC, legacy: true}

// tzCache keeps each zone found: loading one reads the embedded database.
var tzCache sync.Map // id -> *tzInfo

// ianaToWindows is windowsZones the other way: the Windows names an IANA
// zone's StandardName and DaylightName take.
var ianaToWindows = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(windowsZones))
	for w, iana := range windowsZones {
		m[iana] = w
	}
	return m
})

// findZone is TimeZoneInfo.FindSystemTimeZoneById: a Windows ID, as
// .NET Framework on Windows (APIM) takes, or an IANA name, as .NET takes
// on Linux.
func findZone(id string) (*tzInfo, error) {
	if z, ok := tzCache.Load(id); ok {
		return z.(*tzInfo), nil
	}
	notFound := exc("TimeZoneNotFoundException", "The time zone ID '%s' was not found on the local computer.", id)
	if id == "" || strings.ContainsAny(id, "\\\x00") || strings.HasPrefix(id, "/") || strings.Contains(id, "..") || len(id) > 64 {
		return nil, notFound
	}
	// The cache outlives the request: it keeps its own copy of an ID that
	// may be a view of a request's bytes (a body in a pooled buffer).
	id = strings.Clone(id)
	var z *tzInfo
	switch {
	case strings.EqualFold(id, "UTC") || id == "Etc/UTC" || id == "Coordinated Universal Time":
		z = &tzInfo{id: id, std: tzUTC.std, dst: tzUTC.dst, loc: time.UTC}
	case windowsZones[id] != "":
		loc, err := time.LoadLocation(windowsZones[id])
		if err != nil {
			return nil, notFound
		}
		z = &tzInfo{id: id, std: id, dst: daylightName(id), loc: loc}
	default:
		if id == "Local" || !strings.Contains(id, "/") && !strings.HasPrefix(id, "Etc") {
			return nil, notFound // Go's "Local" and bare abbreviations (EST, CET) are not .NET's IDs
		}
		loc, err := time.LoadLocation(id)
		if err != nil {
			return nil, notFound
		}
		std, dst := id, id
		if w := ianaToWindows()[id]; w != "" {
			std, dst = w, daylightName(w)
		}
		z = &tzInfo{id: id, std: std, dst: dst, loc: loc}
	}
	actual, _ := tzCache.LoadOrStore(id, z)
	return actual.(*tzInfo), nil
}

// daylightName is Windows' name for a zone's daylight time: "W. Europe
// Standard Time" gives "W. Europe Daylight Time".
func daylightName(std string) string {
	if strings.Contains(std, "Standard Time") {
		return strings.Replace(std, "Standard Time", "Daylight Time", 1)
	}
	return std
}

// baseOffset is the zone's standard offset now (BaseUtcOffset): the
// offset of a January or July instant that is not daylight time.
func (z *tzInfo) baseOffset() time.Duration {
	y := time.Now().UTC().Year()
	for _, m := range []time.Month{time.January, time.July} {
		t := time.Date(y, m, 1, 12, 0, 0, 0, time.UTC).In(z.loc)
		if !t.IsDST() {
			_, off := t.Zone()
			return time.Duration(off) * time.Second
		}
	}
	_, off := time.Now().In(z.loc).Zone()
	return time.Duration(off) * time.Second
}

// supportsDST reports whether the zone has daylight time this year.
func (z *tzInfo) supportsDST() bool {
	y := time.Now().UTC().Year()
	for _, m := range []time.Month{time.January, time.July} {
		if time.Date(y, m, 1, 12, 0, 0, 0, time.UTC).In(z.loc).IsDST() {
			return true
		}
	}
	return false
}

// displayName is "(UTC+01:00) W. Europe Standard Time": .NET's form with
// the zone's name where Windows lists its cities.
func (z *tzInfo) displayName() string {
	off := z.baseOffset()
	if off == 0 && z.loc == time.UTC {
		return "(UTC) " + z.std
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("(UTC%s%02d:%02d) %s", sign, int(off.Hours()), int(off.Minutes())%60, z.std)
}

// String is TimeZoneInfo.ToString(), its DisplayName, and TimeZone's.
func (z *tzInfo) String() string {
	if z.legacy {
		return "System.CurrentSystemTimeZone"
	}
	return z.displayName()
}

// wall is a UTC instant's wall clock in the zone, a DateTime of the
// zone's kind.
func (z *tzInfo) wall(t time.Time) time.Time {
	l := t.In(z.loc)
	return withKind(time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC), z.kind())
}

// instants are the UTC instants whose wall clock in the zone is w (w's
// fields read as the zone's): none in a gap that daylight time skips,
// two in the hour it repeats (standard time's first).
func (z *tzInfo) instants(w time.Time) []time.Time {
	var out []time.Time
	seen := map[int]bool{}
	for _, probe := range []time.Duration{-26 * time.Hour, 0, 26 * time.Hour} {
		_, off := w.Add(probe).In(z.loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		i := w.Add(-time.Duration(off) * time.Second)
		if _, o := i.In(z.loc).Zone(); o == off {
			out = append(out, i)
		}
	}
	if len(out) == 2 && out[0].In(z.loc).IsDST() {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// toUTC is the UTC instant of a wall clock in the zone: ConvertTimeToUtc.
// .NET takes standard time in a repeated hour and refuses a skipped one.
func (z *tzInfo) toUTC(w time.Time) (time.Time, error) {
	if z.loc == time.UTC {
		return w.UTC(), nil
	}
	in := z.instants(w)
	if len(in) == 0 {
		return time.Time{}, exc("ArgumentException", "The supplied DateTime represents an invalid time.  For example, when the clock is adjusted forward, any time in the period that is skipped is invalid.")
	}
	return in[0].UTC(), nil
}

func tzArg(v any, name string) (*tzInfo, error) {
	z, ok := v.(*tzInfo)
	if !ok || z == nil {
		return nil, argNull(name)
	}
	return z, nil
}

func tzRecv(v any) (*tzInfo, error) {
	z, ok := v.(*tzInfo)
	if !ok || z == nil {
		return nil, errNull
	}
	return z, nil
}

func zoneByID(v any, name string) (*tzInfo, error) {
	id, ok := v.(string)
	if !ok {
		return nil, argNull(name)
	}
	return findZone(id)
}

func registerTimeZones() {
	S, B, DT, TS, TZ := tString, tBool, tDateTime, tTimeSpan, tTimeZone
	staticProp("TimeZoneInfo", "Utc", TZ, func([]any) (any, error) { return tzUTC, nil }, nil)
	staticProp("TimeZoneInfo", "Local", TZ, func([]any) (any, error) { return tzLocal, nil }, nil)
	static("TimeZoneInfo", "FindSystemTimeZoneById", ts(S), TZ, func(a []any) (any, error) { return zoneByID(a[0], "id") }, nil)
	// ConvertTimeToUtc(d): a Local or Unspecified d is local time, UTC here.
	static("TimeZoneInfo", "ConvertTimeToUtc", ts(DT), DT, func(a []any) (any, error) { return a[0].(time.Time).UTC(), nil }, nil)
	static("TimeZoneInfo", "ConvertTimeToUtc", ts(DT, TZ), DT, func(a []any) (any, error) {
		z, err := tzArg(a[1], "sourceTimeZone")
		if err != nil {
			return nil, err
		}
		return z.from(a[0].(time.Time))
	}, nil)
	// Conversions to a zone (from d's instant: UTC for a Utc d, local time,
	// UTC too, for the others) and from one zone to another, the zones
	// given as TimeZoneInfos or as IDs.
	for _, c := range []struct {
		name     string
		zone     *Type
		get      func(v any, param string) (*tzInfo, error)
		src, dst string
	}{
		{"ConvertTimeFromUtc", TZ, tzArg, "", "destinationTimeZone"},
		{"ConvertTime", TZ, tzArg, "sourceTimeZone", "destinationTimeZone"},
		{"ConvertTimeBySystemTimeZoneId", S, zoneByID, "sourceTimeZoneId", "destinationTimeZoneId"},
	} {
		static("TimeZoneInfo", c.name, ts(DT, c.zone), DT, func(a []any) (any, error) {
			z, err := c.get(a[1], c.dst)
			if err != nil {
				return nil, err
			}
			return z.wall(a[0].(time.Time)), nil
		}, nil)
		if c.src == "" {
			continue
		}
		static("TimeZoneInfo", c.name, ts(DT, c.zone, c.zone), DT, func(a []any) (any, error) {
			src, err := c.get(a[1], c.src)
			if err != nil {
				return nil, err
			}
			dst, err := c.get(a[2], c.dst)
			if err != nil {
				return nil, err
			}
			u, err := src.from(a[0].(time.Time))
			if err != nil {
				return nil, err
			}
			return dst.wall(u), nil
		}, nil)
	}

	// ConvertTime(DateTimeOffset, zone) and ConvertTimeBySystemTimeZoneId
	// (DateTimeOffset, id): the same instant at the zone's offset then.
	// After the DateTime overloads, which a DateTime argument takes.
	for _, c := range []struct {
		name string
		zone *Type
		get  func(v any, param string) (*tzInfo, error)
	}{{"ConvertTime", TZ, tzArg}, {"ConvertTimeBySystemTimeZoneId", S, zoneByID}} {
		b := reg(&builtin{key: "TimeZoneInfo." + c.name + "(DateTimeOffset)", params: ts(tDTO, c.zone), result: tDTO, run: func(a []any) (any, error) {
			z, err := c.get(a[1], "destinationTimeZone")
			if err != nil {
				return nil, err
			}
			d, err := asDTO(a[0])
			if err != nil {
				return nil, err
			}
			_, off := d.t.In(z.loc).Zone()
			return dtoAt(d.t, off/60)
		}})
		statics["TimeZoneInfo"][c.name] = append(statics["TimeZoneInfo"][c.name], b)
	}

	zoneProp := func(k Kind, name string, t *Type, f func(z *tzInfo) any) {
		prop(k, name, t, func(a []any) (any, error) {
			z, err := tzRecv(a[0])
			if err != nil {
				return nil, err
			}
			return f(z), nil
		}, nil)
	}
	zoneProp(KTimeZone, "Id", S, func(z *tzInfo) any { return z.id })
	zoneProp(KTimeZone, "DisplayName", S, func(z *tzInfo) any { return z.displayName() })
	zoneProp(KTimeZone, "BaseUtcOffset", TS, func(z *tzInfo) any { return z.baseOffset() })
	zoneProp(KTimeZone, "SupportsDaylightSavingTime", B, func(z *tzInfo) any { return z.supportsDST() })
	for _, k := range []Kind{KTimeZone, KTimeZoneLegacy} {
		zoneProp(k, "StandardName", S, func(z *tzInfo) any { return z.std })
		zoneProp(k, "DaylightName", S, func(z *tzInfo) any { return z.dst })
		zoneMethod := func(name string, t *Type, f func(z *tzInfo, d time.Time) (any, error)) {
			method(k, name, ts(DT), t, func(a []any) (any, error) {
				z, err := tzRecv(a[0])
				if err != nil {
					return nil, err
				}
				return f(z, a[1].(time.Time))
			}, nil)
		}
		// d by its kind: a Utc or Local time is an instant, an Unspecified
		// one the zone's wall clock (standard time in a repeated hour, the
		// base offset and no daylight time in a skipped one).
		zoneMethod("GetUtcOffset", TS, func(z *tzInfo, d time.Time) (any, error) {
			u, err := z.instant(d)
			if err != nil {
				return z.baseOffset(), nil
			}
			_, off := u.In(z.loc).Zone()
			return time.Duration(off) * time.Second, nil
		})
		zoneMethod("IsDaylightSavingTime", B, func(z *tzInfo, d time.Time) (any, error) {
			u, err := z.instant(d)
			if err != nil {
				return false, nil
			}
			return u.In(z.loc).IsDST(), nil
		})
	}
	method(KTimeZone, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	method(KTimeZoneLegacy, "ToString", ts(), S, func(a []any) (any, error) { return callToString(a[0]) }, nil)
	// IsInvalidTime and IsAmbiguousTime read d as the zone's wall clock.
	method(KTimeZone, "IsInvalidTime", ts(DT), B, func(a []any) (any, error) {
		z, err := tzRecv(a[0])
		if err != nil {
			return nil, err
		}
		d := a[1].(time.Time)
		if kindOf(d) != kindUnspecified { // a Utc or Local time is an instant: never invalid
			return false, nil
		}
		return z.loc != time.UTC && len(z.instants(d)) == 0, nil
	}, nil)
	method(KTimeZone, "IsAmbiguousTime", ts(DT), B, func(a []any) (any, error) {
		z, err := tzRecv(a[0])
		if err != nil {
			return nil, err
		}
		d := a[1].(time.Time)
		if kindOf(d) != kindUnspecified { // an instant: ambiguous where its wall clock in the zone is
			d = z.wall(d.UTC())
		}
		return z.loc != time.UTC && len(z.instants(d)) == 2, nil
	}, nil)
	method(KTimeZone, "Equals", ts(TZ), B, func(a []any) (any, error) {
		x, _ := a[0].(*tzInfo)
		y, _ := a[1].(*tzInfo)
		if x == nil {
			return nil, errNull
		}
		return y != nil && strings.EqualFold(x.id, y.id), nil
	}, nil)

	// TimeZone.CurrentTimeZone: the gateway's, UTC.
	staticProp("TimeZone", "CurrentTimeZone", tTimeZoneLegacy, func([]any) (any, error) { return tzCurrent, nil }, nil)
	method(KTimeZoneLegacy, "ToLocalTime", ts(DT), DT, func(a []any) (any, error) { return a[1].(time.Time).In(locLocal), nil }, nil)
	method(KTimeZoneLegacy, "ToUniversalTime", ts(DT), DT, func(a []any) (any, error) { return a[1].(time.Time).UTC(), nil }, nil)
	// DateTime.ToLocalTime: the gateway's local time is UTC, so only the
	// kind changes (to Local).
	method(KDateTime, "ToLocalTime", ts(), DT, func(a []any) (any, error) { return a[0].(time.Time).In(locLocal), nil }, nil)
}
