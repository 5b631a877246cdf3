package qlearn

import (
	"encoding/binary"
	"math/rand/v2"
)

// Source supplies the uniform numbers in [0, 1) that RunEpisodes consumes
// (see the package doc for the order). Fill overwrites u with the next
// len(u) numbers, all or none: it returns ErrUniforms and consumes nothing
// when it cannot.
type Source interface {
	Fill(u []float64) error
}

// UniformSource replays caller-supplied uniforms in order, so that a
// reference implementation given the same numbers makes the same decisions.
// Used counts the numbers consumed so far; a later call can continue with
// U[Used:].
type UniformSource struct {
	U    []float64
	Used int
}

// Fill implements Source. A number outside [0, 1) is ErrUniforms.
func (s *UniformSource) Fill(u []float64) error {
	if len(s.U)-s.Used < len(u) {
		return ErrUniforms
	}
	next := s.U[s.Used : s.Used+len(u)]
	for _, x := range next {
		if !(x >= 0 && x < 1) { // false for NaN too
			return ErrUniforms
		}
	}
	s.Used += copy(u, next)
	return nil
}

// StateWords is the length of the buffer that holds a PCGSource between
// calls: {stateMagic, PCG high word, PCG low word, numbers drawn so far}.
const StateWords = 4

// stateMagic marks a buffer written by Save ("QVLPCG", version 1), so that a
// zeroed buffer that was never seeded is refused.
const stateMagic = 0x51564c5043470001

// PCGSource draws uniforms from math/rand/v2's PCG. Its whole state is two
// words, so Save and LoadPCGSource carry it through a caller-held buffer and
// chunks of episodes run one after another continue one stream.
type PCGSource struct {
	pcg   rand.PCG
	drawn uint64 // numbers drawn since seeding
}

// NewPCGSource seeds a PCG as rand.NewPCG(hi, lo) with hi and lo the first
// two SplitMix64 outputs from seed, so that nearby seeds give unrelated
// streams.
func NewPCGSource(seed uint64) *PCGSource {
	s := &PCGSource{}
	hi := splitMix64(&seed)
	lo := splitMix64(&seed)
	s.pcg.Seed(hi, lo)
	return s
}

// LoadPCGSource restores a source from a buffer written by Save.
func LoadPCGSource(state []uint64) (*PCGSource, error) {
	if len(state) != StateWords || state[0] != stateMagic {
		return nil, ErrRNGState
	}
	s := &PCGSource{drawn: state[3]}
	s.pcg.Seed(state[1], state[2])
	return s, nil
}

// Save writes the source's state into a buffer of StateWords words.
func (s *PCGSource) Save(state []uint64) error {
	if len(state) != StateWords {
		return ErrRNGState
	}
	b, _ := s.pcg.MarshalBinary() // "pcg:" + high word + low word, big-endian
	state[0] = stateMagic
	state[1] = binary.BigEndian.Uint64(b[4:12])
	state[2] = binary.BigEndian.Uint64(b[12:20])
	state[3] = s.drawn
	return nil
}

// Drawn returns how many numbers the source has drawn since seeding.
func (s *PCGSource) Drawn() uint64 { return s.drawn }

// Fill implements Source; it never fails. Each number is the low 53 bits of
// the next 64-bit PCG output over 2^53, as rand.Rand.Float64 computes it.
func (s *PCGSource) Fill(u []float64) error {
	for i := range u {
		u[i] = float64(s.pcg.Uint64()<<11>>11) / (1 << 53)
	}
	s.drawn += uint64(len(u))
	return nil
}

// splitMix64 advances x and returns its next SplitMix64 output.
func splitMix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
