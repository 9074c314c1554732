// ort_bench.js - time ONNX Runtime's session.run on one model, for
// scripts/bench.py (the ours-vs-ORT benchmark; not a test).
//
//   node ort_bench.js MODEL.onnx INPUT_0.pb THREADS RUNS [nospin] [--profile PREFIX]
//
// Creates a CPU session with intraOpNumThreads = THREADS, interOpNumThreads =
// 1, every graph optimisation on and sequential execution (with nospin,
// idle intra-op threads sleep instead of spinning: allow_spinning = 0, the
// counterpart of OMP_WAIT_POLICY=passive for the generated code), runs it once to
// warm up (allocations, thread start), then RUNS times, and prints
//   runs R  threads T  median M ms  min A ms  max B ms
// Only session.run is timed: start-up and weight loading are excluded, as
// they are for the generated code's --bench.  The input is a float
// TensorProto (dims + raw_data or float_data), as models/export_torchvision.py
// writes it.  With --profile, ORT's profiler records every kernel of the
// warm-up and the timed runs into PREFIX_<date>.json, whose path is printed
// as "profile PATH" (scripts/profile_vs_ort.py reads it).
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
	process.stderr.write(`ort_bench: ${msg}\n`);
	process.exit(2);
}

let ort;
try {
	ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
} catch (e) {
	die(`cannot load onnxruntime-node from ${__dirname}/node_modules: ${e.message}`);
}

function varint(b, st) {
	let v = 0, mul = 1;
	for (;;) {
		if (st.p >= b.length) die('truncated varint');
		const c = b[st.p++];
		v += (c & 0x7f) * mul;
		if (!(c & 0x80)) return v;
		mul *= 128;
	}
}

// Only what a float test input uses: dims (1), data_type (2), float_data (4),
// raw_data (9); other fields are skipped by wire type.
function readFloatTensor(file) {
	const b = fs.readFileSync(file);
	const st = { p: 0 };
	const dims = [];
	let type = 0, raw = null, floats = [];
	while (st.p < b.length) {
		const key = varint(b, st), field = key >>> 3, wt = key & 7;
		if (field === 1 && wt === 0) dims.push(varint(b, st));
		else if (field === 1 && wt === 2) {
			const end = varint(b, st) + st.p;
			while (st.p < end) dims.push(varint(b, st));
		} else if (field === 2 && wt === 0) type = varint(b, st);
		else if (field === 4 && wt === 2) {
			const n = varint(b, st);
			const dv = new DataView(b.buffer, b.byteOffset + st.p, n);
			for (let i = 0; i + 4 <= n; i += 4) floats.push(dv.getFloat32(i, true));
			st.p += n;
		} else if (field === 9 && wt === 2) {
			const n = varint(b, st);
			raw = new Uint8Array(b.subarray(st.p, st.p + n));
			st.p += n;
		} else if (wt === 0) varint(b, st);
		else if (wt === 1) st.p += 8;
		else if (wt === 2) {
			const n = varint(b, st);
			st.p += n;
		}
		else if (wt === 5) st.p += 4;
		else die(`${file}: unsupported wire type ${wt}`);
	}
	if (type !== 1) die(`${file}: data_type ${type}, only float (1) is supported`);
	const count = dims.reduce((a, c) => a * c, 1);
	const data = raw ? new Float32Array(raw.buffer, 0, raw.length / 4) : Float32Array.from(floats);
	if (data.length !== count) die(`${file}: ${data.length} values for dims [${dims}]`);
	return new ort.Tensor('float32', data, dims);
}

async function main() {
	const args = process.argv.slice(2);
	let profile = null;
	const pi = args.indexOf('--profile');
	if (pi >= 0) {
		profile = args[pi + 1];
		args.splice(pi, 2);
	}
	const [model, input, threadsArg, runsArg, spinArg] = args;
	const threads = Number(threadsArg), runs = Number(runsArg);
	if (!input || !(threads >= 1) || !(runs >= 1) || (spinArg !== undefined && spinArg !== 'nospin') ||
	    (pi >= 0 && !profile)) {
		process.stderr.write('usage: node ort_bench.js MODEL.onnx INPUT_0.pb THREADS RUNS [nospin] [--profile PREFIX]\n');
		process.exit(2);
	}
	const session = await ort.InferenceSession.create(model, {
		executionProviders: ['cpu'],
		graphOptimizationLevel: 'all',
		executionMode: 'sequential',
		intraOpNumThreads: threads,
		interOpNumThreads: 1,
		extra: spinArg === 'nospin' ? { session: { intra_op: { allow_spinning: '0' } } } : {},
		...(profile ? { enableProfiling: true, profileFilePrefix: profile } : {}),
	});
	const feeds = { [session.inputNames[0]]: readFloatTensor(input) };
	await session.run(feeds); // warm-up
	const t = [];
	for (let i = 0; i < runs; i++) {
		const t0 = process.hrtime.bigint();
		await session.run(feeds);
		t.push(Number(process.hrtime.bigint() - t0) / 1e6);
	}
	t.sort((a, c) => a - c);
	const med = runs % 2 ? t[(runs - 1) / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
	console.log(`runs ${runs}  threads ${threads}  median ${med.toFixed(3)} ms  min ${t[0].toFixed(3)} ms  ` +
	            `max ${t[runs - 1].toFixed(3)} ms`);
	if (profile) {
		session.endProfiling();
		const dir = path.dirname(profile), base = path.basename(profile) + '_';
		const files = fs.readdirSync(dir).filter((f) => f.startsWith(base) && f.endsWith('.json'))
			.map((f) => path.join(dir, f)).sort((a, c) => fs.statSync(c).mtimeMs - fs.statSync(a).mtimeMs);
		if (!files.length) die(`no profile ${profile}_*.json was written`);
		console.log(`profile ${files[0]}`);
	}
}

main().catch((e) => die(e.message));
