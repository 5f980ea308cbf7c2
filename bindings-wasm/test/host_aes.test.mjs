// The host AES-GCM path of one-shot messages (js/host_aes.js, node:crypto in
// Node) against the pure-WebAssembly path: the same bytes, the same errors,
// and the bulk data kept out of wasm memory.

import test from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { MrkenvError, RawAesKeyring, decrypt, decryptStream, encrypt, encryptStream, inspect } from "mrkenv";
import { _setCryptoPath, _wasmMemoryBytes, _wasmMemoryIncludes, encryptStreamWith, encryptWith } from "mrkenv/testing";
import { chunked, collect } from "./helpers.mjs";

const keyring = new RawAesKeyring({ keyNamespace: "app", keyName: "k", wrappingKey: new Uint8Array(32).fill(3) });
const fixed = {
  encryptionContext: { tenant: "acme" },
  frameLength: 1024,
  messageId: new Uint8Array(32).fill(5),
  dataKey: new Uint8Array(32).fill(9),
  rawAesIv: new Uint8Array(12).fill(7),
};

async function onPath(path, fn) {
  _setCryptoPath(path);
  try {
    return await fn();
  } finally {
    _setCryptoPath("auto");
  }
}

async function errorOf(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof MrkenvError, `expected MrkenvError, got ${e}`);
    return `${e.code}: ${e.message}`;
  }
  assert.fail("expected an error");
}

test("host and wasm paths write the same bytes and read each other's messages", async () => {
  for (const len of [0, 1, 1023, 1024, 1025, 5000, 70000]) {
    const plaintext = randomBytes(len);
    const host = await onPath("host", () => encryptWith(keyring, plaintext, fixed));
    const wasm = await onPath("wasm", () => encryptWith(keyring, plaintext, fixed));
    assert.deepEqual(host, wasm, `${len} bytes`);
    const byHost = await onPath("host", () => decrypt(keyring, wasm));
    const byWasm = await onPath("wasm", () => decrypt(keyring, host));
    assert.deepEqual(Buffer.from(byHost.plaintext), plaintext);
    assert.deepEqual(byHost, byWasm);
    assert.deepEqual(byHost.header, inspect(host));
  }
});

/**
 * The [start, end) of each frame of a message with 1024-byte frames (a full
 * frame is 1046 bytes: array, sequence, flag, a 3-byte body head, 1040).
 */
function frameRanges(message, body, count) {
  const ranges = [];
  let at = body;
  for (let i = 0; i < count - 1; i++) {
    ranges.push([at, at + 1046]);
    at += 1046;
  }
  ranges.push([at, message.length]);
  return ranges;
}

test("tampered, reordered, truncated and extended messages fail with the same error on both paths", async () => {
  const message = await onPath("wasm", () => encryptWith(keyring, randomBytes(2500), fixed));
  // An empty plaintext: the prelude, then a final frame of 20 bytes.
  const empty = await onPath("wasm", () => encryptWith(keyring, new Uint8Array(0), fixed));
  const ranges = frameRanges(message, empty.length - 20, 3);
  // The ranges are right: the frames concatenated are the body.
  assert.equal(ranges[2][1] - ranges[2][0], 1 + 1 + 1 + 3 + 452 + 16);
  const flip = (at) => {
    const bad = message.slice();
    bad[at] ^= 1;
    return bad;
  };
  const swap = () => {
    const [a, b, c] = ranges;
    const head = message.subarray(0, a[0]);
    return Buffer.concat([head, message.subarray(...b), message.subarray(...a), message.subarray(...c)]);
  };
  const cases = {
    "frame 2 ciphertext": [flip(ranges[1][0] + 100), "Authentication: frame 2: authentication tag does not verify"],
    "frame 3 tag": [flip(message.length - 1), "Authentication: frame 3: authentication tag does not verify"],
    "frames 1 and 2 swapped": [swap(), "MalformedMessage: frame 1: sequence number is 2, expected 1 (frames reordered, dropped or duplicated)"],
    "final frame missing": [message.subarray(0, ranges[2][0]), "MalformedMessage: message is truncated: the message ends before the final frame (frame 3 is missing or incomplete)"],
    "final frame cut": [message.subarray(0, message.length - 1), "MalformedMessage: message is truncated: the message ends before the final frame (frame 3 is missing or incomplete)"],
    "a trailing byte": [Buffer.concat([message, Buffer.from([0])]), "MalformedMessage: 1 trailing byte(s) after the final frame"],
    "header cut": [message.subarray(0, 40), "MalformedMessage: message is truncated: the header is incomplete"],
    "header tag flipped": [flip(ranges[0][0] - 1), "Authentication: header authentication tag does not verify"],
  };
  for (const [name, [bad, expected]] of Object.entries(cases)) {
    const host = await errorOf(onPath("host", () => decrypt(keyring, bad)));
    const wasm = await errorOf(onPath("wasm", () => decrypt(keyring, bad)));
    assert.equal(host, expected, `${name} (host)`);
    assert.equal(wasm, expected, `${name} (wasm)`);
  }
  // A bad tag in frame 2 AND a missing final frame: frame 2's error comes
  // first, as the frames are read in order.
  const both = flip(ranges[1][0] + 100).subarray(0, ranges[2][0]);
  assert.equal(await errorOf(onPath("host", () => decrypt(keyring, both))), cases["frame 2 ciphertext"][1]);
  assert.equal(await errorOf(onPath("wasm", () => decrypt(keyring, both))), cases["frame 2 ciphertext"][1]);
});

