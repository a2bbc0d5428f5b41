// Package peer holds benchmarks that run emailauth's libraries beside
// their peers in one binary, on the same inputs: emersion/go-msgauth's dkim
// package for DKIM verification and signing. It is a module of its own so
// that the peers' dependencies stay out of emailauth's go.mod; the scripts
// in bench/ run it and print the ratios.
package peer
