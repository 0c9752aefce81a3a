import { fromRlp, getAddress, toRlp, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, test } from "vitest";
import { enodeUrl, genesisJson, nodeAddress, normalizePublicKey, qbftExtraData, qbftGenesis } from "../../lib/audit/besu/genesis";

/**
 * Documented vectors, not values computed by the code under test:
 * - The four playground validators of Consensys/quorum-kubernetes (their IBFT 2.0 genesis
 *   lists the same addresses) and the QBFT extraData for them, as in Besu's QBFT page and
 *   recomputed independently (shared/reference/besu-udp.md, A2).
 * - The "block header validator selection" and "contract validator selection" examples of
 *   hyperledger/besu-docs docs/private-networks/how-to/configure/consensus/qbft.md
 *   (commit 110d7680c87c34864ca2a80df0f210e2bde934b7).
 */
const PLAYGROUND = {
  validators: ["0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb", "0x06e23768a0f59cf365e18c2e0c89e151bcdedc70", "0xc5327f96ee02d7bcbc1bf1236b8c15148971e1de", "0xab5e7f4061c605820d3744227eed91ff8e2c8908"],
  extraData:
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f854944592c8e45706cc08b8f44b11e43cba0cfc5892cb9406e23768a0f59cf365e18c2e0c89e151bcdedc7094c5327f96ee02d7bcbc1bf1236b8c15148971e1de94ab5e7f4061c605820d3744227eed91ff8e2c8908c080c0",
  /** validator1 of playground/kubectl/quorum-besu/ibft2/secrets/validator1-key-secret.yaml. */
  privateKey: "0x0fd4aecd8f02b24f468325aa06e1428ab8076d283bac3ed804c9f70187dedb63",
  publicKey: "c1979a8a48693db804316b5acebe35e11731e1fb1c9c21ff7268ab25db6f6e03390a429b83cf0ec0865a7205f2669ec1ace652a3def11e2e01571c74939cbe22",
  address: "0x4592c8e45706cc08b8f44b11e43cba0cfc5892cb",
} as const;

const BESU_DOCS = {
  validators: ["0x64a702e6263b7297a96638cac6ae65e6541f4169", "0x3923390ad55e90c237593b3b0e401f3b08a03185", "0xaefdb9a738c9f433e5b6b212a6d62f6370c2f692", "0xc7eeb9a4e00ce683cf93039b212648e01c6c6b78"],
  extraData:
    "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0",
  contractModeExtraData: "0xe5a00000000000000000000000000000000000000000000000000000000000000000c0c080c0",
} as const;

/** Constants Besu's QBFT page requires in every QBFT genesis. */
const MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

describe("qbftExtraData", () => {
  test("the playground validators give the documented extraData", () => {
    expect(qbftExtraData(PLAYGROUND.validators)).toBe(PLAYGROUND.extraData);
  });

  test("the Besu documentation's example validators give its extraData, in the order given", () => {
    expect(qbftExtraData(BESU_DOCS.validators)).toBe(BESU_DOCS.extraData);
  });

  test("no validators give the documented contract-mode extraData (empty list, empty vote, round 0, no seals)", () => {
    expect(qbftExtraData([])).toBe(BESU_DOCS.contractModeExtraData);
  });

  test("checksummed addresses encode as their lower-case form", () => {
    const checksummed = PLAYGROUND.validators.map((a) => getAddress(a));
    expect(checksummed).not.toEqual(PLAYGROUND.validators);
    expect(qbftExtraData(checksummed)).toBe(PLAYGROUND.extraData);
  });

  test("many validators (a list longer than 255 bytes) encode as viem's RLP encoder does", () => {
    const many = Array.from({ length: 20 }, (_, i) => `0x${(i + 1).toString(16).padStart(40, "0")}` as Hex);
    expect(qbftExtraData(many)).toBe(toRlp([`0x${"00".repeat(32)}`, many, [], "0x", []]));
    expect(qbftExtraData(many).slice(0, 8)).toBe("0xf901cb");
  });

  test("refuses something that is not an address", () => {
    expect(() => qbftExtraData(["0x4592c8e45706cc08b8f44b11e43cba0cfc5892"])).toThrow(/0x and 40 hex digits/);
  });
});