test("the required context is checked on the host path before any KMS call", async () => {
  const message = await encrypt(keyring, randomBytes(100_000), { encryptionContext: { tenant: "acme" } });
  await onPath("host", async () => {
    await assert.rejects(decrypt(keyring, message, { encryptionContext: { tenant: "evil" } }), (e) => e.code === "ContextMismatch");
    const { plaintext } = await decrypt(keyring, message, { encryptionContext: { tenant: "acme" } });
    assert.equal(plaintext.length, 100_000);
  });
});

test("on the host path the plaintext and the message never enter wasm memory", async () => {
  const plaintext = randomBytes(4 * 1024 * 1024);
  const before = _wasmMemoryBytes();
  const message = await onPath("host", () => encrypt(keyring, plaintext));
  const { plaintext: back } = await onPath("host", () => decrypt(keyring, message));
  assert.ok(Buffer.from(back).equals(plaintext));
  // Neither a slice of the plaintext nor of a frame's ciphertext is there.
  for (const at of [0, 1_000_000, 4 * 1024 * 1024 - 64]) {
    assert.equal(_wasmMemoryIncludes(plaintext.subarray(at, at + 32)), false, `plaintext at ${at}`);
  }
  assert.equal(_wasmMemoryIncludes(message.subarray(message.length - 48, message.length - 16)), false);
  const growth = _wasmMemoryBytes() - before;
  assert.ok(growth < 1024 * 1024, `wasm memory grew by ${growth} bytes for a 4 MiB one-shot`);
  // The wasm path, by contrast, copies the plaintext in (the control case).
  await onPath("wasm", () => encrypt(keyring, plaintext.subarray(0, 200_000)));
  assert.equal(_wasmMemoryIncludes(plaintext.subarray(100_000, 100_032)), true);
});

test("auto picks the host above the threshold and wasm below, same results", async () => {
  for (const len of [100, 20_000, 300_000]) {
    const plaintext = randomBytes(len);
    const message = await encrypt(keyring, plaintext);
    assert.ok(Buffer.from((await decrypt(keyring, message)).plaintext).equals(plaintext));
  }
});

/** A stream made on `path` (the path is chosen when the stream is made). */
function streamOn(path, make) {
  _setCryptoPath(path);
  try {
    return make();
  } finally {
    _setCryptoPath("auto");
  }
}

test("streams on the host path write the same bytes as the wasm path and read them back", async () => {
  const plaintext = randomBytes(50_000);
  for (const chunk of [1, 777, 1024, 4096, 60_000]) {
    const host = await collect(chunked(plaintext, chunk).pipeThrough(streamOn("host", () => encryptStreamWith(keyring, fixed))));
    const wasm = await collect(chunked(plaintext, chunk).pipeThrough(streamOn("wasm", () => encryptStreamWith(keyring, fixed))));
    assert.deepEqual(host, wasm, `chunks of ${chunk}`);
    assert.deepEqual(host, await onPath("wasm", () => encryptWith(keyring, plaintext, fixed)));
    for (const path of ["host", "wasm"]) {
      const back = await collect(chunked(host, chunk).pipeThrough(streamOn(path, () => decryptStream(keyring))));
      assert.ok(Buffer.from(back).equals(plaintext), `${path}, chunks of ${chunk}`);
    }
  }
  // An empty plaintext, and a fresh random message id.
  const empty = await collect(chunked(new Uint8Array(0), 1).pipeThrough(streamOn("host", () => encryptStream(keyring))));
  assert.equal((await decrypt(keyring, empty)).plaintext.length, 0);
});

