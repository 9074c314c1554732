/*
 * deploy.c - the trainer's --deploy-weights FILE: after training, the weights
 * file of the fine-tuned model for a program compiled before with
 * `onnx2c FIRST.onnx -o m.c --weights FILE`, so that redeploying needs no
 * onnx2c or C compiler run.
 *
 * The compiler itself writes it: this library links onnx2c's pipeline
 * (compiler/main.c's onnx2c_main), run as `onnx2c EXPORT.onnx --weights FILE`
 * without -o.  That compiles the export with the options FILE records, and
 * replaces FILE only if the result fits the code FILE was written for (same
 * model and packing hashes); otherwise FILE is left as it was.  It runs in a
 * child process, because the compiler exits on an error and keeps its memory
 * until it exits: the trainer survives either.  POSIX only (fork).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "onnx2c_rt.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#define RT_HAVE_FORK 1
#endif

int onnx2c_main(int argc, char **argv); /* compiler/main.c */

int rt_deploy_check(const char *weights_path)
{
	unsigned char head[16];
	FILE *f = fopen(weights_path, "rb");
	if (!f)
		return rt_fail(RT_ERR_IO, "--deploy-weights '%s': cannot be opened; it must be the weights file of the "
		               "deployed program (onnx2c FIRST_EXPORT.onnx -o m.c --weights '%s')", weights_path, weights_path);
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	if (n != sizeof head || memcmp(head, "ONNX2CWT", 8))
		return rt_fail(RT_ERR_FORMAT, "--deploy-weights '%s': not an onnx2c weights file", weights_path);
	return RT_OK;
}

int rt_deploy_weights(const char *onnx_path, const char *weights_path)
{
#ifdef RT_HAVE_FORK
	fflush(NULL); /* or the child's exit would write the parent's buffered output again */
	pid_t pid = fork();
	if (pid < 0)
		return rt_fail(RT_ERR_IO, "--deploy-weights: cannot start the compiler (fork failed)");
	if (pid == 0) {
		char *argv[] = { "onnx2c", (char *)onnx_path, "--weights", (char *)weights_path, NULL };
		const int rc = onnx2c_main(4, argv);
		fflush(NULL); /* what the compiler printed: _exit does not flush */
		_exit(rc);
	}
	int status;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0)
		return rt_fail(RT_ERR_IO, "--deploy-weights: lost the compiler's process (waitpid: %s)", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return rt_fail(RT_ERR_FORMAT, "--deploy-weights: onnx2c could not write '%s' from '%s' (its message is "
		               "above); '%s' is unchanged", weights_path, onnx_path, weights_path);
	return RT_OK;
#else
	(void)onnx_path;
	return rt_fail(RT_ERR_ARG, "--deploy-weights '%s': not available on this system (it needs fork)", weights_path);
#endif
}
