package engine

// SetPrivate keeps v for this request under key, out of expressions' reach
// (context.Variables is the user's): a policy in one section hands state to
// a later one this way, as cache-lookup does to cache-store. Use an
// unexported key type, as with context.WithValue. A fork does not see or
// return private values.
func (s *State) SetPrivate(key, v any) {
	if s.private == nil {
		s.private = map[any]any{}
	}
	s.private[key] = v
}

// Private returns what SetPrivate kept under key (nil when nothing).
func (s *State) Private(key any) any { return s.private[key] }
