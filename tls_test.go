package teardown_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tcpteardown/teardown"
)

// selfSigned makes a certificate for 127.0.0.1 that the client trusts.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "teardown test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// tlsPair wraps a loopback pair in TLS and completes the handshake.
func tlsPair(t *testing.T) (server, client *tls.Conn) {
	t.Helper()
	cert, pool := selfSigned(t)
	local, peer := pair(t, 0)
	server = tls.Server(local, &tls.Config{Certificates: []tls.Certificate{cert}})
	client = tls.Client(peer, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return server, client
}

// TestGracefulTLS: over TLS the peer reads the reply, then a clean EOF
// (close_notify, then FIN), answers with its own close, and Graceful ends
// PeerClosed with the TCP queues empty.
func TestGracefulTLS(t *testing.T) {
	server, client := tlsPair(t)
	type peerView struct {
		Got string
		Err error
	}
	got := make(chan peerView, 1)
	go func() {
		b, err := io.ReadAll(client)
		got <- peerView{string(b), err}
		client.Close()
	}()
	if _, err := server.Write([]byte("Hi, aaa")); err != nil {
		t.Fatal(err)
	}
	rep, err := teardown.Graceful(context.Background(), server, nil)
	if err != nil {
		t.Fatalf("Graceful: %v", err)
	}
	if diff := cmp.Diff(peerView{Got: "Hi, aaa"}, <-got, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("peer (-want +got):\n%s", diff)
	}
	// Drained counts decrypted bytes; the client's close_notify carries none.
	want := teardown.Report{Outcome: teardown.PeerClosed}
	if diff := cmp.Diff(want, rep, cmpopts.IgnoreFields(teardown.Report{}, "Duration")); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

// TestInfoTLS: Info looks through *tls.Conn to the TCP socket.
func TestInfoTLS(t *testing.T) {
	server, _ := tlsPair(t)
	i, err := teardown.Info(server)
	if err != nil || i.State.String() != "ESTABLISHED" {
		t.Errorf("Info(tls) = %v, %v; want ESTABLISHED", i, err)
	}
}
