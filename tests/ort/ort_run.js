// ort_run.js - run a model under ONNX Runtime on ONNX test-data .pb files.
//
//   node ort_run.js MODEL.onnx IN_DIR OUT_DIR
//
// Reads IN_DIR/input_K.pb (TensorProto), runs onnxruntime-node on the CPU with
// every graph optimisation on, and writes OUT_DIR/output_K.pb in graph-output
// order.  This is the independent reference the whole-model tests compare
// onnx2c's generated code against, so it shares no code with onnx2c.
//
// The TensorProto reader/writer below handles only the fields test data uses:
// dims=1, data_type=2, float_data=4, int32_data=5, int64_data=7, name=8,
// raw_data=9, double_data=10.  Anything else (external data, strings) is an
// error, not a silent zero.
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
	process.stderr.write(`ort_run: ${msg}\n`);
	process.exit(2);
}

let ort;
try {
	ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-node'));
} catch (e) {
	die(`cannot load onnxruntime-node from ${__dirname}/node_modules (run scripts/setup.sh): ${e.message}`);
}

// ONNX TensorProto.DataType -> [ort type name, typed array, bytes per element]
const TYPES = {
	1: ['float32', Float32Array, 4],
	2: ['uint8', Uint8Array, 1],
	3: ['int8', Int8Array, 1],
	4: ['uint16', Uint16Array, 2],
	5: ['int16', Int16Array, 2],
	6: ['int32', Int32Array, 4],
	7: ['int64', BigInt64Array, 8],
	9: ['bool', Uint8Array, 1],
	11: ['float64', Float64Array, 8],
	12: ['uint32', Uint32Array, 4],
	13: ['uint64', BigUint64Array, 8],
};
const ORT_TO_ONNX = {};
for (const [k, v] of Object.entries(TYPES)) ORT_TO_ONNX[v[0]] = Number(k);

/* ---- protobuf wire format ---- */

class Reader {
	constructor(buf, file) { this.b = buf; this.p = 0; this.file = file; }
	eof() { return this.p >= this.b.length; }
	varint() {
		let v = 0n, shift = 0n;
		for (;;) {
			if (this.p >= this.b.length) die(`${this.file}: truncated varint`);
			const c = this.b[this.p++];
			v |= BigInt(c & 0x7f) << shift;
			if (!(c & 0x80)) return BigInt.asUintN(64, v);
			shift += 7n;
			if (shift > 63n) die(`${this.file}: varint too long`);
		}
	}
	bytes() {
		const n = Number(this.varint());
		if (this.p + n > this.b.length) die(`${this.file}: truncated field`);
		const s = this.b.subarray(this.p, this.p + n);
		this.p += n;
		return s;
	}
	skip(wt) {
		if (wt === 0) this.varint();
		else if (wt === 1) this.p += 8;
		else if (wt === 2) this.bytes();
		else if (wt === 5) this.p += 4;
		else die(`${this.file}: unsupported wire type ${wt}`);
	}
}

// Repeated scalar fields may be packed (wire type 2) or not; accept both.
function repeatedVarints(r, wt, out) {
	if (wt === 2) {
		const sub = new Reader(r.bytes(), r.file);
		while (!sub.eof()) out.push(sub.varint());
	} else {
		out.push(r.varint());
	}
}

function repeatedFixed(r, wt, size, get, out) {
	if (wt === 2) {
		const s = r.bytes();
		const dv = new DataView(s.buffer, s.byteOffset, s.byteLength);
		for (let i = 0; i + size <= s.length; i += size) out.push(get(dv, i));
	} else {
		const dv = new DataView(r.b.buffer, r.b.byteOffset + r.p, size);
		out.push(get(dv, 0));
		r.p += size;
	}
}

