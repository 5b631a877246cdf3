package main

// DQN targets with a target network (qlearn.DQNTargets).
//
//	int dqnTargets(double* qbarSA, double* nextQbar, double* nextQonline,
//	    int64_t n, int64_t actions, double* reward, uint8_t* terminated,
//	    double alpha, double gamma, int doubleDQN, double* out);

/*
#include <stdint.h>
*/
import "C"

import "example.com/qvalue/qlearn"

// dqnTargets writes n targets out[i] = qbarSA[i] + alpha*(reward[i] +
// gamma*(1-terminated[i])*nextQbar[i, a*] - qbarSA[i]), with nextQbar an
// n x actions matrix and a* its row's first argmax, or, when doubleDQN != 0,
// the first argmax of the row of nextQonline (n x actions; it may be NULL
// when doubleDQN == 0). alpha = 1 gives textbook DQN.
//
//export dqnTargets
func dqnTargets(qbarSA, nextQbar, nextQonline *C.double, n, actions C.int64_t, reward *C.double,
	terminated *C.uint8_t, alpha, gamma C.double, doubleDQN C.int, out *C.double) C.int {
	return C.int(qlearn.Safe(func() error {
		if n < 0 || actions < 0 {
			return qlearn.ErrLength
		}
		size, ok := qlearn.Size(int64(n), int64(actions))
		if !ok {
			return qlearn.ErrLength
		}
		double := doubleDQN != 0
		if n > 0 && (qbarSA == nil || nextQbar == nil || reward == nil || terminated == nil || out == nil ||
			(double && nextQonline == nil)) {
			return qlearn.ErrNilPointer
		}
		var online []float64
		if double {
			online = floats(nextQonline, C.int64_t(size))
		}
		return qlearn.DQNTargets(floats(out, n), floats(qbarSA, n), floats(nextQbar, C.int64_t(size)), online,
			int(actions), floats(reward, n), bytes(terminated, n), float64(alpha), float64(gamma), double)
	}))
}
