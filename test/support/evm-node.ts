import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * A local EVM JSON-RPC node for the anchoring tests: Foundry's anvil, from the npm package
 * Foundry publishes per platform (the binary ships inside it), fetched once into .cache/bin
 * with `npm pack` and checked against the pinned integrity. Hardhat 3 and its EDR node
 * need Node.js 22, this project supports 20.
 */
export const ANVIL_VERSION = "1.7.1";
const ROOT = join(__dirname, "..", "..");
export const ANVIL = join(ROOT, ".cache", "bin", `anvil-${ANVIL_VERSION}`);

/** Per platform: the npm package and its tarball's integrity (npm view <pkg>@1.7.1 dist.integrity). */
const PACKAGES: Record<string, { name: string; integrity: string }> = {
  "linux-x64": {
    name: "@foundry-rs/anvil-linux-amd64",
    integrity: "sha512-+XmShybEaxfCrr0OUUZwYEy2OnYZt5pHH9TzBtLv3+VrK0O/ANuNSVEahqNhKHlgX7GRJ59383ofNhxkRWIYTg==",
  },
  "linux-arm64": {
    name: "@foundry-rs/anvil-linux-arm64",
    integrity: "sha512-ykHJmFOGdBR8+9smOKBm9ZZDCCCkLQctiHOAddLvmYx9mPeBDMfq6jP51hKYsO5MG8ClPLSlWe+JpiXPjoXgBQ==",
  },
  "darwin-x64": {
    name: "@foundry-rs/anvil-darwin-amd64",
    integrity: "sha512-OgwzwY+FsGrsPyDv4mmbhOwARO8s37YHrm2qaNzgSH4VlKnXgJCrnoT7bpgOhLyBPtxXjBT8L2E3b79deesXRg==",
  },
  "darwin-arm64": {
    name: "@foundry-rs/anvil-darwin-arm64",
    integrity: "sha512-JNeu3+A3f/npXLn8SR8EahVcqE7BpO9VQZMcPvSIy27/RNc1GsoEBvSLR99aSvt8sGKWAgNg/EzrtjAPq6mxcA==",
  },
};

export function ensureAnvil(): string {
  if (existsSync(ANVIL)) return ANVIL;
  const platform = `${process.platform}-${process.arch}`;
  const pkg = PACKAGES[platform];
  if (!pkg) throw new Error(`the anchoring tests run anvil ${ANVIL_VERSION}, published for ${Object.keys(PACKAGES).join(", ")}, not ${platform}`);
  mkdirSync(dirname(ANVIL), { recursive: true });
  const work = mkdtempSync(join(dirname(ANVIL), ".anvil-"));
  try {
    const [{ filename }] = JSON.parse(
      execFileSync("npm", ["pack", `${pkg.name}@${ANVIL_VERSION}`, "--json", "--pack-destination", work], { encoding: "utf8" }),
    ) as { filename: string }[];
    const tarball = join(work, filename);
    const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
    if (integrity !== pkg.integrity) throw new Error(`${pkg.name}@${ANVIL_VERSION}: integrity ${integrity}, expected ${pkg.integrity}`);
    execFileSync("tar", ["-xzf", tarball, "-C", work, "package/bin/anvil"]);
    chmodSync(join(work, "package", "bin", "anvil"), 0o755);
    // A rename is atomic, so test files that fetch at the same time never see half a binary.
    renameSync(join(work, "package", "bin", "anvil"), ANVIL);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return ANVIL;
}

export interface EvmNodeOptions {
  /**
   * Base fee of the first block, in wei; 0 with gas price 0 behaves like a free-gas Besu network.
   * @default 0n
   */
  readonly baseFee?: bigint;
  /** @default 31337 */
  readonly chainId?: number;
}

export interface EvmNode {
  readonly rpcUrl: string;
  readonly chainId: number;
  stop(): Promise<void>;
}

/**
 * Starts anvil on a free loopback port with the London rules (the contract's EVM target),
 * mining each transaction at once.
 */
export async function startEvmNode(options: EvmNodeOptions = {}): Promise<EvmNode> {
  const baseFee = options.baseFee ?? 0n;
  const chainId = options.chainId ?? 31337;
  const args = ["--host", "127.0.0.1", "--port", "0", "--hardfork", "london", "--chain-id", String(chainId), "--accounts", "1"];
  args.push("--base-fee", baseFee.toString());
  if (baseFee === 0n) args.push("--gas-price", "0");
  const child = spawn(ensureAnvil(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anvil did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (listening) {
        clearTimeout(timer);
        child.stdout.off("data", onData);
        resolve(listening[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited with ${code}:\n${output}`));
    });
  });
  // Keep draining its log so a full pipe never blocks the node.
  child.stdout.resume();
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    chainId,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
