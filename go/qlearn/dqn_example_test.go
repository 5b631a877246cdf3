package qlearn_test

import (
	"fmt"

	"example.com/qvalue/qlearn"
)

func ExampleDQNTargets() {
	// One transition, 2 actions: Q̄(s, a) = 1, reward 1, Q̄(s', ·) = [1 3],
	// and the online network's Q(s', ·) = [5 0].
	qbarSA, reward, terminated := []float64{1}, []float64{1}, []byte{0}
	nextQbar, nextQonline := []float64{1, 3}, []float64{5, 0}
	out := make([]float64, 1)
	for _, c := range []struct {
		alpha  float64
		double bool
	}{{1, false}, {1, true}, {0.5, false}} {
		if err := qlearn.DQNTargets(out, qbarSA, nextQbar, nextQonline, 2, reward, terminated, c.alpha, 0.9, c.double); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("alpha %.1f double %-5v y = %.2f\n", c.alpha, c.double, out[0])
	}
	// Output:
	// alpha 1.0 double false y = 3.70
	// alpha 1.0 double true  y = 1.90
	// alpha 0.5 double false y = 2.35
}
