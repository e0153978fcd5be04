// Package editdist measures how far apart two names are, for the
// "did you mean" hints of load errors (engine's element and attribute
// names, the C# binder's members and types).
package editdist

// Distance is the Levenshtein distance between a and b. Names longer than
// 64 bytes are never close to anything (99): a hint is for typos, and the
// cost of the table stays bounded whatever a hostile file holds.
func Distance(a, b string) int {
	if a == b {
		return 0
	}
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
