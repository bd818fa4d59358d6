package report

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/tcpteardown/teardown/internal/safefile"
	"github.com/tcpteardown/teardown/lab"
)

// SVGName is the file name of a run's standalone diagram for `-svg DIR`:
// "seed-close.svg", "linger-wait_off.svg". Characters other than letters,
// digits, '-', '_' and '.' become '_' (names come from scenario files), so
// the result is always one path component.
func SVGName(r lab.Result) string {
	n := r.Name
	if r.Variant != "" {
		n += "_" + r.Variant
	}
	n = strings.Map(func(c rune) rune {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			return c
		}
		return '_'
	}, n)
	n = strings.TrimLeft(n, ".")
	if n == "" {
		n = "run"
	}
	return n + ".svg"
}

// FillTexts adds the Chinese said/why texts to verdicts loaded back from
// JSON (the JSON form carries English only), from the scenario each run
// came from, found by name in catalog (lab.Catalog(); never a file a
// saved name points to). Runs of other scenarios are left as they are:
// their verdicts show in English.
func FillTexts(results []lab.Result, catalog []*lab.Scenario) {
	byName := map[string]*lab.Scenario{}
	for _, s := range catalog {
		byName[s.Name] = s
	}
	for i := range results {
		s := byName[results[i].Name]
		if s == nil {
			continue
		}
		for j := range results[i].Verdicts {
			v := &results[i].Verdicts[j]
			if t := s.Texts[v.Claim]; t != nil {
				v.SaidZh = orElse(v.SaidZh, t.SaidZh)
				v.WhyZh = orElse(v.WhyZh, t.WhyZh)
			}
		}
	}
}

func orElse(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// WriteHTMLFile writes the report of results to path. The file is created
// without following a link planted at path (the tools often run as root).
func WriteHTMLFile(path string, results []lab.Result, o *Options) error {
	f, err := safefile.Create(path, 0o644)
	if err != nil {
		return err
	}
	if err := WriteHTML(f, results, o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteSVGFiles writes one standalone diagram per run into dir (created if
// missing) and returns the paths it wrote. SVGName is one path component,
// and a rendering of the same run replaces the earlier one, as `-w` does.
func WriteSVGFiles(dir string, results []lab.Result, o *Options) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for _, r := range results {
		path := filepath.Join(dir, SVGName(r))
		f, err := safefile.Create(path, 0o644)
		if err != nil {
			return paths, err
		}
		err = WriteSVG(f, r, o)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
