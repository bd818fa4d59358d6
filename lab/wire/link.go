package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Link is the wire's physics: a round-trip time split evenly between the
// two directions, random loss reproducible from a seed, and a rate that
// serialises packets as a real link of that speed would.
type Link struct {
	RTT  time.Duration
	Loss float64 // probability 0..1 that a packet is lost, per direction
	Seed uint64
	Rate int64 // bits per second; 0: unlimited
}

// ParseLink reads the `wire` directive's properties, e.g.
// "rtt=40ms loss=2% seed=7 rate=10mbit". Missing ones keep their zero.
func ParseLink(text string) (Link, error) {
	var l Link
	for _, kv := range strings.Fields(text) {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "rtt":
			l.RTT, err = time.ParseDuration(v)
			if err != nil || l.RTT < 0 || l.RTT > 10*time.Second {
				err = fmt.Errorf("wire: expected rtt=D such as rtt=40ms (0..10s), got %q", kv)
			}
		case "loss":
			l.Loss, err = parseLoss(v)
		case "seed":
			l.Seed, err = strconv.ParseUint(v, 10, 64)
			if err != nil {
				err = fmt.Errorf("wire: expected seed=N such as seed=7, got %q", kv)
			}
		case "rate":
			l.Rate, err = parseRate(v)
		default:
			err = fmt.Errorf("wire: unknown link property %q: expected rtt=, loss=, seed= or rate=", kv)
		}
		if err != nil {
			return Link{}, err
		}
	}
	return l, nil
}

func parseLoss(v string) (float64, error) {
	p, ok := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(p, 64)
	if !ok || err != nil || !(f >= 0 && f <= 100) {
		return 0, fmt.Errorf("wire: expected loss=P%% such as loss=2%% (0..100), got %q", v)
	}
	return f / 100, nil
}

var rateUnits = []struct {
	suffix string
	mult   int64
}{{"gbit", 1e9}, {"mbit", 1e6}, {"kbit", 1e3}, {"bit", 1}}

func parseRate(v string) (int64, error) {
	for _, u := range rateUnits {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			x, err := strconv.ParseInt(n, 10, 64)
			if err == nil && x > 0 && x <= 100e9/u.mult {
				return x * u.mult, nil
			}
			break
		}
	}
	return 0, fmt.Errorf("wire: expected rate=N with a unit (kbit, mbit, gbit) such as rate=10mbit, got %q", v)
}

// String prints the link in the syntax ParseLink reads.
func (l Link) String() string {
	var f []string
	if l.RTT > 0 {
		f = append(f, "rtt="+l.RTT.String())
	}
	if l.Loss > 0 {
		f = append(f, "loss="+strconv.FormatFloat(l.Loss*100, 'g', -1, 64)+"%")
	}
	if l.Seed != 0 {
		f = append(f, "seed="+strconv.FormatUint(l.Seed, 10))
	}
	if l.Rate > 0 {
		f = append(f, "rate="+strconv.FormatInt(l.Rate, 10)+"bit")
	}
	return strings.Join(f, " ")
}
