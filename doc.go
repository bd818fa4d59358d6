// Package teardown closes TCP connections without losing data and says how
// each close ended.
//
// (Package documentation is written with the close strategies in graceful.go,
// abort.go, linger.go.)
package teardown
