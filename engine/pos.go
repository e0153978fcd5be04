package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a policy file. Line and Col are 1-based; Col counts
// characters (runes), not bytes, as editors do.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	case p.Line == 0:
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one load problem: where it is, which element, and what is wrong.
// It prints as a compiler does: "file:line:col: path: message".
type Error struct {
	Pos  Pos
	Path string // element path, e.g. inbound/choose[1]/when[2]/send-request[1]
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Pos.String() + ": " + e.Path + ": " + e.Msg
}

// ErrorList collects every problem found while loading, not only the first.
type ErrorList []*Error

func (l *ErrorList) Add(pos Pos, path, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Append adds err, flattening ErrorLists and located Errors.
func (l *ErrorList) Append(err error) {
	if err == nil {
		return
	}
	var el ErrorList
	var e *Error
	switch {
	case errors.As(err, &el):
		*l = append(*l, el...)
	case errors.As(err, &e):
		*l = append(*l, e)
	default:
		*l = append(*l, &Error{Msg: err.Error()})
	}
}

// Sort orders the list by file, line and column, and drops exact duplicates.
func (l ErrorList) Sort() ErrorList {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := l[:0]
	for i, e := range l {
		if i > 0 && e.Error() == l[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}
