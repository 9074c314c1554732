/*
 * ops_harness.h - what the operator unit tests (test_ops_shape.c,
 * test_ops_index.c) share: a graph under construction (G), node and
 * attribute builders, running check_ops + infer_shapes on it, and dies(),
 * which runs the graph in a child process to check a refusal's exit status
 * and message.  Each test file builds its own inputs and constants.
 * Included once per test executable; functions a file does not use are
 * marked unused.
 */
#ifndef ONNX2C_OPS_HARNESS_H
#define ONNX2C_OPS_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir.h"

#define HARNESS_UNUSED __attribute__((unused))

static Graph *G;

HARNESS_UNUSED static void fresh(int64_t opset)
{
	G = graph_new("test.onnx");
	G->opset = opset;
}

#define SH(...) ((Shape){ .rank = (int)(sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), .d = { __VA_ARGS__ } })
#define SCALAR ((Shape){ .rank = 0 })

HARNESS_UNUSED static Node *node(const char *op, int nin, Tensor **in, int nout)
{
	Node *n = graph_add_node(G, xsprintf("%s%d", op, G->nnodes), op, nin, nout);
	for (int i = 0; i < nin; i++)
		graph_set_input(n, i, in[i]);
	for (int i = 0; i < nout; i++)
		graph_set_output(n, i, graph_tensor(G, xsprintf("%s_y%d", n->name, i)));
	n->opset = G->opset;
	return n;
}

#define NODE(op, nout, ...) node(op, (int)(sizeof((Tensor *[]){ __VA_ARGS__ }) / sizeof(Tensor *)), (Tensor *[]){ __VA_ARGS__ }, nout)

HARNESS_UNUSED static void add_attr(Node *n, Attr a)
{
	n->attrs = xrealloc_arr(n->attrs, (size_t)n->nattrs, (size_t)n->nattrs + 1, sizeof *n->attrs);
	n->attrs[n->nattrs++] = a;
}

HARNESS_UNUSED static void attr_i(Node *n, const char *name, int64_t v)
{
	add_attr(n, (Attr){ .name = name, .type = AT_INT, .i = v });
}

HARNESS_UNUSED static void run(void)
{
	check_ops(G);
	infer_shapes(G);
}

HARNESS_UNUSED static bool shape_is(const Tensor *t, Shape s)
{
	return t->has_shape && shape_eq(&t->shape, &s);
}

/* Runs the graph in a child: true when it exits with `code` and its stderr
 * contains `msg`. */
HARNESS_UNUSED static bool dies(int code, const char *msg)
{
	int fd[2];
	if (pipe(fd))
		return false;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		run();
		_exit(0);
	}
	close(fd[1]);
	char buf[4096];
	size_t len = 0;
	ssize_t r;
	while ((r = read(fd[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = 0;
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == code && strstr(buf, msg);
	if (!ok)
		printf("\nexpected exit %d with '%s', got status %d: %s\n", code, msg, st, buf);
	return ok;
}

#endif
