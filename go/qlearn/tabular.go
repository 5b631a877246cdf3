package qlearn

import (
	"fmt"
	"math"
)

// MDP is a tabular environment given as flat tables: gymnasium's toy-text
// env.unwrapped.P[s][a] = [(prob, next, reward, terminated), ...], padded to
// Outcomes entries per (s, a) with probability 0. Outcome k of (s, a) is at
// index (s*Actions+a)*Outcomes + k.
type MDP struct {
	States, Actions, Outcomes int // nS, nA, K: all >= 1

	Prob       []float64 // [nS*nA*K] in [0, 1]; each (s, a) row sums to 1
	Next       []int64   // [nS*nA*K] next state, in [0, nS)
	Reward     []float64 // [nS*nA*K] finite
	Terminated []uint8   // [nS*nA*K] 1 ends the episode, 0 does not
	Start      []float64 // [nS] start-state distribution, sums to 1
}

// Params are the settings of RunEpisodes.
type Params struct {
	Alpha    float64 // step size, in [0, 1]
	Gamma    float64 // discount, in [0, 1]
	Epsilon  float64 // probability of a random action, in [0, 1]
	MaxSteps int     // an episode is cut short after this many steps (>= 1)
}

// probTol is how far from 1 a distribution's sum may be.
const probTol = 1e-6

