package main

// TD control in Go (qlearn.RunControl): Q-learning, SARSA, expected SARSA
// and Double Q-learning, whole episodes per call.
//
//	int64_t qTabularRules(char* buf, int64_t size);
//	int qTabularControl(double* prob, int64_t* next, double* reward, uint8_t* terminated,
//	    double* start, int64_t nS, int64_t nA, int64_t K, double* q, int rule, double* q2,
//	    int64_t* legal, int64_t* visits, double omega,
//	    double alpha, double gamma, double epsilon, int64_t maxSteps, int64_t episodes,
//	    uint64_t* state, int64_t stateLen, double* uniforms, int64_t nUniforms,
//	    int64_t* used, double* returns, int64_t* lengths);
//
// The MDP, q, the generator state or uniforms, used, returns and lengths are
// as in qTabularRun. rule is a number of the rule table, whose names
// qTabularRules writes as "q_learning\tsarsa\t..." (NUL-terminated, cut to
// size; it returns the full length). q2 (Double Q-learning's second table,
// nS*nA), legal (nS action counts) and visits (nS*nA counts, with omega:
// step size alpha * n^-omega) may each be NULL (see qlearn.Control).

/*
#include <stdint.h>
*/
import "C"

import (
	"strings"

	"example.com/qvalue/qlearn"
)

// qTabularRules writes the rule names, tab-separated, in the order of their
// numbers.
//
//export qTabularRules
func qTabularRules(buf *C.char, size C.int64_t) C.int64_t {
	return putString(buf, size, strings.Join(qlearn.RuleNames(), "\t"))
}

// qTabularControl runs episodes of TD control (see above).
//
//export qTabularControl
func qTabularControl(prob *C.double, next *C.int64_t, reward *C.double, terminated *C.uint8_t, start *C.double,
	nS, nA, K C.int64_t, q *C.double, rule C.int, q2 *C.double, legal *C.int64_t, visits *C.int64_t, omega C.double,
	alpha, gamma, epsilon C.double, maxSteps, episodes C.int64_t,
	state *C.uint64_t, stateLen C.int64_t, uniforms *C.double, nUniforms C.int64_t, used *C.int64_t,
	returns *C.double, lengths *C.int64_t) C.int {
	return C.int(qlearn.Safe(func() error {
		if used != nil {
			*used = 0
		}
		m, nQ, err := cMDP(prob, next, reward, terminated, start, nS, nA, K, maxSteps, episodes)
		if err != nil {
			return err
		}
		if q == nil || (episodes > 0 && (returns == nil || lengths == nil)) || (uniforms == nil && state == nil) {
			return qlearn.ErrNilPointer
		}
		c := qlearn.Control{Rule: qlearn.Rule(rule), Omega: float64(omega)}
		if q2 != nil {
			c.Q2 = floats(q2, C.int64_t(nQ))
		}
		if legal != nil {
			c.Legal = int64s(legal, nS)
		}
		if visits != nil {
			c.Visits = int64s(visits, C.int64_t(nQ))
		}
		p := qlearn.Params{Alpha: float64(alpha), Gamma: float64(gamma), Epsilon: float64(epsilon), MaxSteps: int(maxSteps)}
		return withSource(state, stateLen, uniforms, nUniforms, used, func(src qlearn.Source) error {
			return qlearn.RunControl(m, floats(q, C.int64_t(nQ)), p, c, int(episodes), src,
				floats(returns, episodes), int64s(lengths, episodes))
		})
	}))
}

// cMDP checks the sizes of qTabularRun's and qTabularControl's MDP arguments
// and views them as a qlearn.MDP; nQ is nS*nA.
func cMDP(prob *C.double, next *C.int64_t, reward *C.double, terminated *C.uint8_t, start *C.double,
	nS, nA, K, maxSteps, episodes C.int64_t) (m qlearn.MDP, nQ int, err error) {
	if nS < 1 || nA < 1 || K < 1 {
		return m, 0, qlearn.ErrMDPShape
	}
	if episodes < 0 || maxSteps < 1 {
		return m, 0, qlearn.ErrSteps
	}
	n, okTable := qlearn.Size(int64(nS), int64(nA), int64(K))
	nQ, _ = qlearn.Size(int64(nS), int64(nA))
	if _, okEpisodes := qlearn.Size(int64(episodes)); !okTable || !okEpisodes {
		return m, 0, qlearn.ErrLength
	}
	if prob == nil || next == nil || reward == nil || terminated == nil || start == nil {
		return m, 0, qlearn.ErrNilPointer
	}
	return qlearn.MDP{
		States: int(nS), Actions: int(nA), Outcomes: int(K),
		Prob: floats(prob, C.int64_t(n)), Next: int64s(next, C.int64_t(n)), Reward: floats(reward, C.int64_t(n)),
		Terminated: bytes(terminated, C.int64_t(n)), Start: floats(start, nS),
	}, nQ, nil
}

// withSource runs run on the caller's uniforms or on the PCG generator saved
// in state (saved back afterwards, even after an error: the numbers drawn are
// spent), and reports in *used how many numbers it consumed.
func withSource(state *C.uint64_t, stateLen C.int64_t, uniforms *C.double, nUniforms C.int64_t, used *C.int64_t,
	run func(qlearn.Source) error) error {
	if uniforms != nil {
		if _, ok := qlearn.Size(int64(nUniforms)); !ok {
			return qlearn.ErrLength
		}
		src := &qlearn.UniformSource{U: floats(uniforms, nUniforms)}
		err := run(src)
		if used != nil {
			*used = C.int64_t(src.Used)
		}
		return err
	}
	if stateLen != qlearn.StateWords {
		return qlearn.ErrRNGState
	}
	buf := uint64s(state, stateLen)
	src, err := qlearn.LoadPCGSource(buf)
	if err != nil {
		return err
	}
	drawn := src.Drawn()
	err = run(src)
	if used != nil {
		*used = C.int64_t(src.Drawn() - drawn)
	}
	src.Save(buf)
	return err
}
