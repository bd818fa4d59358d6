package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tcpteardown/teardown/sockdiag"
	"github.com/tcpteardown/teardown/tcpstate"
)

// watch -listen: the latest look at the socket table as Prometheus
// metrics. Every host runs watch; the monitoring system scrapes them all
// and aggregates, which is how watch scales past one machine.
//
// The collector keeps the last report and turns it into metrics when
// scraped, so a scrape always sees one consistent sample.

var (
	descSockets = prometheus.NewDesc("teardown_sockets",
		"TCP sockets per state and service port (the local port of a listener's connections, otherwise the remote port).",
		[]string{"state", "port"}, nil)
	descQueue = prometheus.NewDesc("teardown_accept_queue",
		"Connections that completed the handshake and wait for accept(), per listening socket.",
		[]string{"local"}, nil)
	descBacklog = prometheus.NewDesc("teardown_accept_queue_backlog",
		"The accept queue's limit (listen() backlog capped by net.core.somaxconn), per listening socket.",
		[]string{"local"}, nil)
	descFill = prometheus.NewDesc("teardown_accept_queue_fill_ratio",
		"Accept queue length divided by its backlog, per listening socket (1: full, new handshakes are dropped).",
		[]string{"local"}, nil)
	descOrphans = prometheus.NewDesc("teardown_orphan_sockets",
		"Sockets closed by their application that the kernel still works on.", nil, nil)
	descOldest = prometheus.NewDesc("teardown_close_wait_oldest_seconds",
		"Age of the oldest CLOSE-WAIT socket seen by this watch (0: none). A growing value is a leak.", nil, nil)
	descAlarm = prometheus.NewDesc("teardown_alarm",
		"1 while watch raises this alarm, 0 otherwise (warnings count as 0.5).", []string{"kind"}, nil)
	descSample = prometheus.NewDesc("teardown_sample_timestamp_seconds",
		"When the socket table was last read (Unix time).", nil, nil)
)

// alarmKinds are exported even when quiet, so alert rules see a 0.
var alarmKinds = []sockdiag.AlarmKind{sockdiag.AlarmCloseWaitGrowing, sockdiag.AlarmCloseWaitOld,
	sockdiag.AlarmTimeWaitPorts, sockdiag.AlarmOrphans, sockdiag.AlarmFinWait2Orphans, sockdiag.AlarmAcceptQueueFull}

// watchMetrics is a prometheus.Collector over the latest report.
type watchMetrics struct {
	mu     sync.Mutex
	rep    sockdiag.Report
	counts map[[2]string]int // (state, port) → sockets
	ready  bool
}

func (m *watchMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSockets, descQueue, descBacklog, descFill, descOrphans, descOldest, descAlarm, descSample} {
		ch <- d
	}
}

func (m *watchMetrics) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.ready {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for k, n := range m.counts {
		gauge(descSockets, float64(n), k[0], k[1])
	}
	for _, l := range m.rep.Sample.Listeners {
		gauge(descQueue, float64(l.Queued), l.Local.String())
		gauge(descBacklog, float64(l.Backlog), l.Local.String())
		if l.Backlog > 0 {
			gauge(descFill, float64(l.Queued)/float64(l.Backlog), l.Local.String())
		}
	}
	gauge(descOrphans, float64(m.rep.Sample.Orphans))
	gauge(descOldest, m.rep.Sample.OldestCloseWait().Seconds())
	gauge(descSample, float64(m.rep.Sample.At.UnixNano())/1e9)
	for _, k := range alarmKinds {
		gauge(descAlarm, alarmValue(m.rep.Alarms, k), string(k))
	}
}

func alarmValue(alarms []sockdiag.Alarm, k sockdiag.AlarmKind) float64 {
	v := 0.0
	for _, a := range alarms {
		if a.Kind == k {
			if !a.Warning {
				return 1
			}
			v = 0.5
		}
	}
	return v
}

// update stores the report of a step and its sockets' counts.
func (m *watchMetrics) update(r sockdiag.Report, socks []sockdiag.Socket) {
	counts := servicePortCounts(r, socks)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rep, m.counts, m.ready = r, counts, true
}

// servicePortCounts counts sockets per state and service port: the local
// port when it is watched (or, watching all ports, when a listener has
// it), else the remote port. Ephemeral client ports never become labels,
// which keeps the number of series small.
func servicePortCounts(r sockdiag.Report, socks []sockdiag.Socket) map[[2]string]int {
	service := map[uint16]bool{}
	for _, p := range r.Ports {
		service[p] = true
	}
	if len(r.Ports) == 0 {
		for _, l := range r.Sample.Listeners {
			service[l.Local.Port()] = true
		}
	}
	m := map[[2]string]int{}
	for _, s := range socks {
		p := s.Remote.Port()
		if service[s.Local.Port()] || s.State == tcpstate.Listen {
			p = s.Local.Port()
		}
		m[[2]string{s.State.String(), strconv.Itoa(int(p))}]++
	}
	return m
}

// serveMetrics listens on -listen and serves /metrics until the returned
// stop is called.
func (w *watcher) serveMetrics(ctx context.Context, env *Env) (stop func(), err error) {
	w.metrics = &watchMetrics{}
	reg := prometheus.NewRegistry()
	if err := reg.Register(w.metrics); err != nil {
		return nil, fmt.Errorf("watch: metrics: %w", err)
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", w.opts.listen)
	if err != nil {
		return nil, fmt.Errorf("watch: -listen %s: %w (give a free address, e.g. -listen 127.0.0.1:9100)", w.opts.listen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(env.Stderr, "watch: metrics server: %v\n", err)
		}
	}()
	// Scripts (and tests) wait for this line before scraping.
	fmt.Fprintf(env.Stderr, "serving metrics on http://%s/metrics\n", l.Addr())
	return func() { _ = srv.Close(); <-done }, nil // watch is ending: nothing is left to serve
}
