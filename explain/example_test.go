package explain_test

import (
	"fmt"
	"os"

	"github.com/tcpteardown/teardown/explain"
)

// The summary of a tcpdump capture of the seed's experiment A.
func ExampleRun() {
	f, err := os.Open("testdata/expA.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	explain.Run(f, os.Stdout, &explain.Config{Name: "expA.pcap"})
	// Output:
	// expA.pcap: 9 packets (pcap), 1 TCP connection
	//   1 reset-after-close
	// #1  127.0.0.1:42632 → 127.0.0.1:9527  reset-after-close  closer client  500.8 ms  bytes 3/7  [data-lost 7 bytes]
	//     The client closed, the server then sent into the closed socket, and the client's kernel answered with RST: 7 bytes were never acknowledged (C04, C06).
}
