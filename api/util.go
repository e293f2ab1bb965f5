package api

import "math"

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// keepLast returns s with x appended, keeping the last n, in a new slice of
// exactly that length. A record keeps its recent lists for as long as it
// lives: append's spare capacity would about double what each one holds.
func keepLast[T any](s []T, x T, n int) []T {
	k := min(len(s)+1, n)
	out := make([]T, 0, k)
	out = append(out, s[len(s)+1-k:]...)
	return append(out, x)
}
