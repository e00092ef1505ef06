//go:build race

package main

// raceEnabled: the race detector slows the milter down several times.
const raceEnabled = true
