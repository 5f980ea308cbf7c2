// The public names of the package: the one export list of both entry points
// (node.js and browser.js).

export {
  MrkenvError,
  KmsMrkKeyring,
  KmsMrkDiscoveryKeyring,
  RawAesKeyring,
  encrypt,
  decrypt,
  encryptStream,
  decryptStream,
  inspect,
  parseArn,
  isMrk,
  mrkMatch,
  defaultLimits,
  Action,
  encryptRecord,
  decryptRecord,
  rekey,
  rekeyHeader,
  rekeyRecord,
} from "./api.js";
