package main

/*
#include <stdint.h>
*/
import "C"

import (
	"unsafe"

	"example.com/qvalue/qlearn"
)

// qvalueStatusCount returns the number of status codes, OK included; the
// codes are 0 .. count-1.
//
//export qvalueStatusCount
func qvalueStatusCount() C.int {
	return C.int(qlearn.StatusCount())
}

// qvalueStatusText writes "NAME\tmessage" for a status code, such as
// "ALPHA\talpha must be a finite number in [0, 1]" or "OK\tok", into buf
// (NUL-terminated, cut to size) and returns its full length, like snprintf.
// For a code not in the table it writes "" and returns -1.
//
//export qvalueStatusText
func qvalueStatusText(code C.int, buf *C.char, size C.int64_t) C.int64_t {
	name, msg, ok := qlearn.Status(int(code))
	if !ok {
		putString(buf, size, "")
		return -1
	}
	return putString(buf, size, name+"\t"+msg)
}

// putString copies s into the C buffer buf of size bytes, cut to fit and
// NUL-terminated, and returns len(s).
func putString(buf *C.char, size C.int64_t, s string) C.int64_t {
	if buf != nil && size > 0 {
		dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), size)
		k := copy(dst[:size-1], s)
		dst[k] = 0
	}
	return C.int64_t(len(s))
}