function readTensor(file) {
	let buf;
	try {
		buf = fs.readFileSync(file);
	} catch (e) {
		die(`cannot read ${file}: ${e.message}`);
	}
	const r = new Reader(buf, file);
	const t = { dims: [], type: 0, name: '', raw: null, f: [], i: [], d: [] };
	while (!r.eof()) {
		const key = Number(r.varint());
		const field = key >>> 3, wt = key & 7;
		switch (field) {
		case 1: repeatedVarints(r, wt, t.dims); break;
		case 2: t.type = Number(r.varint()); break;
		case 4: repeatedFixed(r, wt, 4, (dv, o) => dv.getFloat32(o, true), t.f); break;
		case 5: case 7: case 11: repeatedVarints(r, wt, t.i); break;
		case 8: t.name = r.bytes().toString('utf8'); break;
		case 9: t.raw = r.bytes(); break;
		case 10: repeatedFixed(r, wt, 8, (dv, o) => dv.getFloat64(o, true), t.d); break;
		case 6: case 13: die(`${file}: string or external tensor data is not supported`); break;
		default: r.skip(wt);
		}
	}
	const ty = TYPES[t.type];
	if (!ty) die(`${file}: unsupported data_type ${t.type}`);
	const [ortType, Arr, size] = ty;
	const dims = t.dims.map((v) => Number(BigInt.asIntN(64, v)));
	const count = dims.reduce((a, b) => a * b, 1);
	let data;
	if (t.raw) {
		if (t.raw.length !== count * size)
			die(`${file}: raw_data has ${t.raw.length} bytes, dims [${dims}] need ${count * size}`);
		// copy: the Buffer's offset need not be aligned for the typed array
		const copy = new Uint8Array(t.raw);
		data = new Arr(copy.buffer, 0, count);
	} else {
		const src = t.type === 1 ? t.f : t.type === 11 ? t.d : t.i;
		if (src.length !== count)
			die(`${file}: ${src.length} values, dims [${dims}] need ${count}`);
		data = new Arr(count);
		for (let k = 0; k < count; k++) {
			const v = src[k];
			if (Arr === BigInt64Array) data[k] = BigInt.asIntN(64, v);
			else if (Arr === BigUint64Array) data[k] = v;
			else if (typeof v === 'bigint') data[k] = Number(BigInt.asIntN(64, v));
			else data[k] = v;
		}
	}
	if (ortType === 'bool') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
	return { name: t.name, tensor: new ort.Tensor(ortType, data, dims) };
}

function varint(n) {
	let v = BigInt.asUintN(64, BigInt(n));
	const out = [];
	do {
		let c = Number(v & 0x7fn);
		v >>= 7n;
		if (v) c |= 0x80;
		out.push(c);
	} while (v);
	return Buffer.from(out);
}

function lenField(field, bytes) {
	return Buffer.concat([varint((field << 3) | 2), varint(bytes.length), bytes]);
}

function writeTensor(file, name, tensor) {
	const type = ORT_TO_ONNX[tensor.type];
	if (!type) die(`output '${name}' has unsupported type ${tensor.type}`);
	const parts = [];
	for (const d of tensor.dims) parts.push(varint(1 << 3), varint(d));
	parts.push(varint(2 << 3), varint(type));
	parts.push(lenField(8, Buffer.from(name, 'utf8')));
	const d = tensor.data;
	parts.push(lenField(9, Buffer.from(d.buffer, d.byteOffset, d.byteLength)));
	fs.writeFileSync(file, Buffer.concat(parts));
}

async function main() {
	const [model, inDir, outDir] = process.argv.slice(2);
	if (!outDir) {
		process.stderr.write('usage: node ort_run.js MODEL.onnx IN_DIR OUT_DIR\n');
		process.exit(2);
	}
	let session;
	try {
		session = await ort.InferenceSession.create(model, {
			executionProviders: ['cpu'],
			graphOptimizationLevel: 'all',
		});
	} catch (e) {
		die(`ONNX Runtime cannot load ${model}: ${e.message}`);
	}
	const names = session.inputNames;
	const feeds = {};
	for (let k = 0; ; k++) {
		const f = path.join(inDir, `input_${k}.pb`);
		if (!fs.existsSync(f)) break;
		const { name, tensor } = readTensor(f);
		// Prefer the name stored in the file; fall back to position.
		const key = names.includes(name) ? name : names[k];
		if (key === undefined) die(`${f}: model has only ${names.length} inputs`);
		feeds[key] = tensor;
	}
	for (const n of names)
		if (!(n in feeds)) die(`no input_K.pb in ${inDir} for graph input '${n}'`);
	let results;
	try {
		results = await session.run(feeds);
	} catch (e) {
		die(`ONNX Runtime failed on ${model}: ${e.message}`);
	}
	fs.mkdirSync(outDir, { recursive: true });
	session.outputNames.forEach((n, k) => {
		writeTensor(path.join(outDir, `output_${k}.pb`), n, results[n]);
	});
}

main();
