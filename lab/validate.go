package lab

// The checks that need the whole file, run by (*parser).finish after the
// last line: names that refer to other lines, and rules that must come as
// a complete set. Each error names the line at fault.

// checkRefs makes sure steps and conditions name declared actors.
func (p *parser) checkRefs() error {
	known := map[string]bool{"closed": true}
	for _, a := range p.s.Actors {
		known[a.Name] = true
	}
	for _, st := range p.s.Steps {
		for _, ref := range StepRefs(&st) {
			if !known[ref] {
				p.line = st.Line
				return p.errf("%s names actor %q, which has no steps", st.Op, ref)
			}
		}
	}
	return nil
}

// checkCondRefs makes sure every expect and verdict names actors that
// exist: a typo would otherwise run and report FAILED (or a verdict) as if
// the kernel had changed.
func (p *parser) checkCondRefs() error {
	known := map[string]bool{"closed": true}
	for _, a := range p.s.Actors {
		known[a.Name] = true
	}
	check := func(line int, c Cond) error {
		for _, a := range c {
			names := []string{a.From, a.To, a.Actor}
			if a.Then != nil {
				names = append(names, a.Then.From, a.Then.To)
			}
			for _, name := range names {
				if name != "" && !known[name] {
					p.line = line
					return p.errf("condition %q names actor %q, which has no steps", a.Text, name)
				}
			}
		}
		return nil
	}
	for _, e := range p.s.Expects {
		if err := check(e.Line, e.Cond); err != nil {
			return err
		}
	}
	for _, r := range p.s.Rules {
		if err := check(r.Line, r.Cond); err != nil {
			return err
		}
	}
	return nil
}

// checkProcessOps refuses `exit` by, and `kill` of, an actor that is not a
// child process (`actor NAME process`): there is nothing to end.
func (p *parser) checkProcessOps() error {
	for _, st := range p.s.Steps {
		target := st.Actor
		switch st.Op {
		case "kill":
			target = st.Args[0]
		case "exit", "sigpipe":
		default:
			continue
		}
		if a, _ := p.s.actor(target); !a.Process {
			p.line = st.Line
			return p.errf("%s needs a process actor: declare `actor %s process`", st.Op, target)
		}
	}
	return nil
}

// checkVerdictSets makes sure every set of rules for one claim (in each
// variant) ends in `otherwise`: without it, no rule matching says "not
// observed", which reads like missing root. A rule after `otherwise` could
// never be reached.
func (p *parser) checkVerdictSets() error {
	variants := []string{""} // no variants: one run, every rule applies
	if len(p.s.Variants) > 0 {
		variants = variants[:0]
		for _, v := range p.s.Variants {
			variants = append(variants, v.Name)
		}
	}
	for _, claim := range p.s.Claims {
		for _, v := range variants {
			if err := p.checkRuleSet(rulesFor(p.s, claim, v), claim, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *parser) checkRuleSet(rules []Rule, claim, variant string) error {
	if len(rules) == 0 {
		return nil // this variant says nothing about the claim
	}
	in := ""
	if variant != "" {
		in = " in variant " + variant
	}
	for i, r := range rules {
		if r.Cond == nil && i < len(rules)-1 {
			p.line = rules[i+1].Line
			return p.errf("verdict for %s%s after its `otherwise` rule (line %d) is never reached", claim, in, r.Line)
		}
	}
	if last := rules[len(rules)-1]; last.Cond != nil {
		p.line = last.Line
		return p.errf("the verdict rules for %s%s end without `verdict %s … otherwise`: add one", claim, in, claim)
	}
	return nil
}
