package record_test

import (
	"fmt"

	"github.com/tcpteardown/teardown/record"
	rt "github.com/tcpteardown/teardown/record/recordtest"
)

// The seed's experiment A: "aaa" from the client, its FIN, the server's
// late "Hi, aaa" and the client's RST. The record shows what each side
// sent and what the peer acknowledged: the 7 bytes of the reply never were.
func ExampleBuilder() {
	segs := rt.New("127.0.0.1:40000", "127.0.0.1:9527").Handshake().
		Data(0, "aaa").Ack(1).Fin(0).Ack(1).Data(1, "Hi, aaa").Rst(0).Segs
	b := &record.Builder{Done: func(c *record.Conn) {
		for i, name := range []string{"client", "server"} {
			sd := c.Sides[i]
			fmt.Printf("%s: sent %d, acknowledged %d, FIN %v, RST %v\n", name, sd.Bytes, sd.Acked, sd.FIN.Seen, sd.RST.Seen)
		}
	}}
	for i := range segs {
		b.Add(&segs[i])
	}
	b.Flush()
	// Output:
	// client: sent 3, acknowledged 3, FIN true, RST true
	// server: sent 7, acknowledged 0, FIN false, RST false
}