describe("node keys", () => {
  test("the documented public key gives the documented address", () => {
    expect(nodeAddress(PLAYGROUND.publicKey)).toBe(PLAYGROUND.address);
    expect(nodeAddress(`0x${PLAYGROUND.publicKey.toUpperCase()}`)).toBe(PLAYGROUND.address);
  });

  test("the documented private key's public key (derived by viem) is the documented one", () => {
    const account = privateKeyToAccount(PLAYGROUND.privateKey);
    expect(account.publicKey).toBe(`0x04${PLAYGROUND.publicKey}`);
    expect(nodeAddress(account.publicKey.slice(4))).toBe(account.address.toLowerCase());
  });

  test("refuses a key of the wrong length, and one off the curve", () => {
    expect(() => normalizePublicKey(PLAYGROUND.publicKey.slice(2))).toThrow(/64 bytes in hex/);
    expect(() => normalizePublicKey(`04${PLAYGROUND.publicKey}`)).toThrow(/64 bytes in hex/);
    const offCurve = `${PLAYGROUND.publicKey.slice(0, 127)}${PLAYGROUND.publicKey.endsWith("2") ? "3" : "2"}`;
    expect(() => nodeAddress(offCurve)).toThrow(/not a secp256k1 public key/);
  });

  test("an enode URL names the key without 0x, the host and the P2P port", () => {
    expect(enodeUrl(`0x${PLAYGROUND.publicKey}`, "validator-0-0.validator-0.besu.svc")).toBe(`enode://${PLAYGROUND.publicKey}@validator-0-0.validator-0.besu.svc:30303`);
  });
});

describe("qbftGenesis", () => {
  const options = { chainId: 4242, validators: PLAYGROUND.validators };

  test("has what QBFT requires: difficulty 1, the QBFT mixHash, QBFT settings and the validators in extraData", () => {
    const genesis = qbftGenesis(options);
    expect(genesis.difficulty).toBe("0x1");
    expect(genesis.mixHash).toBe(MIX_HASH);
    expect(genesis.config.qbft).toEqual({ blockperiodseconds: 5, epochlength: 30000, requesttimeoutseconds: 10 });
    expect(genesis.config.chainId).toBe(4242);
    const [vanity, validators, vote, round, seals] = fromRlp(genesis.extraData) as [Hex, Hex[], Hex[], Hex, Hex[]];
    expect(vanity).toBe(`0x${"00".repeat(32)}`);
    expect(new Set(validators)).toEqual(new Set(PLAYGROUND.validators));
    expect([vote, round, seals]).toEqual([[], "0x", []]);
  });

  test("free gas: London from block 0 with zeroBaseFee and a zero base fee in the genesis block", () => {
    const genesis = qbftGenesis(options);
    expect(genesis.config.londonBlock).toBe(0);
    expect(genesis.config.berlinBlock).toBe(0);
    expect(genesis.config.zeroBaseFee).toBe(true);
    expect(genesis.baseFeePerGas).toBe("0x0");
  });

  test("lists validators in ascending order, so the spec's order does not change the chain", () => {
    const a = genesisJson(qbftGenesis(options));
    const b = genesisJson(qbftGenesis({ ...options, validators: [...PLAYGROUND.validators].reverse() }));
    expect(b).toBe(a);
    const [, validators] = fromRlp(qbftGenesis(options).extraData) as [Hex, Hex[]];
    expect(validators).toEqual([...PLAYGROUND.validators].sort());
  });

  test("is the same bytes on every run: no time, no randomness", async () => {
    const first = genesisJson(qbftGenesis(options));
    await new Promise((r) => setTimeout(r, 1100));
    expect(genesisJson(qbftGenesis(options))).toBe(first);
    expect(JSON.parse(first).timestamp).toBe("0x0");
  });

  test("has no alloc unless given; given accounts are sorted by address", () => {
    expect(qbftGenesis(options)).not.toHaveProperty("alloc");
    const genesis = qbftGenesis({ ...options, alloc: { "0xC7EEB9A4E00CE683CF93039B212648E01C6C6B78": { balance: "0x1" }, "0x3923390ad55e90c237593b3b0e401f3b08a03185": { balance: "2" } } });
    expect(Object.keys(genesis.alloc!)).toEqual(["3923390ad55e90c237593b3b0e401f3b08a03185", "c7eeb9a4e00ce683cf93039b212648e01c6c6b78"]);
  });

  test("the block settings and gas limit are taken as given", () => {
    const genesis = qbftGenesis({ ...options, blockPeriodSeconds: 2, requestTimeoutSeconds: 7, epochLength: 100, gasLimit: 0xf7b760 });
    expect(genesis.config.qbft).toEqual({ blockperiodseconds: 2, epochlength: 100, requesttimeoutseconds: 7 });
    expect(genesis.gasLimit).toBe("0xf7b760");
  });

  test("refuses no validators, a validator twice and a bad chain id", () => {
    expect(() => qbftGenesis({ ...options, validators: [] })).toThrow(/validators is empty/);
    expect(() => qbftGenesis({ ...options, validators: [PLAYGROUND.validators[0], PLAYGROUND.validators[0].toUpperCase().replace("0X", "0x")] })).toThrow(/twice/);
    expect(() => qbftGenesis({ ...options, chainId: 0 })).toThrow(/chainId must be an integer from 1/);
  });
});
