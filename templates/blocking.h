/*
 * Template: blocking.h - the block sizes and limits of the kernel templates,
 * in one place.  Takes no variables; only #defines, no dependencies.
 *
 * Pasted by onnx2c (compiler/backend/emit.c) before the first template that
 * names it in its "Needs:" line, so the generated C stays standalone.  The
 * compiler includes it too (compiler/ops/conv.c, compiler/ops/gemm.c,
 * compiler/pack/pack.c): it packs the weights into these blocks and chooses
 * a kernel only where its limits allow, so the two cannot disagree.
 */
#ifndef O2C_BLOCKING_H
#define O2C_BLOCKING_H

/* conv/direct.c: the packed direct conv, an implicit GEMM */
#define O2C_CONV_MR 8         /* output channels per microkernel call: the packed weights' block */
#define O2C_CONV_NR 48        /* panel width in pixels: 3 AVX-512 vectors */
#define O2C_CONV_KC 512       /* most taps in one panel chunk: 96 KB of stack */
#define O2C_CONV_KHWMAX 256   /* most taps per channel (KH*KW); larger windows run conv/ref.c */
#define O2C_CONV_TPI 4        /* most tiles of one small image packed together */
#define O2C_CONV_S2_KWMAX 15  /* widest window the stride-2 column packing takes */

/* conv/wino.c: Winograd F(2x2,3x3) and F(4x4,3x3) over tiles */
#define O2C_WINO_CMAX 512                          /* most input channels of F(2x2) */
#define O2C_WINO_VMAX (16 * O2C_WINO_CMAX * 16)    /* its transformed input: 512 KB of stack */
#define O2C_WINO4_CMAX 256                         /* most input channels of F(4x4): 16 tiles */
#define O2C_WINO4_VMAX (36 * O2C_WINO4_CMAX * 16)  /* its transformed input: 576 KB of stack */
#ifndef O2C_SUM_KB
#define O2C_SUM_KB 128   /* taps per partial sum of the direct and cv microkernels (blocked summation) */
#endif
#ifndef O2C_WINO_KB
#define O2C_WINO_KB 32   /* channels per chunk of the Winograd products' sums, each summed apart (precision) */
#endif
#define O2C_WINO_PADF 32 /* floats of padding per tile between transform positions (o2c_wino_vs adds <= 31) */

/* conv/cv.c: small images, vectors over output channels */
#define O2C_CV_MV 64     /* output channels per block: 4 AVX-512 vectors */
#define O2C_CV_PMAX 64   /* largest image (pixels) the path takes */
#define O2C_CV_KC 512    /* most taps in one panel chunk: 128 KB of stack */
#define O2C_CV_JB 7      /* most pixels per microkernel call: 28 accumulators */
#define O2C_CV_KHWMAX 256 /* most taps per channel, so a chunk of whole channels fits the panel */

/* conv/wcv.c: Winograd for images of few tiles, products over output channels */
#define O2C_WCV_TMAX 64                  /* most tiles per image */
#define O2C_WCV_MB (36 * 49 * O2C_CV_MV) /* products: positions x tiles x 64 floats, 441 KB of stack */

/* conv/dw.c: depthwise, a ring of transposed input rows per block of channels */
#define O2C_DW_RING 65536 /* floats of the ring: 256 KB of stack per thread */
#define O2C_DW_TAPS 64    /* most taps (KH*KW) of the SIMD path; more take the reference */
#define O2C_DW_ROWMIN 28  /* narrowest input row the AVX-512 depthwise row path takes (conv/dw.c) */

/* gemm.c: constant B packed in panels of NR columns, MR rows per microkernel call */
#define O2C_GEMM_NR 16
#define O2C_GEMM_MR 4
#ifndef O2C_GEMM_BCHUNK
#define O2C_GEMM_BCHUNK (256 * 1024) /* bytes of packed B the GEMM driver runs over a thread's rows at once */
#endif

/* int8/qgemm.c: s8 weights packed in panels of NR columns, K in groups of KG (pack_qgemm) */
#define O2C_QGEMM_NR 16        /* columns per packed panel: one AVX-512 vector of int32 sums */
#define O2C_QGEMM_KG 4         /* k per group: the 4 u8 x s8 products one vpdpbusd lane sums */
#define O2C_QGEMM_ABYTES 131072 /* bytes of A rows a task keeps in L2 while it walks the column tiles */
#define O2C_QGEMM_MBMAX 256    /* most rows per task */
#define O2C_QCONV_BUF 131072   /* im2col block, bytes of stack per thread; a qconv's KH*KW*C must be <= it */

/* int8/qdw.c: depthwise on NHWC u8, weights packed [KH*KW][Cp] int32 (pack_qdw) */
#define O2C_QDW_CV 16     /* Cp = C rounded up to this: one AVX-512 vector of int32 sums */
#define O2C_QDW_TAPS 256  /* most taps (KH*KW) of the SIMD path; more take o2c_qdw_generic */

#endif
