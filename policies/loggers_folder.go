package policies

import (
	"context"
	"maps"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"tollgate/engine"
)

// FolderLogger is a logger the configuration folder declares: an APIOps
// loggers/NAME/loggerInformation.json of type azureEventHub or
// applicationInsights. The gateway reads the file; Stage checks the
// credentials and builds the logger.
type FolderLogger struct {
	ID  string
	Pos engine.Pos // where it is declared, for errors
	// Type is LoggerTypeAppInsights for an applicationInsights logger
	// (AppInsights holds its credentials), "" for an azureEventHub one
	// (Credentials).
	Type        string
	Credentials EventHubCredentials
	AppInsights AppInsightsCredentials
	// Buffer is the logger's queue in messages or telemetry items (0: the
	// default).
	Buffer int
	// Unusable says why the logger cannot be used (its credentials need a
	// secret named value the folder has no value for, as in every APIOps
	// extract): nothing is built for it, a log-to-eventhub naming it is a
	// load error saying why, and the gateway reports it as a notice.
	Unusable string
}

// fingerprint says what the logger is built from: a reload that leaves it
// unchanged keeps the running logger (and what it has queued).
func (f FolderLogger) fingerprint() string {
	if f.Type == LoggerTypeAppInsights {
		c := f.AppInsights
		return "appinsights\x00" + c.InstrumentationKey + "\x00" + c.ConnectionString + "\x00" + c.IdentityClientID + "\x00" + strconv.Itoa(f.Buffer)
	}
	c := f.Credentials
	return "eventhub\x00" + c.Name + "\x00" + c.ConnectionString + "\x00" + c.EndpointAddress + "\x00" + c.IdentityClientID
}

// LoggerSet is the loggers one configuration load sees: the loggers
// file's, and the folder's — the running ones where unchanged, new ones
// (not started) otherwise. Commit makes it current once the configuration
// it was staged for serves; Discard forgets it.
type LoggerSet struct {
	ls       *Loggers // nil: checked only (tollgate check), never started
	byID     map[string]*logger
	folder   map[string]*logger
	unusable map[string]string // folder loggers that cannot be used: why (FolderLogger.Unusable)
	fresh    []*logger
}

// Stage builds the set a configuration load compiles against. A folder
// logger with the id of a loggers file's logger is not used (the file's
// wins: a way to send an APIOps logger to a local sink); notes says so.
// ls may be nil (tollgate check): the set is checked, never started.
func (ls *Loggers) Stage(defs []FolderLogger) (set *LoggerSet, errs engine.ErrorList, notes []string) {
	set = &LoggerSet{ls: ls, byID: map[string]*logger{}, folder: map[string]*logger{}}
	build := ls
	if ls == nil {
		build = &Loggers{log: zap.NewNop()} // its queues may fill: never started, they drop and warn
	} else {
		ls.mu.Lock()
		defer ls.mu.Unlock()
		maps.Copy(set.byID, ls.byID)
	}
	for _, d := range defs {
		if set.byID[d.ID] != nil {
			notes = append(notes, d.Pos.String()+": ignored: logger "+d.ID+" (the loggers file declares it too, and that one is used)")
			continue
		}
		if set.folder[d.ID] != nil || set.unusable[d.ID] != "" {
			errs.Add(d.Pos, "", "logger %q is declared twice", d.ID)
			continue
		}
		if d.Unusable != "" {
			if set.unusable == nil {
				set.unusable = map[string]string{}
			}
			set.unusable[d.ID] = d.Unusable
			continue
		}
		fp := d.fingerprint()
		if ls != nil {
			if old := ls.folder[d.ID]; old != nil && old.fp == fp {
				set.folder[d.ID] = old
				continue
			}
		}
		if d.Type == LoggerTypeAppInsights {
			lg, err := build.appInsightsLogger(d, fp, true)
			if err != nil {
				errs.Add(d.Pos, "", "logger %s: %s", d.ID, err.Error())
				continue
			}
			set.folder[d.ID] = lg
			set.fresh = append(set.fresh, lg)
			continue
		}
		w, err := build.eventHubWriter(d.Credentials, true)
		if err != nil {
			errs.Add(d.Pos, "", "logger %s: %s", d.ID, err.Error())
			continue
		}
		size := d.Buffer
		if size <= 0 {
			size = defaultLoggerBuffer
		}
		lg := build.newQueue(d.ID, size)
		lg.fp, lg.write = fp, w
		set.folder[d.ID] = lg
		set.fresh = append(set.fresh, lg)
	}
	return set, errs, notes
}

