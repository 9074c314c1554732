/*
 * onnx2c.c - the onnx2c executable.  The command line and the pipeline are
 * main.c's onnx2c_main, which the training runtime links too (the trainer's
 * --deploy-weights writes a weights file for deployed code without an
 * onnx2c run: runtime/deploy.c).
 */
#include "ir.h"

int main(int argc, char **argv)
{
	return onnx2c_main(argc, argv);
}
