package policies

import "tollgate/engine"

func redactURL(s string) string { return engine.RedactURL(s) }