test("a host-path decrypt stream releases each frame only after it verified, with the wasm path's errors", async () => {
  const message = await onPath("wasm", () => encryptWith(keyring, randomBytes(2500), fixed));
  const empty = await onPath("wasm", () => encryptWith(keyring, new Uint8Array(0), fixed));
  const [first, second, third] = frameRanges(message, empty.length - 20, 3);
  const bad = message.slice();
  bad[second[0] + 100] ^= 1;
  const cases = [
    [bad, "Authentication: frame 2: authentication tag does not verify"],
    [message.subarray(0, third[0]), "MalformedMessage: message is truncated: the message ends before the final frame (frame 3 is missing or incomplete)"],
    [Buffer.concat([message, Buffer.from([1, 2])]), "MalformedMessage: 2 trailing byte(s) after the final frame"],
    [message.subarray(0, 30), "MalformedMessage: message is truncated: the header is incomplete"],
    [new Uint8Array(0), "MalformedMessage: message is truncated: the header is incomplete"],
  ];
  for (const [input, expected] of cases) {
    for (const path of ["host", "wasm"]) {
      const released = [];
      const stream = chunked(input, 1046).pipeThrough(streamOn(path, () => decryptStream(keyring)));
      const error = await errorOf(
        (async () => {
          for await (const part of stream) released.push(part.length);
        })(),
      );
      assert.equal(error, expected, path);
      if (expected.includes("frame 2")) {
        // Frame 1 verified and may be out; frame 2's plaintext never is.
        assert.ok(released.reduce((a, b) => a + b, 0) <= 1024, `${path}: released ${released}`);
      }
    }
  }
  assert.ok(first[0] > 0);
});

test("the content key handed to the host leaves no copy in wasm memory", async () => {
  const { hkdfSync } = await import("node:crypto");
  const dataKey = new Uint8Array(32).fill(0x6b);
  const messageId = new Uint8Array(32).fill(0x2c);
  const info = Buffer.concat([Buffer.from("mrkenv v1 content key"), Buffer.from([0, 1])]);
  const contentKey = new Uint8Array(hkdfSync("sha512", dataKey, messageId, info, 32));
  const options = { ...fixed, dataKey, messageId };
  const plaintext = randomBytes(100_000);
  const message = await onPath("host", () => encryptWith(keyring, plaintext, options));
  // The key derived here is the one the message uses: the wasm path agrees.
  assert.deepEqual(message, await onPath("wasm", () => encryptWith(keyring, plaintext, options)));
  const { plaintext: back } = await onPath("host", () => decrypt(keyring, message));
  assert.ok(Buffer.from(back).equals(plaintext));
  const stream = chunked(message, 5000).pipeThrough(streamOn("host", () => decryptStream(keyring)));
  assert.ok(Buffer.from(await collect(stream)).equals(plaintext));
  assert.equal(_wasmMemoryIncludes(contentKey), false, "the content key is in wasm memory");
  assert.equal(_wasmMemoryIncludes(dataKey), false, "the data key is in wasm memory");
});

test("the header reads back every context string exactly, on both paths and in inspect", async () => {
  // The wasm module hands the header summary over as JSON text: quotes,
  // backslashes, control characters, non-ASCII and a __proto__ key must all
  // come back as they went in.
  const awkward = new Map([
    ["quote\"and\\backslash", "tab\tnewline\ncr\rnul\u0000unit\u001fdel\u007f"],
    ["__proto__", "{\"not\":\"json\"}"],
    ["ünïcödé ☃ 😀", "\u2028line\u2029para</script>"],
    ["", ""],
  ]);
  const expected = Object.fromEntries(awkward);
  const plaintext = new Uint8Array(2048).fill(1);
  for (const path of ["host", "wasm"]) {
    const message = await onPath(path, () => encrypt(keyring, plaintext, { encryptionContext: awkward, frameLength: 1024 }));
    const { plaintext: back, header } = await onPath(path, () => decrypt(keyring, message, { encryptionContext: awkward }));
    assert.deepEqual(back, plaintext);
    assert.deepEqual(header.encryptionContext, expected, path);
    assert.equal(Object.getOwnPropertyDescriptor(header.encryptionContext, "__proto__").value, "{\"not\":\"json\"}");
    assert.deepEqual(Object.keys(header), ["version", "suite", "suiteName", "messageId", "frameLength", "encryptionContext", "encryptedDataKeys"]);
    assert.equal(header.frameLength, 1024);
    assert.match(header.messageId, /^[0-9a-f]{64}$/);
    assert.deepEqual(header.encryptedDataKeys, [{ providerId: "app", providerInfo: "k", ciphertextLen: 60 }]);
    assert.deepEqual(inspect(message), header);
  }
});
