// Package engine turns APIM-style policy documents into plans and runs them.
// It knows no policy by name: the policies come in as a Registry (built by
// package policies), so the engine can be read and tested on its own.
//
// The data flow, one file (or a few) per stage:
//
//	read     read.go        Read / ReadFile: XML bytes -> a tree of Nodes that
//	                        remember where each element, attribute and value
//	                        stands (pos.go: Pos, Error, ErrorList).
//	locate   locate.go      maps a place inside a value (after entity decoding,
//	                        {{named value}} substitution, trimming) back to the
//	                        file, so every error names file:line:col.
//	compile  compile.go     Compiler: walks <policies>, its sections and <base/>,
//	                        looks each element up in the Registry and calls its
//	                        Parse with a Parser.
//	         parser.go      Parser: the API a policy's Parse uses to read its
//	                        attributes (Str, Int, RequiredStr...), text and
//	                        children; whatever it does not read is reported.
//	         expr.go        compiles @(...) and @{...} values (scan.go finds
//	                        where they end) and checks their result type;
//	         lang.go        decides each expression's language: APIM's C#
//	                        (package csharp: parsed, type-checked, lowered to
//	                        expr or run by its interpreter) or expr-lang,
//	                        both against the typed environment (env.go,
//	                        funcs.go), with fast paths for common shapes
//	                        (fast.go, fastcall.go); value.go holds the
//	                        Str/Int/Bool/Value results policies keep.
//	plan     plan.go        Plan: four Blocks of Compiled Steps, immutable and
//	                        shared by every request of an API. Plan.MayBlock
//	                        says, from what Compile worked out, whether a
//	                        section may block its goroutine: a step opts in
//	                        to "never blocks" with NonBlocking, the default
//	                        is "may block" (a server runs only plans that
//	                        never block on an event loop thread).
//	run      state.go       State: one request or handshake (pooled). The gateway
//	                        calls Plan.Run per section; a failure becomes
//	                        context.LastError and runs on-error (errors.go).
//
// Named values (namedvalues.go) are substituted at compile time; secret ones
// are redacted from errors and traces (redact.go).
package engine
