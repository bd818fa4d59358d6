package cli

import "testing"

func TestClosest(t *testing.T) {
	names := []string{"bench", "capture", "client", "lab", "serve", "watch"}
	for typed, want := range map[string]string{
		"lba": "lab", "labs": "lab", "serv": "serve", "sevre": "serve", "clinet": "client",
		"cap": "capture", "wathc": "watch", "benchh": "bench",
		"c": "", "x": "", "run": "", "frobnicate": "", "list": "",
	} {
		if got := closest(typed, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", typed, got, want)
		}
	}
}
