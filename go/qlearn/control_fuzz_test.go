package qlearn

import (
	"errors"
	"math"
	"testing"
)

// FuzzRunControl: on any valid MDP, every rule with any options either runs
// (tables finite, each length in [1, MaxSteps]) or returns a status error;
// it never panics.
func FuzzRunControl(f *testing.F) {
	f.Add(uint8(3), uint8(2), uint8(2), uint8(0), uint8(0), 0.5, []byte{1, 2, 3, 4, 5})
	f.Add(uint8(5), uint8(4), uint8(3), uint8(3), uint8(7), 0.8, []byte{9, 0, 250, 17})
	f.Fuzz(func(t *testing.T, nS, nA, K, rule, opts uint8, omega float64, data []byte) {
		s, a, k := int(nS%6)+1, int(nA%5)+1, int(K%3)+1
		m, q := fuzzMDP(s, a, k, data)
		c := Control{Rule: Rule(rule % 5), Omega: omega} // 4 is not a rule
		if c.Rule == DoubleQ {
			c.Q2 = make([]float64, len(q))
		}
		if opts&1 != 0 {
			c.Legal = make([]int64, s)
			for i := range c.Legal {
				c.Legal[i] = int64(int(opts>>2)%a + 1)
			}
		}
		if opts&2 != 0 {
			c.Visits = make([]int64, len(q))
		}
		p := Params{Alpha: 0.5, Gamma: 0.9, Epsilon: 0.3, MaxSteps: 20}
		ret, n := make([]float64, 5), make([]int64, 5)
		err := RunControl(m, q, p, c, 5, NewPCGSource(uint64(len(data))), ret, n)
		wantErr := c.Rule > DoubleQ || (c.Visits != nil && !(omega >= 0 && omega <= 1))
		if wantErr != (err != nil) {
			t.Fatalf("rule %d omega %v: err = %v; want an error: %v", c.Rule, omega, err, wantErr)
		}
		if err != nil {
			if !errors.Is(err, ErrRule) && !errors.Is(err, ErrVisits) {
				t.Fatalf("err = %v; want ErrRule or ErrVisits", err)
			}
			return
		}
		for i, v := range append(q, c.Q2...) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("table entry %d = %v", i, v)
			}
		}
		for _, l := range n {
			if l < 1 || l > 20 {
				t.Fatalf("length %d outside [1, 20]", l)
			}
		}
	})
}
