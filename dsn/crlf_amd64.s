//go:build !purego

#include "textflag.h"

// func crlfLinesAVX2(q []byte) bool
//
// Checks the bytes of q[1:], len(q) > 64, in windows of 64: every LF must
// follow a CR and every CR precede an LF, which is one comparison of the
// window with itself shifted by a byte; and 14 windows in a row without
// an LF fail: a line over 998 bytes, 1000 with its CR, holds at least 14
// whole windows wherever it starts. The last window overlaps the one
// before it: checking bytes twice changes no answer.
TEXT ·crlfLinesAVX2(SB), NOSPLIT, $0-25
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), BX
	LEAQ 1(SI), DI         // DI: this window, in q[1:]
	LEAQ -64(SI)(BX*1), DX // DX: the last window
	MOVQ $0x0a, AX
	MOVQ AX, X10
	VPBROADCASTB X10, Y10  // LF in every byte
	MOVQ $0x0d, AX
	MOVQ AX, X11
	VPBROADCASTB X11, Y11  // CR in every byte
	VPXOR Y8, Y8, Y8       // where an LF and a CR before it disagree
	XORQ R9, R9            // windows in a row with no LF
	XORQ R11, R11          // zero, for CMOV
	MOVQ $1, R12           // more windows follow this one

next:
	CMPQ DI, DX
	JB   window
	MOVQ DX, DI
	XORQ R12, R12

window:
	VMOVDQU (DI), Y0
	VMOVDQU 32(DI), Y1
	VMOVDQU -1(DI), Y2     // the bytes before
	VMOVDQU 31(DI), Y3
	VPCMPEQB Y10, Y0, Y0   // LFs
	VPCMPEQB Y10, Y1, Y1
	VPCMPEQB Y11, Y2, Y2   // CRs one byte back
	VPCMPEQB Y11, Y3, Y3
	VPXOR    Y0, Y2, Y2
	VPXOR    Y1, Y3, Y3
	VPOR     Y2, Y8, Y8
	VPOR     Y3, Y8, Y8
	VPOR     Y0, Y1, Y4
	INCQ     R9            // one more window without an LF,
	VPTEST   Y4, Y4
	CMOVQNE  R11, R9       // unless this one had one
	CMPQ     R9, $14
	JAE      fail
	ADDQ     $64, DI
	TESTQ    R12, R12
	JNE      next

	VPTEST Y8, Y8
	JNE    fail
	VZEROUPPER
	MOVB   $1, ret+24(FP)
	RET

fail:
	VZEROUPPER
	MOVB $0, ret+24(FP)
	RET
