/**
 * The AuditAnchor contract (contracts/AuditAnchor.sol) as it is deployed: its ABI and its
 * creation bytecode. A test recompiles the source with AUDIT_ANCHOR_COMPILER and compares,
 * so the two cannot drift; `npx tsx contracts/compile.ts` prints fresh values.
 */

/** Compiler and settings the bytecode was built with (what a block explorer needs to verify it). */
export const AUDIT_ANCHOR_COMPILER = {
  version: "0.8.37",
  settings: {
    optimizer: { enabled: true, runs: 200 },
    // London is the oldest fork that has a base fee (needed for Besu's zeroBaseFee free gas);
    // targeting it keeps newer opcodes (PUSH0, MCOPY) out, so any post-London chain runs it.
    evmVersion: "london",
  },
} as const;

export const AUDIT_ANCHOR_ABI = [
  { inputs: [], stateMutability: "nonpayable", type: "constructor" },
  { inputs: [
    { internalType: "address", name: "caller", type: "address" },
  ], name: "NotOwner", type: "error" },
  { inputs: [], name: "ZeroOwner", type: "error" },
  { anonymous: false, inputs: [
    { indexed: true, internalType: "bytes32", name: "head", type: "bytes32" },
    { indexed: true, internalType: "uint64", name: "seq", type: "uint64" },
    { indexed: false, internalType: "uint256", name: "timestamp", type: "uint256" },
  ], name: "Anchored", type: "event" },
  { anonymous: false, inputs: [
    { indexed: true, internalType: "address", name: "previousOwner", type: "address" },
    { indexed: true, internalType: "address", name: "newOwner", type: "address" },
  ], name: "OwnershipTransferred", type: "event" },
  { inputs: [
    { internalType: "bytes32", name: "head", type: "bytes32" },
    { internalType: "uint64", name: "seq", type: "uint64" },
  ], name: "anchor", outputs: [], stateMutability: "nonpayable", type: "function" },
  { inputs: [], name: "owner", outputs: [{ internalType: "address", name: "", type: "address" }], stateMutability: "view", type: "function" },
  { inputs: [
    { internalType: "address", name: "newOwner", type: "address" },
  ], name: "transferOwnership", outputs: [], stateMutability: "nonpayable", type: "function" },
] as const;

export const AUDIT_ANCHOR_BYTECODE =
  "0x6080604052348015600f57600080fd5b50600080546001600160a01b0319163390811782556040519091907f8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0908290a361026a8061005e6000396000f3fe608060405234801561001057600080fd5b50600436106100415760003560e01c80638da5cb5b14610046578063db2c4aca14610075578063f2fde38b1461008a575b600080fd5b600054610059906001600160a01b031681565b6040516001600160a01b03909116815260200160405180910390f35b6100886100833660046101c7565b61009d565b005b610088610098366004610204565b610118565b6000546001600160a01b031633146100cf5760405163245aecd360e01b81523360048201526024015b60405180910390fd5b8067ffffffffffffffff16827fa42ba76627f3ba3b6eec410fc07138c5d8a423c71e0b4f23b0f7808088873d9b4260405161010c91815260200190565b60405180910390a35050565b6000546001600160a01b031633146101455760405163245aecd360e01b81523360048201526024016100c6565b6001600160a01b03811661016c57604051639905827b60e01b815260040160405180910390fd5b600080546040516001600160a01b03808516939216917f8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e091a3600080546001600160a01b0319166001600160a01b0392909216919091179055565b600080604083850312156101da57600080fd5b82359150602083013567ffffffffffffffff811681146101f957600080fd5b809150509250929050565b60006020828403121561021657600080fd5b81356001600160a01b038116811461022d57600080fd5b939250505056fea26469706673582212207d408fbb1b66ee939e7aef28394ad243917ae9b5d3dfe509d38039b7efc5b51a64736f6c63430008250033" as const;
