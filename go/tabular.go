package main

// Tabular Q-learning, whole episodes per call (qlearn.RunEpisodes).
//
//	int qTabularSeed(uint64_t seed, uint64_t* state, int64_t stateLen);
//	int qTabularRun(double* prob, int64_t* next, double* reward, uint8_t* terminated,
//	    double* start, int64_t nS, int64_t nA, int64_t K, double* q,
//	    double alpha, double gamma, double epsilon, int64_t maxSteps, int64_t episodes,
//	    uint64_t* state, int64_t stateLen, double* uniforms, int64_t nUniforms,
//	    int64_t* used, double* returns, int64_t* lengths);
//
// The MDP is gymnasium's P[s][a] = [(prob, next, reward, terminated), ...]
// padded to K outcomes: prob, next, reward and terminated hold nS*nA*K
// entries, outcome k of (s, a) at (s*nA+a)*K+k; start holds nS. q (nS*nA,
// row-major) is updated in place; returns and lengths receive one entry per
// episode (they may be NULL when episodes == 0).
//
// Uniforms: if uniforms is NULL they come from the PCG generator whose
// state is the stateLen = 4 words at state, filled by qTabularSeed and
// advanced by each run, so runs called one after another continue one
// stream. Otherwise the nUniforms numbers at uniforms are consumed in order
// (state is not used and may be NULL). Either way, if used is not NULL,
// *used receives the count of numbers this call consumed: 1 per episode and
// 3 per step, in the order of the qlearn package doc.

/*
#include <stdint.h>
*/
import "C"

import (
	"unsafe"

	"example.com/qvalue/qlearn"
)

// qTabularSeed fills the state buffer (stateLen must be 4) with a generator
// seeded from seed.
//
//export qTabularSeed
func qTabularSeed(seed C.uint64_t, state *C.uint64_t, stateLen C.int64_t) C.int {
	return C.int(qlearn.Safe(func() error {
		if state == nil {
			return qlearn.ErrNilPointer
		}
		if stateLen != qlearn.StateWords {
			return qlearn.ErrRNGState
		}
		return qlearn.NewPCGSource(uint64(seed)).Save(uint64s(state, stateLen))
	}))
}

// qTabularRun runs episodes of epsilon-greedy Q-learning (see above).
//
//export qTabularRun
func qTabularRun(prob *C.double, next *C.int64_t, reward *C.double, terminated *C.uint8_t, start *C.double,
	nS, nA, K C.int64_t, q *C.double, alpha, gamma, epsilon C.double, maxSteps, episodes C.int64_t,
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
		p := qlearn.Params{Alpha: float64(alpha), Gamma: float64(gamma), Epsilon: float64(epsilon), MaxSteps: int(maxSteps)}
		return withSource(state, stateLen, uniforms, nUniforms, used, func(src qlearn.Source) error {
			return qlearn.RunEpisodes(m, floats(q, C.int64_t(nQ)), p, int(episodes), src,
				floats(returns, episodes), int64s(lengths, episodes))
		})
	}))
}

// int64s views n C int64s as a Go slice, valid for this call only.
func int64s(p *C.int64_t, n C.int64_t) []int64 {
	return unsafe.Slice((*int64)(unsafe.Pointer(p)), int(n))
}

// uint64s views n C uint64s as a Go slice, valid for this call only.
func uint64s(p *C.uint64_t, n C.int64_t) []uint64 {
	return unsafe.Slice((*uint64)(unsafe.Pointer(p)), int(n))
}
