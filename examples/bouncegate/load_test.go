//go:build !race

package main

// loadMessages is how many messages TestE2ELoad sends.
const loadMessages = 1000
