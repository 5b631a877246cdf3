package qlearn

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// PCGSource draws what rand.Rand.Float64 would from the same PCG.
func TestPCGSourceMatchesRand(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 1<<64 - 1} {
		x := seed
		hi := splitMix64(&x)
		lo := splitMix64(&x)
		want := rand.New(rand.NewPCG(hi, lo))
		got := make([]float64, 100)
		NewPCGSource(seed).Fill(got)
		for i, u := range got {
			if w := want.Float64(); u != w {
				t.Fatalf("seed %d: uniform %d = %v; want %v", seed, i, u, w)
			}
		}
	}
}

// Saving and loading mid-stream continues the same stream.
func TestPCGSourceSaveLoad(t *testing.T) {
	whole := make([]float64, 10)
	NewPCGSource(7).Fill(whole)

	first, rest := make([]float64, 4), make([]float64, 6)
	src := NewPCGSource(7)
	src.Fill(first)
	state := make([]uint64, StateWords)
	if err := src.Save(state); err != nil {
		t.Fatalf("Save: %v", err)
	}
	again, err := LoadPCGSource(state)
	if err != nil {
		t.Fatalf("LoadPCGSource: %v", err)
	}
	again.Fill(rest)
	if got := append(first, rest...); !slices.Equal(got, whole) {
		t.Errorf("4 + 6 uniforms across Save/Load = %v; want %v", got, whole)
	}
	if again.Drawn() != 10 {
		t.Errorf("Drawn() = %d; want 10", again.Drawn())
	}
}

func TestPCGSourceBadState(t *testing.T) {
	good := make([]uint64, StateWords)
	NewPCGSource(1).Save(good)
	tests := []struct {
		name  string
		state []uint64
	}{
		{"nil", nil},
		{"short", good[:3]},
		{"long", append(slices.Clone(good), 0)},
		{"never seeded", make([]uint64, StateWords)},
	}
	for _, tt := range tests {
		if _, err := LoadPCGSource(tt.state); !errors.Is(err, ErrRNGState) {
			t.Errorf("%s: LoadPCGSource error = %v; want %v", tt.name, err, ErrRNGState)
		}
	}
	if err := NewPCGSource(1).Save(make([]uint64, 2)); !errors.Is(err, ErrRNGState) {
		t.Errorf("Save into 2 words: error = %v; want %v", err, ErrRNGState)
	}
}

// UniformSource hands out all of a request or none of it.
func TestUniformSource(t *testing.T) {
	src := &UniformSource{U: []float64{0.1, 0.2, 0.3, 0.4}}
	u := make([]float64, 3)
	if err := src.Fill(u); err != nil || !slices.Equal(u, []float64{0.1, 0.2, 0.3}) || src.Used != 3 {
		t.Errorf("Fill = %v, %v, used %d; want [0.1 0.2 0.3], nil, 3", u, err, src.Used)
	}
	if err := src.Fill(u); !errors.Is(err, ErrUniforms) || src.Used != 3 {
		t.Errorf("Fill past the end: error %v, used %d; want %v, 3", err, src.Used, ErrUniforms)
	}
}
