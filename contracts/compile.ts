import { readFileSync } from "node:fs";
import { join } from "node:path";
import solc from "solc";
import { AUDIT_ANCHOR_COMPILER } from "../lib/audit/anchor/contract";

/** The source unit name is part of the metadata hash at the end of the bytecode. */
export const AUDIT_ANCHOR_SOURCE = "contracts/AuditAnchor.sol";

export interface CompiledContract {
  readonly abi: unknown[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: `0x${string}`;
}

/**
 * Compiles contracts/AuditAnchor.sol with the solc npm package and the settings recorded
 * next to the shipped bytecode. Run `npx tsx contracts/compile.ts` to print the result
 * when the contract changes.
 */
export function compileAuditAnchor(): CompiledContract {
  const version: string = solc.version();
  if (!version.startsWith(`${AUDIT_ANCHOR_COMPILER.version}+`)) {
    throw new Error(`AuditAnchor is built with solc ${AUDIT_ANCHOR_COMPILER.version}, the solc package is ${version}`);
  }
  const input = {
    language: "Solidity",
    sources: { [AUDIT_ANCHOR_SOURCE]: { content: readFileSync(join(__dirname, "AuditAnchor.sol"), "utf8") } },
    settings: {
      ...AUDIT_ANCHOR_COMPILER.settings,
      outputSelection: { [AUDIT_ANCHOR_SOURCE]: { AuditAnchor: ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const problems = (output.errors ?? []).filter((e) => e.severity === "error" || e.severity === "warning");
  if (problems.length > 0) throw new Error(problems.map((e) => e.formattedMessage).join("\n"));
  const contract = output.contracts[AUDIT_ANCHOR_SOURCE].AuditAnchor;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify(compileAuditAnchor(), null, 2)}\n`);
}
