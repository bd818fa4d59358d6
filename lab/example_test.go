package lab_test

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/lab"
)

func ExampleParse() {
	src := `scenario tiny
claims C21
client: connect server
server: listen
client: close
expect packet client>server F.
verdict C21 agrees when packet client>server F.
verdict C21 differs otherwise
`
	s, err := lab.Parse("tiny.scn", strings.NewReader(src))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, st := range s.Steps {
		fmt.Printf("line %d: %s %s %v\n", st.Line, st.Actor, st.Op, st.Args)
	}
	fmt.Println(len(s.Expects), "expectation,", len(s.Rules), "verdict rules")
	// Output:
	// line 3: client connect [server]
	// line 4: server listen []
	// line 5: client close []
	// 1 expectation, 2 verdict rules
}

func ExampleCatalog() {
	all, _ := lab.Catalog()
	for _, s := range all[:3] {
		fmt.Println(s.Name, s.Claims)
	}
	// Output:
	// backlog [C25]
	// close-after-read [C21]
	// close-unread [C21]
}
