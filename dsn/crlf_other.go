//go:build !amd64 || purego

package dsn

// linesProven has no vector check on this platform (or under the purego
// build tag): the caller searches line by line.
func linesProven(q []byte) bool { return false }
