package qlearn

import (
	"math"
	"testing"
)

// firstMax returns the first index holding max(row...), the a* of DQN.
func firstMax(row []float64) int {
	m := row[0]
	for _, v := range row {
		m = max(m, v)
	}
	for a, v := range row {
		if v == m {
			return a
		}
	}
	return 0
}

// FuzzDQNTargets checks the batch against the scalar Update with a* found
// by hand, for one transition and its mirror image in the same batch.
func FuzzDQNTargets(f *testing.F) {
	f.Add(1.0, 1.0, 1.0, 3.0, 2.0, 5.0, 0.0, 0.0, byte(0), 1.0, 0.9, false)
	f.Add(1.0, 1.0, 1.0, 3.0, 2.0, 5.0, 0.0, 0.0, byte(0), 0.5, 0.9, true)
	f.Add(2.0, -1.0, 100.0, 100.0, 0.0, 0.0, 1.0, 1.0, byte(1), 0.5, 0.99, true)
	f.Add(0.0, 0.0, 4.0, 4.0, 4.0, 1.0, 1.0, 1.0, byte(0), 1.0, 1.0, true)
	f.Add(0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, byte(2), 1.0, 0.9, false)
	f.Add(math.NaN(), 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, byte(0), 1.0, 0.9, false)
	f.Add(0.0, math.MaxFloat64, math.MaxFloat64, 0.0, 0.0, 0.0, 0.0, 0.0, byte(0), 1.0, 1.0, false)
	f.Add(0.0, 0.0, 1.0, 2.0, 3.0, 0.0, math.Inf(1), 0.0, byte(0), 1.0, 0.9, true)
	f.Fuzz(func(t *testing.T, qbar, r, n0, n1, n2, o0, o1, o2 float64, term byte, alpha, gamma float64, double bool) {
		next := []float64{n0, n1, n2, n2, n1, n0} // row 1 mirrors row 0
		online := []float64{o0, o1, o2, o2, o1, o0}
		out := []float64{0, 0}
		err := DQNTargets(out, []float64{qbar, qbar}, next, online, 3, []float64{r, r}, []byte{term, term},
			alpha, gamma, double)

		var want error
		finiteIn := finite(qbar) && finite(r) && finite(n0) && finite(n1) && finite(n2) &&
			(!double || finite(o0) && finite(o1) && finite(o2))
		switch {
		case CheckParams(alpha, gamma) != nil:
			want = CheckParams(alpha, gamma)
		case term > 1:
			want = ErrTerminated
		case !finiteIn:
			want = ErrNonFinite
		}
		var y [2]float64
		for i := range 2 {
			pick := next[3*i : 3*i+3]
			if double {
				pick = online[3*i : 3*i+3]
			}
			y[i] = Update(qbar, r, next[3*i+firstMax(pick)], term == 1, alpha, gamma)
			if want == nil && !finite(y[i]) {
				want = ErrOverflow
			}
		}
		if Code(err) != Code(want) {
			t.Fatalf("DQNTargets error = %v; want %v", err, want)
		}
		if err == nil && (out[0] != y[0] || out[1] != y[1]) {
			t.Fatalf("DQNTargets = %v; scalar Update = %v", out, y)
		}
	})
}

// FuzzDQNTargetsShapes feeds DQNTargets slices of arbitrary lengths: it must
// never panic, and it must accept exactly the consistent shapes.
func FuzzDQNTargetsShapes(f *testing.F) {
	f.Add(uint8(2), int16(3), uint8(2), uint8(6), uint8(6), uint8(2), uint8(2), true)
	f.Add(uint8(2), int16(3), uint8(2), uint8(6), uint8(0), uint8(2), uint8(2), false)
	f.Add(uint8(0), int16(0), uint8(0), uint8(0), uint8(0), uint8(0), uint8(0), false)
	f.Add(uint8(1), int16(-1), uint8(1), uint8(1), uint8(1), uint8(1), uint8(1), true)
	f.Add(uint8(3), int16(2), uint8(3), uint8(5), uint8(6), uint8(3), uint8(3), true)
	f.Fuzz(func(t *testing.T, n uint8, actions int16, nQbar, nNext, nOnline, nReward, nTerm uint8, double bool) {
		out := make([]float64, n)
		err := DQNTargets(out, make([]float64, nQbar), make([]float64, nNext), make([]float64, nOnline),
			int(actions), make([]float64, nReward), make([]byte, nTerm), 1, 0.9, double)
		size := int(n) * int(actions)
		ok := actions >= 1 && nQbar == n && nReward == n && nTerm == n && int(nNext) == size &&
			(!double || int(nOnline) == size)
		if ok != (err == nil) {
			t.Fatalf("DQNTargets(n %d, actions %d, lengths %d %d %d %d %d, double %v) error = %v; want ok %v",
				n, actions, nQbar, nNext, nOnline, nReward, nTerm, double, err, ok)
		}
	})
}
