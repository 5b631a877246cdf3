package qlearn

import (
	"math"
	"testing"
)

// FuzzUpdateBatch checks that the batch update agrees with the scalar one for
// any inputs, and that no input makes it panic.
func FuzzUpdateBatch(f *testing.F) {
	f.Add(1.0, 1.0, 2.0, false, 0.5, 0.9)
	f.Add(0.0, 0.0, -2.0, false, 0.1, 0.99)
	f.Add(1.0, -1.0, 3.0, true, 1.0, 1.0)
	f.Add(math.NaN(), 0.0, 0.0, false, 0.5, 0.5)
	f.Add(0.0, math.MaxFloat64, math.MaxFloat64, false, 1.0, 1.0)
	f.Add(0.0, 0.0, 0.0, false, -1.0, 2.0)
	f.Fuzz(func(t *testing.T, q, r, next float64, terminal bool, alpha, gamma float64) {
		var term byte
		if terminal {
			term = 1
		}
		out := []float64{0, 0}
		err := UpdateBatch(out, []float64{q, q}, []float64{r, r}, []float64{next, next},
			[]byte{term, term}, alpha, gamma)
		want, werr := UpdateChecked(q, r, next, terminal, alpha, gamma)
		if Code(err) != Code(werr) {
			t.Fatalf("UpdateBatch error %v; UpdateChecked error %v", err, werr)
		}
		if err == nil && (out[0] != want || out[1] != want) {
			t.Fatalf("UpdateBatch = %v; UpdateChecked = %v", out, want)
		}
	})
}

// FuzzTDTargets checks TDTargets against Target with a max taken by hand.
func FuzzTDTargets(f *testing.F) {
	f.Add(1.0, 3.0, -2.0, 0.5, false, 0.9)
	f.Add(0.0, -1.0, -5.0, 0.0, true, 1.0)
	f.Add(math.Inf(1), 0.0, 0.0, 0.0, false, 0.5)
	f.Add(1.0, math.Inf(-1), 0.0, 0.0, false, 0.5) // -Inf below the row's max
	f.Add(math.MaxFloat64, math.MaxFloat64, 0.0, 0.0, true, 0.5)
	f.Fuzz(func(t *testing.T, a, b, c, r float64, terminal bool, gamma float64) {
		var term byte
		if terminal {
			term = 1
		}
		out := []float64{0}
		err := TDTargets(out, []float64{a, b, c}, 3, []float64{r}, []byte{term}, gamma)
		ok := CheckParams(0, gamma) == nil && finite(a) && finite(b) && finite(c) && finite(r)
		if !ok {
			if err == nil {
				t.Fatalf("TDTargets(%v, %v, %v, r=%v, gamma=%v) accepted bad input", a, b, c, r, gamma)
			}
			return
		}
		want := Target(r, max(a, b, c), terminal, gamma)
		if !finite(want) {
			if Code(err) != CodeOverflow {
				t.Fatalf("TDTargets overflow: error %v; want %v", err, ErrOverflow)
			}
			return
		}
		if err != nil || out[0] != want {
			t.Fatalf("TDTargets = %v, %v; want %v", out[0], err, want)
		}
	})
}
