package explain

import (
	"fmt"
	"strings"

	"github.com/tcpteardown/teardown/record"
)

// sideName is "client" or "server" in the chosen language.
func sideName(i int, zh bool) string {
	switch {
	case i == record.Client && zh:
		return "客户端"
	case i == record.Server && zh:
		return "服务端"
	case i == record.Client:
		return "client"
	}
	return "server"
}

// Why is one sentence about how the connection ended, citing the claim of
// /work/shared/CLAIMS.md (or the RFC) it illustrates. lang "zh" gives the
// Chinese sentence.
func (d *Diagnosis) Why(lang string) string {
	zh := lang == "zh"
	c, p := d.Closer, record.Peer(max(d.Closer, 0))
	cn, pn := sideName(max(c, 0), zh), sideName(p, zh)
	switch d.Ending {
	case Clean:
		return pick(zh, fmt.Sprintf("The %s closed first and each FIN was acknowledged: nothing was lost, and the %s holds TIME-WAIT (C14).", cn, cn),
			fmt.Sprintf("%s先关闭，双方的 FIN 都被确认：没有数据丢失，%s进入 TIME-WAIT（C14）。", cn, cn))
	case HalfClose:
		return pick(zh, fmt.Sprintf("The %s half-closed, the %s still sent %d bytes the other way, then closed too: the open direction kept carrying data (C01, C08).", cn, pn, d.Bytes[p]),
			fmt.Sprintf("%s半关闭后，%s仍反向发送了 %d 字节，然后也关闭：未关闭的方向照常传数据（C01、C08）。", cn, pn, d.Bytes[p]))
	case Simultaneous:
		return pick(zh, "Both FINs crossed on the wire: each side went through CLOSING, and both hold TIME-WAIT (RFC 9293 §3.6, C14).",
			"双方的 FIN 在线路上交叉：两端都经过 CLOSING，并都进入 TIME-WAIT（RFC 9293 §3.6，C14）。")
	case Abort:
		return d.whyAbort(zh, cn, pn)
	case ResetAfterClose:
		return pick(zh, fmt.Sprintf("The %s closed, the %s then sent into the closed socket, and the %s's kernel answered with RST%s (C04, C06).", cn, pn, cn, lostEn(d.Lost[p])),
			fmt.Sprintf("%s已关闭，%s随后仍向已关闭的套接字发送数据，%s的内核以 RST 回应%s（C04、C06）。", cn, pn, cn, lostZh(d.Lost[p])))
	case Refused:
		return pick(zh, "The SYN was answered by RST: nothing listened on the server's port (connection refused).",
			"SYN 被 RST 回应：服务端端口上没有监听者（连接被拒绝）。")
	case Timeout:
		return pick(zh, fmt.Sprintf("The %s retransmitted %d times with no answer, then gave up or the capture stopped: the peer or the path was gone.", sideName(d.tailSide(), false), d.Retrans[d.tailSide()]),
			fmt.Sprintf("%s重传了 %d 次仍无应答，随后放弃或抓包结束：对端或路径已不可达。", sideName(d.tailSide(), true), d.Retrans[d.tailSide()]))
	case Open:
		return d.whyOpen(zh)
	}
	return pick(zh, "Too little of this connection was captured to say how it ended.", "抓到的报文太少，无法判断这个连接如何结束。")
}

func (d *Diagnosis) whyAbort(zh bool, cn, pn string) string {
	lost := d.Lost[0] + d.Lost[1]
	if d.has(FlagResponseAtRisk) {
		return pick(zh, fmt.Sprintf("The %s reset the connection while its own data was still unacknowledged: the %s's kernel discards what it had not read, %d bytes never arrived (RFC 9112 §9.6, C21).", cn, pn, lost),
			fmt.Sprintf("%s在自己的数据尚未被确认时重置了连接：%s的内核丢弃尚未读取的数据，%d 字节未送达（RFC 9112 §9.6，C21）。", cn, pn, lost))
	}
	return pick(zh, fmt.Sprintf("The %s reset the connection without a FIN: an abortive close (SO_LINGER 0, or close with unread input) that discards queued data%s (C17, C21).", cn, lostEn(lost)),
		fmt.Sprintf("%s未发 FIN 就重置了连接：这是中止式关闭（SO_LINGER 0，或接收缓冲区有未读数据时 close），排队的数据被丢弃%s（C17、C21）。", cn, lostZh(lost)))
}

func (d *Diagnosis) whyOpen(zh bool) string {
	for i, st := range d.State {
		if st.String() == "CLOSE-WAIT" {
			return pick(zh, fmt.Sprintf("The capture ended first: the %s had received a FIN and sat in CLOSE-WAIT; if its application never closes, that is a leak (C29).", sideName(i, false)),
				fmt.Sprintf("抓包先结束：%s已收到 FIN，处于 CLOSE-WAIT；若其应用一直不 close，就是泄漏（C29）。", sideName(i, true)))
		}
	}
	return pick(zh, fmt.Sprintf("The capture ended before the connection did (client %s, server %s).", d.State[0], d.State[1]),
		fmt.Sprintf("连接尚未结束抓包就停止了（客户端 %s，服务端 %s）。", d.State[0], d.State[1]))
}

func (d *Diagnosis) tailSide() int { return d.tail }

func (d *Diagnosis) has(flag string) bool {
	for _, f := range d.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

func lostEn(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(": %d bytes were never acknowledged", n)
}

func lostZh(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("：%d 字节从未被确认", n)
}

func pick(zh bool, en, z string) string {
	if zh {
		return z
	}
	return strings.TrimSpace(en)
}
