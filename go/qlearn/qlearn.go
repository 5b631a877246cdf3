// Package qlearn holds the Q-learning arithmetic of the kit in plain Go
// (float64 in, float64 out, no cgo), so it can be tested, fuzzed and
// benchmarked with the ordinary go tool. The cgo layer in ../main.go only
// converts C arguments and calls these functions.
//
// The update rule is
//
//	Q(s,a) <- Q(s,a) + alpha * (target - Q(s,a))
//	target  = r                            if s' is terminal
//	target  = r + gamma * max_a' Q(s',a')  otherwise
//
// # Whole episodes
//
// RunEpisodes runs epsilon-greedy Q-learning on a tabular MDP (see MDP) for
// many episodes in one call. Its random numbers are uniforms in [0, 1) from
// a Source, consumed in a fixed order so that a reference implementation
// given the same numbers (a UniformSource) replays the same decisions:
//
//   - each episode first takes 1 uniform u0 and starts in the state drawn
//     from the start distribution by inverse CDF (see below);
//   - each step then takes exactly 3 uniforms, in this order:
//     u1, the explore test: explore iff u1 < epsilon;
//     u2, the action: exploring, a = floor(u2*nA); greedy, the
//     floor(u2*ties)-th, in increasing action order, of the actions whose
//     Q-value equals the row's maximum exactly (both clamped to the last);
//     u3, the transition: the outcome drawn by inverse CDF over the K
//     outcomes of (s, a).
//
// Inverse CDF picks the first k (k = 0, 1, ...) whose cumulative probability
// exceeds u, or, if rounding leaves none, the last k with probability > 0.
// An episode ends when an outcome is terminated or after MaxSteps steps, so
// it consumes 1 + 3*length uniforms. A step cut short by MaxSteps still
// bootstraps; only terminated removes the bootstrap.
//
// To turn the runner into SARSA, replace maxQ(q, nA, s2) in the update by
// Q(s2, a2) for the action a2 taken next: choose a2 (with u1, u2) before the
// update and reuse it in the next step. The numbers are then consumed as
// u0, u1, u2 for the first action and u3, u1, u2 per step after it, so a
// SARSA copy replays only against a reference that does the same.
package qlearn

import "math"

// ArticleUpdate is updateQValue exactly as the seed article wrote it. It
// treats maxNextQ <= 0 as "no next state", which is wrong: a next state whose
// best Q-value is negative (or zero) is still a real state worth bootstrapping
// from. It is kept for comparison; use Update.
func ArticleUpdate(currentQ, reward, maxNextQ, learningRate, discount float64) float64 {
	if maxNextQ > 0 {
		return currentQ + learningRate*(reward+discount*maxNextQ-currentQ)
	}
	return currentQ + learningRate*(reward-currentQ)
}

// Target returns the TD target: r for a terminal transition, otherwise
// r + gamma*maxNextQ. The sign of maxNextQ plays no part.
func Target(reward, maxNextQ float64, terminal bool, gamma float64) float64 {
	if terminal {
		return reward
	}
	return reward + gamma*maxNextQ
}

// Update returns the Q-learning update of currentQ towards its TD target.
func Update(currentQ, reward, maxNextQ float64, terminal bool, alpha, gamma float64) float64 {
	return currentQ + alpha*(Target(reward, maxNextQ, terminal, gamma)-currentQ)
}

// CheckParams reports whether alpha and gamma are usable step size and
// discount: finite and in [0, 1].
func CheckParams(alpha, gamma float64) error {
	if !(alpha >= 0 && alpha <= 1) { // false for NaN too
		return ErrAlpha
	}
	if !(gamma >= 0 && gamma <= 1) {
		return ErrGamma
	}
	return nil
}