// RunEpisodes runs episodes of epsilon-greedy Q-learning on m. It updates
// the nS x nA table q (row-major) in place and writes each episode's return
// (undiscounted sum of rewards) and length (steps taken) into returns and
// lengths, which must hold episodes entries. It draws uniforms from src in
// the order the package doc gives.
//
// Every argument is checked before anything runs. Afterwards only src can
// fail (ErrUniforms) or a value overflow (ErrOverflow); then q keeps the
// updates of the steps already taken.
//
// With Alpha = 0 and Epsilon = 0 it is greedy evaluation: q is left as it
// was and returns and lengths measure the greedy policy.
func RunEpisodes(m MDP, q []float64, p Params, episodes int, src Source, returns []float64, lengths []int64) error {
	if err := checkRun(&m, q, p, episodes, src, returns, lengths); err != nil {
		return err
	}
	nA, K := m.Actions, m.Outcomes
	u := make([]float64, 3) // one step's uniforms: explore test, action, transition
	for ep := range episodes {
		if err := src.Fill(u[:1]); err != nil {
			return err
		}
		s := sample(m.Start, u[0])
		ret, steps := 0.0, 0
		for steps < p.MaxSteps {
			if err := src.Fill(u); err != nil {
				return err
			}
			a := chooseAction(q[s*nA:(s+1)*nA], p.Epsilon, u[0], u[1])
			sa := s*nA + a // index of Q(s, a) and of the (s, a) row of the tables
			o := sa*K + sample(m.Prob[sa*K:(sa+1)*K], u[2])
			r, s2, done := m.Reward[o], int(m.Next[o]), float64(m.Terminated[o])

			// The learning rule. Q-learning bootstraps from the best next
			// action, maxQ; SARSA would use q[s2*nA+a2], the value of the
			// action a2 it goes on to take in s2 (see the package doc).
			// float64(...) rounds each product by itself: the Go spec then
			// forbids fusing it into a multiply-add (arm64 would), so every
			// CPU computes the same bits.
			target := r + float64(p.Gamma*maxQ(q, nA, s2)*(1-done))
			q[sa] += float64(p.Alpha * (target - q[sa]))

			if !finite(q[sa]) {
				return ErrOverflow
			}
			ret += r
			steps++
			s = s2
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

// maxQ returns max over a' of Q(s, a'): the value Q-learning bootstraps from.
func maxQ(q []float64, nA, s int) float64 {
	return rowMax(q[s*nA : (s+1)*nA])
}

// rowMax returns the largest value of a non-empty row of finite numbers.
func rowMax(row []float64) float64 {
	best := row[0]
	for _, v := range row[1:] {
		if v > best {
			best = v
		}
	}
	return best
}

// chooseAction is epsilon-greedy with two uniforms: explore iff u1 <
// epsilon, taking action floor(u2*nA); else take a greedy action, the
// floor(u2*ties)-th of the actions tied (exactly equal) at the maximum.
func chooseAction(row []float64, epsilon, u1, u2 float64) int {
	if u1 < epsilon {
		return pick(len(row), u2)
	}
	best, ties := row[0], 1 // the maximum and how many actions share it, in one pass
	for _, v := range row[1:] {
		if v > best {
			best, ties = v, 1
		} else if v == best {
			ties++
		}
	}
	if ties == 1 {
		for a, v := range row {
			if v == best {
				return a
			}
		}
	}
	j := pick(ties, u2)
	for a, v := range row {
		if v == best {
			if j == 0 {
				return a
			}
			j--
		}
	}
	return len(row) - 1 // not reached: ties of row's values equal best
}

// pick returns floor(u*n) for u in [0, 1), clamped to n-1 against rounding.
func pick(n int, u float64) int { return min(int(u*float64(n)), n-1) }

// sample draws an index from the distribution probs by inverse CDF: the first
// k whose cumulative probability exceeds u, or, if rounding keeps the total
// at or below u, the last k with a positive probability.
func sample(probs []float64, u float64) int {
	cum, last := 0.0, 0
	for k, p := range probs {
		if p > 0 {
			last = k
		}
		cum += p
		if cum > u {
			return k
		}
	}
	return last
}

// checkRun validates the arguments of RunEpisodes.
func checkRun(m *MDP, q []float64, p Params, episodes int, src Source, returns []float64, lengths []int64) error {
	if err := CheckParams(p.Alpha, p.Gamma); err != nil {
		return err
	}
	if !(p.Epsilon >= 0 && p.Epsilon <= 1) {
		return ErrEpsilon
	}
	if p.MaxSteps < 1 || episodes < 0 {
		return ErrSteps
	}
	if len(returns) != episodes || len(lengths) != episodes {
		return ErrLength
	}
	if src == nil {
		return ErrNilPointer
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if len(q) != m.States*m.Actions {
		return ErrMDPShape
	}
	for i, v := range q {
		if !finite(v) {
			return fmt.Errorf("Q[%d][%d] = %v: %w", i/m.Actions, i%m.Actions, v, ErrNonFinite)
		}
	}
	return nil
}

// Validate reports the first problem with m's sizes or tables. Errors name
// the entry at fault as gymnasium would index it, e.g. "P[3][1][0]".
func (m *MDP) Validate() error {
	nS, nA, K := m.States, m.Actions, m.Outcomes
	n, ok := Size(int64(nS), int64(nA), int64(K))
	if !ok || nS < 1 || nA < 1 || K < 1 || len(m.Prob) != n || len(m.Next) != n ||
		len(m.Reward) != n || len(m.Terminated) != n || len(m.Start) != nS {
		return ErrMDPShape
	}
	at := func(i int) string { return fmt.Sprintf("P[%d][%d][%d]", i/(nA*K), i/K%nA, i%K) }
	for i := range n {
		switch {
		case m.Next[i] < 0 || m.Next[i] >= int64(nS):
			return fmt.Errorf("%s next state %d: %w", at(i), m.Next[i], ErrNextState)
		case m.Terminated[i] > 1:
			return fmt.Errorf("%s terminated = %d: %w", at(i), m.Terminated[i], ErrTerminated)
		case !finite(m.Reward[i]):
			return fmt.Errorf("%s reward = %v: %w", at(i), m.Reward[i], ErrNonFinite)
		}
	}
	for row := range nS * nA {
		if !isDistribution(m.Prob[row*K : (row+1)*K]) {
			return fmt.Errorf("P[%d][%d] probabilities %v: %w", row/nA, row%nA, m.Prob[row*K:(row+1)*K], ErrProb)
		}
	}
	if !isDistribution(m.Start) {
		return fmt.Errorf("start distribution: %w", ErrProb)
	}
	return nil
}

// isDistribution reports whether p holds probabilities summing to 1.
func isDistribution(p []float64) bool {
	sum := 0.0
	for _, x := range p {
		if !(x >= 0 && x <= 1) { // false for NaN too
			return false
		}
		sum += x
	}
	return math.Abs(sum-1) <= probTol
}

// Size returns the product of dims, the length of a table of that shape;
// ok is false if a dim is negative or the table's bytes (8 an entry) would
// not fit in an int, so a caller can refuse sizes that would overflow.
func Size(dims ...int64) (n int, ok bool) {
	p := int64(1)
	for _, d := range dims {
		if d < 0 || (d > 0 && p > math.MaxInt64/8/d) {
			return 0, false
		}
		p *= d
	}
	if p > math.MaxInt/8 {
		return 0, false
	}
	return int(p), true
}
