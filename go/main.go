// Command libqvalue is the thin cgo layer that exports package qlearn to C
// (and so to Python's ctypes). Build it with
//
//	go build -buildmode=c-shared -o libqvalue.so .
//
// Rules kept by every export: only C scalars and C pointers with lengths
// cross the boundary; Go reads and writes the caller's buffers during the call
// only and never keeps them; Go memory is never returned; and no panic
// escapes: each call returns a status code (0 = ok). qvalueStatusCount and
// qvalueStatusText (status.go) publish the table of codes, names and
// messages, so that Python reads them instead of copying them.
package main

/*
#include <stdint.h>
*/
import "C"

import (
	"math"
	"runtime"
	"unsafe"

	"example.com/qvalue/qlearn"
)

// buildID is set by the builder (-ldflags "-X main.buildID=...") to the hash
// of the Go sources, so Python can check which build it loaded.
var buildID = "dev"

// updateQValue is the seed article's function, name, signature and quirk
// (maxNextQ <= 0 means "no next state") unchanged, so its Python snippet works
// as written. A double has no room for a status code: alpha or gamma outside
// [0, 1] returns NaN. Prefer qUpdate.
//
//export updateQValue
func updateQValue(currentQ, reward, maxNextQ, learningRate, discount C.double) C.double {
	if qlearn.CheckParams(float64(learningRate), float64(discount)) != nil {
		return C.double(math.NaN())
	}
	return C.double(qlearn.ArticleUpdate(float64(currentQ), float64(reward), float64(maxNextQ),
		float64(learningRate), float64(discount)))
}

// qUpdate is the correct scalar update: terminal != 0 means no bootstrap.
// The result is written to *out.
//
//export qUpdate
func qUpdate(currentQ, reward, maxNextQ C.double, terminal C.int, alpha, gamma C.double, out *C.double) C.int {
	return C.int(qlearn.Safe(func() error {
		if out == nil {
			return qlearn.ErrNilPointer
		}
		v, err := qlearn.UpdateChecked(float64(currentQ), float64(reward), float64(maxNextQ),
			terminal != 0, float64(alpha), float64(gamma))
		*out = C.double(v)
		return err
	}))
}

// qUpdateBatch applies qUpdate to n transitions in one pass:
// out[i] = update(q[i], reward[i], maxNextQ[i], terminal[i]).
//
//export qUpdateBatch
func qUpdateBatch(q, reward, maxNextQ *C.double, terminal *C.uint8_t, n C.int64_t,
	alpha, gamma C.double, out *C.double) C.int {
	return C.int(qlearn.Safe(func() error {
		if n < 0 {
			return qlearn.ErrLength
		}
		if q == nil || reward == nil || maxNextQ == nil || terminal == nil || out == nil {
			if n == 0 {
				return qlearn.CheckParams(float64(alpha), float64(gamma))
			}
			return qlearn.ErrNilPointer
		}
		return qlearn.UpdateBatch(floats(out, n), floats(q, n), floats(reward, n), floats(maxNextQ, n),
			bytes(terminal, n), float64(alpha), float64(gamma))
	}))
}

// tdTargets writes n TD targets: out[i] = reward[i] if terminal[i] != 0, else
// reward[i] + gamma * max over the row i of the n x actions matrix nextQ.
//
//export tdTargets
func tdTargets(nextQ *C.double, n, actions C.int64_t, reward *C.double, terminal *C.uint8_t,
	gamma C.double, out *C.double) C.int {
	return C.int(qlearn.Safe(func() error {
		if n < 0 || actions < 0 {
			return qlearn.ErrLength
		}
		if nextQ == nil || reward == nil || terminal == nil || out == nil {
			if n == 0 {
				return nil
			}
			return qlearn.ErrNilPointer
		}
		return qlearn.TDTargets(floats(out, n), floats(nextQ, n*actions), int(actions),
			floats(reward, n), bytes(terminal, n), float64(gamma))
	}))
}

// qvalueBuildInfo writes "<build id> <go version>" (NUL-terminated, cut to
// size) into buf and returns the full length, like snprintf.
//
//export qvalueBuildInfo
func qvalueBuildInfo(buf *C.char, size C.int64_t) C.int64_t {
	return putString(buf, size, buildID+" "+runtime.Version())
}

// floats views n C doubles as a Go slice, valid for this call only.
func floats(p *C.double, n C.int64_t) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(p)), int(n))
}

// bytes views n C bytes as a Go slice, valid for this call only.
func bytes(p *C.uint8_t, n C.int64_t) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

func main() {}