// UpdateChecked is Update with its arguments validated.
func UpdateChecked(currentQ, reward, maxNextQ float64, terminal bool, alpha, gamma float64) (float64, error) {
	if err := CheckParams(alpha, gamma); err != nil {
		return math.NaN(), err
	}
	if !finite(currentQ) || !finite(reward) || !finite(maxNextQ) {
		return math.NaN(), ErrNonFinite
	}
	q := Update(currentQ, reward, maxNextQ, terminal, alpha, gamma)
	if !finite(q) {
		return math.NaN(), ErrOverflow
	}
	return q, nil
}

// UpdateBatch writes Update(q[i], reward[i], maxNextQ[i], terminal[i] != 0,
// alpha, gamma) into out[i] for every i, in one pass over the slices.
// terminal is a byte per transition (a C or NumPy bool): nonzero is terminal.
// Any NaN or Inf input is an error, even a next value a terminal transition
// ignores. On error out may be partly written; inputs are never modified.
func UpdateBatch(out, q, reward, maxNextQ []float64, terminal []byte, alpha, gamma float64) error {
	if err := CheckParams(alpha, gamma); err != nil {
		return err
	}
	n := len(out)
	if len(q) != n || len(reward) != n || len(maxNextQ) != n || len(terminal) != n {
		return ErrLength
	}
	q, reward, maxNextQ, terminal = q[:n], reward[:n], maxNextQ[:n], terminal[:n] // drops bounds checks
	// The loop has no data-dependent branch (a random terminal flag would be
	// mispredicted): a terminal transition uses a discount of 0, and one sum
	// of x*0 turns NaN as soon as any value is NaN or Inf.
	var check float64
	for i := range out {
		cur, r, next := q[i], reward[i], maxNextQ[i]
		g := gamma
		if terminal[i] != 0 {
			g = 0 // compiled to a conditional move; r + 0*next == r for finite next
		}
		v := cur + alpha*(r+g*next-cur)
		check += (cur + r + next + v) * 0
		out[i] = v
	}
	if check == 0 {
		return nil
	}
	return findBad(out, q, reward, maxNextQ)
}

// TDTargets writes the TD target of each transition into out: reward[i] if
// terminal[i] != 0, else reward[i] + gamma * max_a nextQ[i*actions+a].
// nextQ is a row-major len(out) x actions matrix.
func TDTargets(out, nextQ []float64, actions int, reward []float64, terminal []byte, gamma float64) error {
	if !(gamma >= 0 && gamma <= 1) {
		return ErrGamma
	}
	if actions < 1 {
		return ErrActions
	}
	n := len(out)
	if len(reward) != n || len(terminal) != n || len(nextQ) != n*actions {
		return ErrLength
	}
	reward, terminal = reward[:n], terminal[:n]
	var check float64
	for i := range out {
		row := nextQ[i*actions : (i+1)*actions]
		best, sum := row[0], row[0]
		for _, v := range row[1:] {
			best = max(best, v)
			sum += v // any NaN or Inf in the row (even below the max) shows in sum
		}
		g := gamma
		if terminal[i] != 0 {
			g = 0
		}
		t := reward[i] + g*best
		check += (sum + t) * 0
		out[i] = t
	}
	if check == 0 {
		return nil
	}
	return findBad(out, nextQ, reward)
}

// findBad runs when a batch's check turned NaN. It tells a non-finite input
// (ErrNonFinite) from a result that overflowed (ErrOverflow); it returns nil
// when the check only overflowed on huge but finite values.
func findBad(out []float64, inputs ...[]float64) error {
	for _, in := range inputs {
		for _, v := range in {
			if !finite(v) {
				return ErrNonFinite
			}
		}
	}
	for _, v := range out {
		if !finite(v) {
			return ErrOverflow
		}
	}
	return nil
}

// finite reports whether x is neither NaN nor Inf. The comparison is false
// for NaN, and math.Abs compiles to one instruction, so it is cheap in loops.
func finite(x float64) bool { return math.Abs(x) <= math.MaxFloat64 }
