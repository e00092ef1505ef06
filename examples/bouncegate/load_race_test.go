//go:build race

package main

// loadMessages is how many messages TestE2ELoad sends under the race
// detector, which slows the gate several times over.
const loadMessages = 200
