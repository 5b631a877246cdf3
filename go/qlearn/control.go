package qlearn

import "math"

// Rule is the bootstrap of a TD control method: what it puts for the value
// of the next state s2 in the target r + gamma*value.
type Rule int

// The rules RunControl knows. Their numbers are an ABI (Python reads the
// names through RuleNames): add new rules at the end.
const (
	QLearning     Rule = iota // max over a2 of Q(s2, a2): the greedy policy's value
	SARSA                     // Q(s2, a2) for the action a2 taken next
	ExpectedSARSA             // the mean of Q(s2, .) under the epsilon-greedy policy
	DoubleQ                   // van Hasselt 2010: one table picks the best action, the other values it
)

var ruleNames = []string{"q_learning", "sarsa", "expected_sarsa", "double_q"}

// RuleNames returns the name of each rule, indexed by its number.
func RuleNames() []string { return append([]string(nil), ruleNames...) }

// Control says how RunControl learns, beyond Params.
type Control struct {
	Rule Rule
	// Q2 is Double Q-learning's second table (nS*nA), updated in place; nil
	// for the other rules. The agent acts epsilon-greedily on Q + Q2.
	Q2 []float64
	// Legal, if not nil, holds each state's number of actions (1..nA): only
	// actions 0..Legal[s]-1 exist in s (to act, to explore and to maximise).
	Legal []int64
	// Visits, if not nil, counts each (s, a)'s updates (nS*nA, updated in
	// place): the step size of the n-th update of (s, a) is Alpha * n^-Omega,
	// Omega in [0, 1] (Robbins-Monro for Omega in (0.5, 1]). Nil: Alpha.
	Visits []int64
	Omega  float64
}

// RunControl runs episodes of epsilon-greedy TD control with c's rule on m,
// updating q (and c.Q2, c.Visits) in place, and writes each episode's return
// and length like RunEpisodes. Its uniforms: each episode takes 3 (start
// state, then explore test and action of the first action); each step takes
// 4 (outcome, explore test and action of the next action a2, and a coin that
// Double Q-learning uses to pick which table to update). a2 is chosen before
// the update (for every rule, so the rules differ only in their target).
func RunControl(m MDP, q []float64, p Params, c Control, episodes int, src Source, returns []float64, lengths []int64) error {
	if err := checkRun(&m, q, p, episodes, src, returns, lengths); err != nil {
		return err
	}
	if err := c.check(&m, q); err != nil {
		return err
	}
	nA, K := m.Actions, m.Outcomes
	u, both := make([]float64, 4), make([]float64, nA)
	act := func(s int, u1, u2 float64) int { return chooseAction(c.behaviour(q, s, nA, both), p.Epsilon, u1, u2) }
	for ep := range episodes {
		if err := src.Fill(u[:3]); err != nil {
			return err
		}
		s := sample(m.Start, u[0])
		a := act(s, u[1], u[2])
		ret, steps := 0.0, 0
		for steps < p.MaxSteps {
			if err := src.Fill(u); err != nil {
				return err
			}
			sa := s*nA + a
			o := sa*K + sample(m.Prob[sa*K:(sa+1)*K], u[0])
			r, s2, done := m.Reward[o], int(m.Next[o]), float64(m.Terminated[o])
			a2 := act(s2, u[1], u[2])
			table, other := q, q // Double Q: update one table, value with the other
			if c.Rule == DoubleQ && u[3] >= 0.5 {
				table, other = c.Q2, q
			} else if c.Rule == DoubleQ {
				other = c.Q2
			}
			value := c.nextValue(table, other, s2, a2, nA, p.Epsilon)
			target := r + float64(p.Gamma*value*(1-done)) // float64: no fused multiply-add (see RunEpisodes)
			table[sa] += float64(c.stepSize(p.Alpha, sa) * (target - table[sa]))
			if !finite(table[sa]) {
				return ErrOverflow
			}
			ret += r
			steps++
			s, a = s2, a2
			if done == 1 {
				break
			}
		}
		if !finite(ret) {
			return ErrOverflow
		}
		returns[ep], lengths[ep] = ret, int64(steps)
	}
	return nil
}

// behaviour is the row of s the agent acts on: Q (or Q + Q2 for Double Q),
// cut to s's legal actions.
func (c *Control) behaviour(q []float64, s, nA int, both []float64) []float64 {
	n := c.legal(s, nA)
	if c.Rule != DoubleQ {
		return q[s*nA : s*nA+n]
	}
	for a := range n {
		both[a] = q[s*nA+a] + c.Q2[s*nA+a]
	}
	return both[:n]
}

// nextValue is the rule's value of s2: table is the one being updated.
func (c *Control) nextValue(table, other []float64, s2, a2, nA int, epsilon float64) float64 {
	row := table[s2*nA : s2*nA+c.legal(s2, nA)]
	switch c.Rule {
	case SARSA:
		return table[s2*nA+a2]
	case ExpectedSARSA: // epsilon spread evenly, the rest on the best actions (whose values are all the max)
		sum := 0.0
		for _, v := range row {
			sum += v
		}
		return float64(epsilon*sum/float64(len(row))) + float64((1-epsilon)*rowMax(row))
	case DoubleQ: // the best action by table, valued by other (the first of tied best actions)
		best := 0
		for a, v := range row {
			if v > row[best] {
				best = a
			}
		}
		return other[s2*nA+best]
	}
	return rowMax(row)
}

// stepSize is Alpha, or Alpha * n^-Omega after counting this update of sa.
func (c *Control) stepSize(alpha float64, sa int) float64 {
	if c.Visits == nil {
		return alpha
	}
	c.Visits[sa]++
	return alpha * math.Pow(float64(c.Visits[sa]), -c.Omega)
}

func (c *Control) legal(s, nA int) int {
	if c.Legal == nil {
		return nA
	}
	return int(c.Legal[s])
}

// check validates c against m and q (after checkRun has checked them).
func (c *Control) check(m *MDP, q []float64) error {
	if c.Rule < 0 || int(c.Rule) >= len(ruleNames) {
		return ErrRule
	}
	if (c.Rule == DoubleQ) != (c.Q2 != nil) || (c.Q2 != nil && len(c.Q2) != len(q)) {
		return ErrQ2
	}
	for _, v := range c.Q2 {
		if !finite(v) {
			return ErrNonFinite
		}
	}
	if c.Legal != nil {
		if len(c.Legal) != m.States {
			return ErrLegal
		}
		for _, n := range c.Legal {
			if n < 1 || n > int64(m.Actions) {
				return ErrLegal
			}
		}
	}
	if c.Visits != nil {
		if len(c.Visits) != len(q) || !(c.Omega >= 0 && c.Omega <= 1) {
			return ErrVisits
		}
		for _, n := range c.Visits {
			if n < 0 || n > 1<<52 {
				return ErrVisits
			}
		}
	}
	return nil
}
