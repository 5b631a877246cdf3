package qlearn_test

import (
	"fmt"

	"example.com/qvalue/qlearn"
)

func ExampleRunEpisodes() {
	// A corridor of 3 states. Action 0 steps left, action 1 steps right;
	// stepping right from state 2 ends the episode with reward 1. Each
	// (state, action) has one outcome (K = 1).
	m := qlearn.MDP{
		States: 3, Actions: 2, Outcomes: 1,
		//                 (0,L) (0,R) (1,L) (1,R) (2,L) (2,R)
		Prob:       []float64{1, 1, 1, 1, 1, 1},
		Next:       []int64{0, 1, 0, 2, 1, 2},
		Reward:     []float64{0, 0, 0, 0, 0, 1},
		Terminated: []uint8{0, 0, 0, 0, 0, 1},
		Start:      []float64{1, 0, 0},
	}
	q := make([]float64, 3*2)
	returns, lengths := make([]float64, 300), make([]int64, 300)
	train := qlearn.Params{Alpha: 0.5, Gamma: 0.9, Epsilon: 0.3, MaxSteps: 50}
	if err := qlearn.RunEpisodes(m, q, train, 300, qlearn.NewPCGSource(1), returns, lengths); err != nil {
		fmt.Println(err)
		return
	}
	// Learned values are 0.9^k, k = steps still needed after the action.
	for s := range 3 {
		fmt.Printf("Q(%d, left) = %.3f  Q(%d, right) = %.3f\n", s, q[2*s], s, q[2*s+1])
	}

	// Alpha 0 and epsilon 0: greedy evaluation, Q is not changed.
	eval := qlearn.Params{Alpha: 0, Gamma: 0.9, Epsilon: 0, MaxSteps: 50}
	if err := qlearn.RunEpisodes(m, q, eval, 1, qlearn.NewPCGSource(2), returns[:1], lengths[:1]); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("greedy policy: return %v in %d steps\n", returns[0], lengths[0])
	// Output:
	// Q(0, left) = 0.729  Q(0, right) = 0.810
	// Q(1, left) = 0.729  Q(1, right) = 0.900
	// Q(2, left) = 0.810  Q(2, right) = 1.000
	// greedy policy: return 1 in 3 steps
}
