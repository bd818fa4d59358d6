// Package lab runs scenarios on the real kernel and records what happened.
// (Full documentation is written with the runner.)
package lab
