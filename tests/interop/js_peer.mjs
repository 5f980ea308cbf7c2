// The JS peer of the interop matrix, shared by Node (in the test process) and
// Chromium (tests/interop/browser_peer.html): the requests and answers of
// py_peer.py, with `kmsFor(region)` giving the KMS client of a Region (an
// @aws-sdk/client-kms client in Node; in Chromium a client whose calls the
// test relays to moto, since the page has no AWS SDK). No Node APIs here.

const hex = (s) => new Uint8Array(s.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A DynamoDB JSON attribute value in the SDK's shape (Uint8Array for B), and back. */
function fromJson(value) {
  const [[kind, inner]] = Object.entries(value);
  if (kind === "B") return { B: unb64(inner) };
  if (kind === "BS") return { BS: inner.map(unb64) };
  if (kind === "L") return { L: inner.map(fromJson) };
  if (kind === "M") return { M: Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, fromJson(v)])) };
  return { [kind]: inner };
}
function toJson(value) {
  const [[kind, inner]] = Object.entries(value);
  if (kind === "B") return { B: b64(inner) };
  if (kind === "BS") return { BS: inner.map(b64) };
  if (kind === "L") return { L: inner.map(toJson) };
  if (kind === "M") return { M: Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, toJson(v)])) };
  return { [kind]: inner };
}
const mapItem = (item, f) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, f(v)]));
/** A whole item as DynamoDB JSON, and back. */
export const itemToJson = (item) => mapItem(item, toJson);
export const itemFromJson = (item) => mapItem(item, fromJson);

/** `mrkenv` is the package's module; returns run(request) -> answer. */
export function makePeer(mrkenv, kmsFor) {
  function keyring(spec) {
    if (spec.type === "raw-aes") {
      return new mrkenv.RawAesKeyring({
        keyNamespace: spec.key_namespace, keyName: spec.key_name, wrappingKey: hex(spec.wrapping_key),
      });
    }
    if (spec.type === "kms") return new mrkenv.KmsMrkKeyring({ client: kmsFor(spec.region), keyIds: spec.key_ids });
    if (spec.type === "kms-discovery") {
      return new mrkenv.KmsMrkDiscoveryKeyring({ client: kmsFor(spec.region), region: spec.region });
    }
    throw new Error(`unknown keyring type ${spec.type}`);
  }
  const table = (r) => ({
    tableName: r.table_name, partitionKey: r.partition_key,
    ...(r.sort_key ? { sortKey: r.sort_key } : {}),
    ...(r.context ? { encryptionContext: r.context } : {}),
  });
  return async function run(r) {
    try {
      const k = keyring(r.keyring);
      if (r.op === "encrypt") {
        const message = await mrkenv.encrypt(k, hex(r.plaintext), {
          encryptionContext: r.context ?? {}, ...(r.frame_length ? { frameLength: r.frame_length } : {}),
        });
        return { ciphertext: toHex(message) };
      }
      if (r.op === "decrypt") {
        const { plaintext } = await mrkenv.decrypt(k, hex(r.ciphertext), r.context ? { encryptionContext: r.context } : {});
        return { plaintext: toHex(plaintext) };
      }
      if (r.op === "encrypt_record") {
        const out = await mrkenv.encryptRecord(k, mapItem(r.item, fromJson), {
          ...table(r), actions: r.actions, ...(r.default_action ? { defaultAction: r.default_action } : {}),
        });
        return { item: mapItem(out, toJson) };
      }
      if (r.op === "decrypt_record") {
        return { item: mapItem(await mrkenv.decryptRecord(k, mapItem(r.item, fromJson), table(r)), toJson) };
      }
      throw new Error(`unknown op ${r.op}`);
    } catch (e) {
      return { error: e.code ?? e.name, message: String(e.message ?? e) };
    }
  };
}

/** A KMS client whose calls go through `call(op, params)` with blobs in hex (the Chromium side of the relay). */
export function relayedClient(call) {
  const wrap = (op) => async (params) => {
    const sent = { ...params };
    for (const f of ["Plaintext", "CiphertextBlob"]) if (sent[f]) sent[f] = toHex(sent[f]);
    const got = JSON.parse(await call(op, JSON.stringify(sent)));
    if (got.error) throw Object.assign(new Error(got.error), { name: got.name ?? "Error" });
    for (const f of ["Plaintext", "CiphertextBlob"]) if (got[f]) got[f] = hex(got[f]);
    return got;
  };
  return { generateDataKey: wrap("generateDataKey"), encrypt: wrap("encrypt"), decrypt: wrap("decrypt") };
}
