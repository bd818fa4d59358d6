package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/tcpteardown/teardown/internal/netns"
	"github.com/tcpteardown/teardown/internal/sys"
)

// errDumpInterrupted reports that the kernel's socket tables changed while a
// sock_diag dump was walking them (NLM_F_DUMP_INTR): some rows may be
// missing or doubled, so the caller should ask again.
var errDumpInterrupted = errors.New("sock_diag dump interrupted by a concurrent change")

const sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY

// dump sends one SOCK_DIAG_BY_FAMILY dump request (req is the protocol's
// request struct, e.g. inet_diag_req_v2) on a NETLINK_SOCK_DIAG socket and
// calls fn with the payload of every answer. nsfd selects the network
// namespace (a descriptor of it; 0 means the caller's): a netlink socket only
// sees the namespace it was created in. fn must not keep msg.
func dump(nsfd int, req []byte, fn func(msg []byte) error) error {
	fd, err := sockDiagSocket(nsfd)
	if err != nil {
		return err
	}
	defer sys.Close(fd)
	hdr := make([]byte, sys.SizeofNlMsghdr, sys.SizeofNlMsghdr+len(req))
	ne := binary.NativeEndian
	ne.PutUint32(hdr[0:], uint32(sys.SizeofNlMsghdr+len(req)))
	ne.PutUint16(hdr[4:], sockDiagByFamily)
	ne.PutUint16(hdr[6:], sys.NLM_F_REQUEST|sys.NLM_F_DUMP)
	ne.PutUint32(hdr[8:], 1) // sequence number
	if err := sys.SendToKernel(fd, append(hdr, req...)); err != nil {
		return err
	}
	return receiveDump(fd, fn)
}

// sockDiagSocket opens the netlink socket, inside namespace nsfd if given.
func sockDiagSocket(nsfd int) (int, error) {
	if nsfd <= 0 {
		return openSockDiag()
	}
	fd := -1
	err := netns.DoFD(nsfd, func() (err error) { fd, err = openSockDiag(); return err })
	return fd, err
}

func openSockDiag() (int, error) {
	fd, err := sys.NetlinkSocket(sys.NETLINK_SOCK_DIAG)
	if err != nil {
		return -1, err
	}
	// The kernel always answers a dump; the timeout only guards against a
	// hung read ever blocking a caller forever.
	if err := sys.SetRecvTimeout(fd, 5*time.Second); err != nil {
		sys.Close(fd)
		return -1, err
	}
	return fd, nil
}

// receiveDump reads answers until NLMSG_DONE.
func receiveDump(fd int, fn func([]byte) error) error {
	buf := make([]byte, 1<<16) // the kernel fills at most ~32 KiB per read
	intr := false
	for {
		n, _, err := sys.RecvFrom(fd, buf)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("sock_diag: %w", err)
		}
		done, err := handleMessages(msgs, fn, &intr)
		if err != nil || done {
			if err == nil && intr {
				err = errDumpInterrupted
			}
			return err
		}
	}
}

func handleMessages(msgs []syscall.NetlinkMessage, fn func([]byte) error, intr *bool) (done bool, err error) {
	for _, m := range msgs {
		if m.Header.Flags&sys.NLM_F_DUMP_INTR != 0 {
			*intr = true
		}
		switch m.Header.Type {
		case sys.NLMSG_DONE:
			return true, nil
		case sys.NLMSG_ERROR:
			return true, netlinkError(m.Data)
		case sockDiagByFamily:
			if err := fn(m.Data); err != nil {
				return true, err
			}
		}
	}
	return false, nil
}

// netlinkError decodes struct nlmsgerr: a negative errno (0 is an ACK).
func netlinkError(b []byte) error {
	if len(b) < 4 {
		return errors.New("sock_diag: truncated error message")
	}
	e := -int32(binary.NativeEndian.Uint32(b))
	if e == 0 {
		return nil
	}
	return os.NewSyscallError("sock_diag", syscall.Errno(e))
}
