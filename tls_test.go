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

// tlsPair wraps a loopback pair in TLS (at most version max) and completes
// the handshake. The client's raw input is recorded.
func tlsPair(t *testing.T, max uint16) (server, client *tls.Conn, raw *recorder) {
	t.Helper()
	cert, pool := selfSigned(t)
	local, peer := pair(t, 0)
	raw = &recorder{Conn: peer}
	server = tls.Server(local, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: max})
	client = tls.Client(raw, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MaxVersion: max})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return server, client, raw
}

// recorder keeps every byte read from the connection, so that a test can see
// the TLS records as they came off the wire. Only the reading goroutine
// touches in.
type recorder struct {
	net.Conn
	in []byte
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.in = append(r.in, p[:n]...)
	return n, err
}

// lastRecordType walks the 5-byte TLS record headers (type, version,
// length) and returns the content type of the last record.
func lastRecordType(b []byte) byte {
	var typ byte
	for len(b) >= 5 {
		typ = b[0]
		n := 5 + (int(b[3])<<8 | int(b[4]))
		b = b[min(n, len(b)):]
	}
	return typ
}

// TestGracefulTLS: over TLS the peer reads the reply and a clean EOF,
// answers with its own close, and Graceful ends PeerClosed. Under TLS 1.2
// the record types are in the clear, which shows the last thing before the
// FIN was an alert (close_notify); TLS 1.3 encrypts alerts as application
// data (23).
func TestGracefulTLS(t *testing.T) {
	tests := []struct {
		name     string
		version  uint16
		wantLast byte // content type of the last record the client received
	}{
		{"TLS 1.2", tls.VersionTLS12, 21},
		{"TLS 1.3", tls.VersionTLS13, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client, raw := tlsPair(t, tt.version)
			got := make(chan peerView, 1)
			go readTLS(client, raw, got)
			if _, err := server.Write([]byte("Hi, aaa")); err != nil {
				t.Fatal(err)
			}
			rep, err := teardown.Graceful(context.Background(), server, nil)
			if err != nil {
				t.Fatalf("Graceful: %v", err)
			}
			want := peerView{Got: "Hi, aaa", LastRecord: tt.wantLast}
			if diff := cmp.Diff(want, <-got, cmpopts.EquateErrors()); diff != "" {
				t.Errorf("peer (-want +got):\n%s", diff)
			}
			// Drained counts application bytes; the client's close_notify carries none.
			wantRep := teardown.Report{Outcome: teardown.OutcomePeerClosed}
			if diff := cmp.Diff(wantRep, rep, cmpopts.IgnoreFields(teardown.Report{}, "Duration")); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

type peerView struct {
	Got        string
	Err        error
	LastRecord byte
}

// readTLS reads to EOF, then closes (close_notify and FIN back).
func readTLS(client *tls.Conn, raw *recorder, got chan<- peerView) {
	b, err := io.ReadAll(client)
	got <- peerView{string(b), err, lastRecordType(raw.in)}
	client.Close()
}

// TestInfoTLS: Info looks through *tls.Conn to the TCP socket.
func TestInfoTLS(t *testing.T) {
	server, _, _ := tlsPair(t, 0)
	i, err := teardown.Info(server)
	if err != nil || i.State.String() != "ESTABLISHED" {
		t.Errorf("Info(tls) = %v, %v; want ESTABLISHED", i, err)
	}
}
