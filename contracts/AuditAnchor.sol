// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title AuditAnchor
/// @notice Records the chain head of a hash-chained SQL audit ledger as an event, so that a
/// later rewrite of the ledger shows up against an independent, append-only record.
/// @dev Events, not storage: no contract needs to read an anchor, and a log costs far less
/// gas than a storage slot. Only the owner (the anchoring key) may anchor, so a log from
/// this address is an anchor the operator made. The owner is in storage, not immutable, so
/// the key can be rotated without moving the anchors to a new address.
contract AuditAnchor {
    /// @notice The account allowed to anchor: the deployer until ownership is transferred.
    address public owner;

    /// @notice The ledger row `seq` had the chain hash `head` when this was recorded.
    event Anchored(bytes32 indexed head, uint64 indexed seq, uint256 timestamp);

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error ZeroOwner();

    constructor() {
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    /// @notice Records `head`, the ledger's chain hash at row `seq`.
    function anchor(bytes32 head, uint64 seq) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        emit Anchored(head, seq, block.timestamp);
    }

    /// @notice Hands anchoring to a new key (key rotation); the old key can no longer anchor.
    function transferOwnership(address newOwner) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        // A zero owner would make the contract unusable for good.
        if (newOwner == address(0)) revert ZeroOwner();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }
}
