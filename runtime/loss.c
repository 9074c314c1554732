/*
 * loss.c - fused softmax cross-entropy (forward and gradient in one pass over
 * the logits) and top-k accuracy.
 *
 * Stable: log-softmax is computed as (x - max) - log(sum exp(x - max)) in
 * double per row, so large logits neither overflow nor lose the small ones.
 * With label smoothing eps the target is q = (1-eps)*onehot + eps/K, exactly
 * torch.nn.CrossEntropyLoss(label_smoothing=eps); the mean is over the batch,
 * so d loss/d logits = (softmax - q) / B.
 */
#include <math.h>

#include "onnx2c_rt.h"

int rt_softmax_xent(float *loss, float *probs, float *dlogits, const float *logits, const int *labels, int B, int K,
                    float smoothing)
{
	/* loss scalar, probs[B,K], dlogits[B,K], logits[B,K], labels[B] */
	if (B <= 0 || K <= 0 || smoothing < 0.0f || smoothing >= 1.0f)
		return rt_fail(RT_ERR_ARG, "softmax cross-entropy: bad arguments (B %d, K %d, smoothing %g)", B, K,
		               (double)smoothing);
	for (int b = 0; b < B; b++)
		if (labels[b] < 0 || labels[b] >= K)
			return rt_fail(RT_ERR_LABEL, "softmax cross-entropy: label %d of sample %d is outside [0, %d)",
			               labels[b], b, K);
	const double eps = smoothing, off = eps / K, on = 1.0 - eps + off;
	/* serial: B*K is small next to any layer, and a parallel reduction would make the loss
	 * depend on the thread count */
	double total = 0.0;
	for (int b = 0; b < B; b++) {
		const float *x = logits + (size_t)b * K;
		double mx = x[0];
		for (int k = 1; k < K; k++)
			mx = x[k] > mx ? x[k] : mx;
		double sum = 0.0, sum_logp = 0.0;
		for (int k = 0; k < K; k++)
			sum += exp((double)x[k] - mx);
		const double lse = log(sum);
		for (int k = 0; k < K; k++)
			sum_logp += (double)x[k] - mx - lse;
		const double logp_y = (double)x[labels[b]] - mx - lse;
		/* -sum_k q_k log p_k = -(1-eps) log p_y - eps/K sum_k log p_k */
		total += -(1.0 - eps) * logp_y - off * sum_logp;
		for (int k = 0; k < K; k++) {
			const double p = exp((double)x[k] - mx - lse);
			if (probs)
				probs[(size_t)b * K + k] = (float)p;
			if (dlogits)
				dlogits[(size_t)b * K + k] = (float)((p - (k == labels[b] ? on : off)) / B);
		}
	}
	if (loss)
		*loss = (float)(total / B);
	return RT_OK;
}

int rt_topk_correct(const float *logits, const int *labels, int B, int K, int k)
{
	int correct = 0;
	for (int b = 0; b < B; b++) {
		const float *x = logits + (size_t)b * K;
		const int y = labels[b];
		if (y < 0 || y >= K)
			continue;
		/* rank of y = classes strictly above it, plus equal ones with a lower index */
		int rank = 0;
		for (int j = 0; j < K; j++)
			if (x[j] > x[y] || (x[j] == x[y] && j < y))
				rank++;
		correct += rank < k;
	}
	return correct;
}
