package qlearn

// DQNTargets writes the DQN target of each of n = len(out) transitions:
//
//	y[i] = qbarSA[i] + alpha*(reward[i] + gamma*(1-terminated[i])*nextQbar[i, a*] - qbarSA[i])
//
// where qbarSA[i] is the target network's Q̄(s_i, a_i), nextQbar is the
// row-major n x actions matrix Q̄(s'_i, ·), and a* is the first action with
// the largest value in nextQbar's row i (DQN) or, when double is true, in
// nextQonline's row i (Double DQN: the online network picks the action and
// the target network rates it). With alpha = 1 this is the textbook target
// r + gamma*(1-terminated)*max_a Q̄(s', a); smaller alpha moves only part of
// the way from Q̄(s, a). terminated (a byte 0/1, not truncated) removes the
// bootstrap. nextQonline is not read unless double is true (it may be nil).
//
// All inputs are checked first; a NaN or Inf anywhere in them is
// ErrNonFinite, and a target too large for float64 is ErrOverflow.
func DQNTargets(out, qbarSA, nextQbar, nextQonline []float64, actions int, reward []float64,
	terminated []byte, alpha, gamma float64, double bool) error {
	if err := checkDQN(out, qbarSA, nextQbar, nextQonline, actions, reward, terminated, alpha, gamma, double); err != nil {
		return err
	}
	for i := range out {
		row := nextQbar[i*actions : (i+1)*actions]
		pick := row // DQN: the target network picks a* ...
		if double {
			pick = nextQonline[i*actions : (i+1)*actions] // ... Double DQN: the online one does
		}
		next := row[argmax(pick)]
		notDone := float64(1 - terminated[i])

		y := qbarSA[i] + alpha*(reward[i]+gamma*notDone*next-qbarSA[i])

		if !finite(y) {
			return ErrOverflow
		}
		out[i] = y
	}
	return nil
}

// argmax returns the index of row's largest value, the first if tied.
func argmax(row []float64) int {
	best := 0
	for a, v := range row {
		if v > row[best] {
			best = a
		}
	}
	return best
}

// checkDQN validates the arguments of DQNTargets.
func checkDQN(out, qbarSA, nextQbar, nextQonline []float64, actions int, reward []float64,
	terminated []byte, alpha, gamma float64, double bool) error {
	if err := CheckParams(alpha, gamma); err != nil {
		return err
	}
	if actions < 1 {
		return ErrActions
	}
	n := len(out)
	size, ok := Size(int64(n), int64(actions))
	if !ok || len(qbarSA) != n || len(reward) != n || len(terminated) != n || len(nextQbar) != size ||
		(double && len(nextQonline) != size) {
		return ErrLength
	}
	for _, t := range terminated {
		if t > 1 {
			return ErrTerminated
		}
	}
	inputs := [][]float64{qbarSA, reward, nextQbar}
	if double {
		inputs = append(inputs, nextQonline)
	}
	for _, in := range inputs {
		for _, v := range in {
			if !finite(v) {
				return ErrNonFinite
			}
		}
	}
	return nil
}
