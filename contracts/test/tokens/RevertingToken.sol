// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title RevertingToken
/// @notice Test double: an ERC-20 whose `transfer` and `transferFrom` revert while `failing` is set.
contract RevertingToken is ERC20 {
    /// @notice Transfers are switched off.
    error RevertingTokenDisabled();

    /// @notice Whether transfers revert.
    bool public failing;

    constructor() ERC20("Broken USD", "BUSD") {}

    /// @notice Mints `amount` to `to` (always works).
    /// @param to The recipient.
    /// @param amount The amount.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Switches transfers off (`true`) or on.
    /// @param failing_ Whether transfers revert.
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    /// @notice ERC-20 transfer, reverting while `failing`.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return Always true when it does not revert.
    function transfer(address to, uint256 value) public override returns (bool) {
        if (failing) revert RevertingTokenDisabled();
        return super.transfer(to, value);
    }

    /// @notice ERC-20 transferFrom, reverting while `failing`.
    /// @param from The owner.
    /// @param to The recipient.
    /// @param value The amount.
    /// @return Always true when it does not revert.
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failing) revert RevertingTokenDisabled();
        return super.transferFrom(from, to, value);
    }
}
