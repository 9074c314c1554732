/*
 * rt_check.c - links the installed runtime library (onnx2c::rt) from an
 * outside project and calls into it, so a broken install (missing archive,
 * header or dependency) fails here rather than in a user's build.
 */
#include "onnx2c_rt.h"

#include <stdio.h>

int main(void)
{
	const float in[4] = { -1.5f, 0.0f, 2.0f, -0.0f };
	float out[4];
	rt_relu_forward(out, in, 4);
	for (int i = 0; i < 4; i++)
		if (out[i] != (in[i] > 0 ? in[i] : 0.0f)) {
			fprintf(stderr, "rt_check: rt_relu_forward wrong at %d\n", i);
			return 1;
		}
	printf("rt_check: runtime linked and working\n");
	return 0;
}