// Unusable says why the folder's logger id cannot be used ("" when it
// can, or when there is none).
func (s *LoggerSet) Unusable(id string) string {
	if s == nil {
		return ""
	}
	return s.unusable[id]
}

// lookup returns the logger called id in the set.
func (s *LoggerSet) lookup(id string) *logger {
	if lg := s.byID[id]; lg != nil {
		return lg
	}
	return s.folder[id]
}

// Registry returns reg with log-to-eventhub naming the set's loggers.
func (s *LoggerSet) Registry(reg engine.Registry) engine.Registry {
	p, ok := reg["log-to-eventhub"]
	if !ok {
		return reg
	}
	out := maps.Clone(reg)
	orig := p.Parse
	p.Parse = func(p *engine.Parser) engine.Step {
		// A logger the set does not have may be the registry's own (a
		// program that gave Deps.Loggers but staged without them).
		if a := p.Node().Attr("logger-id"); a != nil && s.lookup(a.Value) == nil && s.unusable[a.Value] == "" && orig != nil {
			return orig(p)
		}
		return parseLogToEventhub(p, s.lookup, s.Unusable)
	}
	out["log-to-eventhub"] = p
	return out
}

// Commit makes s the current set: its new loggers start, and the folder's
// loggers it no longer has stop once what they have queued is written
// (at most 10 s). Call it once the configuration compiled against s
// serves.
func (s *LoggerSet) Commit() {
	if s == nil || s.ls == nil {
		return
	}
	ls := s.ls
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.closed {
		return
	}
	for _, lg := range s.fresh {
		lg.started = true
		go lg.run()
	}
	s.fresh = nil
	for id, old := range ls.folder {
		if s.folder[id] != old {
			old.halt()
		}
	}
	ls.folder = s.folder
}

// Discard forgets a set whose configuration was not used: its new
// loggers were never started and hold nothing but their queues.
func (s *LoggerSet) Discard() {
	if s != nil {
		s.fresh = nil
	}
}

// eventHubWriter returns the writer of an event hub logger. A managed
// identity is looked up now when eager (the configuration folder's
// loggers, staged after Registry gave the identities), else when a batch
// is sent (the loggers file, read before).
func (ls *Loggers) eventHubWriter(c EventHubCredentials, eager bool) (func([]logEntry) error, error) {
	t, err := parseEventHub(c)
	if err != nil {
		return nil, err
	}
	e := &eventHubSender{t: t, now: time.Now, client: ls.httpClient}
	if t.identity == nil {
		return e.write, nil
	}
	tok, err := ls.identityToken(*t.identity, eager)
	if err != nil {
		return nil, err
	}
	e.token = tok
	return e.write, nil
}

// SetClient sets the client event hub loggers send with (tests; default
// DefaultHTTPClient's).
func (ls *Loggers) SetClient(c *http.Client) {
	ls.cmu.Lock()
	ls.client = c
	ls.cmu.Unlock()
}

// setTokens gives the loggers the gateway's managed identities.
func (ls *Loggers) setTokens(f func(clientID string) func(ctx context.Context, resource string) (string, error)) {
	if ls == nil {
		return
	}
	ls.cmu.Lock()
	ls.tokens = f
	ls.cmu.Unlock()
}
