// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {MinerAPI} from "filecoin-solidity-api/contracts/v0.8/MinerAPI.sol";
import {PowerAPI} from "filecoin-solidity-api/contracts/v0.8/PowerAPI.sol";
import {CommonTypes} from "filecoin-solidity-api/contracts/v0.8/types/CommonTypes.sol";
import {PowerTypes} from "filecoin-solidity-api/contracts/v0.8/types/PowerTypes.sol";
import {FilAddresses} from "filecoin-solidity-api/contracts/v0.8/utils/FilAddresses.sol";

import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/// @title ProviderRegistry
/// @notice Holds storage providers' FIL stakes, gateways, capabilities and miner bindings. The job
/// market locks stake as per-slot collateral and is the only account that can release or slash it.
/// @dev Invariants kept here:
///  - `locked <= stake` for every provider (lock checks free stake; release and slash lower `locked`).
///  - address(this).balance == sum(stake) + sum(unbonding) + slashed (no other way in or out).
///  - Unbonding only ever takes free stake, so collateral an open job holds cannot leave.
contract ProviderRegistry is IProviderRegistry, Ownable2Step, ReentrancyGuardTransient {
    using SafeCast for uint256;

    /// @dev Bit layout of the hot word, the only one the market touches on a claim:
    /// [0..95] stake · [96..183] locked · [184..247] minerId · [248..255] active flag
    struct Account {
        uint96 stake;
        uint88 locked;
        uint64 minerId;
        bool active;
    }

    /// @dev Cold data: unbonding stake, capabilities and gateway.
    struct Profile {
        uint96 unbonding;
        uint40 unbondingEndsAt;
        Capabilities capabilities;
        string gatewayUrl;
    }

    uint8 private constant ENGINE_MASK = 0x03; // 1 = WASM, 2 = Docker
    uint256 private constant MAX_URL_LENGTH = 256;

    /// @notice Minimum stake to register, in attoFIL.
    uint256 public immutable minStake;
    /// @notice Seconds between starting to unbond and being able to withdraw.
    uint256 public immutable unbondingDelay;

    /// @notice The job market, set once after deployment.
    address public market;
    /// @notice Slashed stake not yet sent to the treasury.
    uint256 public slashed;

    mapping(address provider => Account) private _accounts;
    mapping(address provider => Profile) private _profiles;
    /// @notice Which provider bound each miner actor (one provider per miner).
    mapping(uint64 minerId => address provider) public minerOwner;

    modifier onlyMarket() {
        if (msg.sender != market) revert RegistryUnauthorizedMarket(msg.sender);
        _;
    }

    /// @param initialOwner Admin: sets the market once and sends slashed stake to a treasury.
    /// @param minStake_ Minimum stake to register.
    /// @param unbondingDelay_ Unbonding delay in seconds.
    constructor(address initialOwner, uint256 minStake_, uint256 unbondingDelay_) Ownable(initialOwner) {
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
    }

    /// @notice Sets the job market. Callable once, by the owner.
    /// @param market_ The JobMarket address.
    function setMarket(address market_) external onlyOwner {
        if (market != address(0)) revert RegistryMarketAlreadySet(market);
        market = market_;
        emit MarketSet(market_);
    }

    // ------------------------------------------------------------------ providers

    /// @inheritdoc IProviderRegistry
    function register(string calldata gatewayUrl, Capabilities calldata capabilities) external payable {
        Account storage account = _accounts[msg.sender];
        if (account.active) revert RegistryAlreadyRegistered(msg.sender);
        if (msg.value < minStake || msg.value == 0) revert RegistryStakeTooLow(msg.value, minStake);
        _checkProfile(gatewayUrl, capabilities);
        // A provider that unstaked everything may come back: keep its miner binding and locks.
        account.stake = (uint256(account.stake) + msg.value).toUint96();
        account.active = true;
        Profile storage profile = _profiles[msg.sender];
        profile.capabilities = capabilities;
        profile.gatewayUrl = gatewayUrl;
        emit ProviderRegistered(msg.sender, account.stake, gatewayUrl, capabilities);
    }

    /// @inheritdoc IProviderRegistry
    function update(string calldata gatewayUrl, Capabilities calldata capabilities) external {
        if (!_accounts[msg.sender].active) revert RegistryNotRegistered(msg.sender);
        _checkProfile(gatewayUrl, capabilities);
        Profile storage profile = _profiles[msg.sender];
        profile.capabilities = capabilities;
        profile.gatewayUrl = gatewayUrl;
        emit ProviderUpdated(msg.sender, gatewayUrl, capabilities);
    }

    /// @inheritdoc IProviderRegistry
    function bindMiner(uint64 minerId) external nonReentrant {
        Account storage account = _accounts[msg.sender];
        if (!account.active) revert RegistryNotRegistered(msg.sender);
        if (minerId == 0) revert RegistryInvalidMinerId(minerId);
        address boundTo = minerOwner[minerId];
        if (boundTo != address(0)) revert RegistryMinerAlreadyBound(minerId, boundTo);

        // A real miner is known to the power actor; an EVM contract at that ID is not. It must also
        // have raw power (sealed sectors): a new, empty miner costs next to nothing, so binding one
        // per address would make the market's distinct-miner jobs no defence against Sybils.
        (int256 powerExit, PowerTypes.MinerRawPowerReturn memory power) = PowerAPI.minerRawPower(minerId);
        if (powerExit != 0) revert RegistryNotAMiner(minerId);
        if (!_positive(power.raw_byte_power)) revert RegistryMinerHasNoPower(minerId);

        (int256 exit, bool controls) = MinerAPI.isControllingAddress(
            CommonTypes.FilActorId.wrap(minerId), FilAddresses.fromEthAddress(msg.sender)
        );
        if (exit != 0) revert RegistryActorCallFailed(minerId);
        if (!controls) revert RegistryNotMinerController(minerId, msg.sender);

        if (account.minerId != 0) delete minerOwner[account.minerId];
        account.minerId = minerId;
        minerOwner[minerId] = msg.sender;
        emit MinerBound(msg.sender, minerId);
    }

    /// @inheritdoc IProviderRegistry
    function addStake() external payable {
        Account storage account = _accounts[msg.sender];
        if (!account.active) revert RegistryNotRegistered(msg.sender);
        if (msg.value == 0) revert RegistryInvalidAmount(0);
        account.stake = (uint256(account.stake) + msg.value).toUint96();
        emit StakeAdded(msg.sender, msg.value, account.stake);
    }

    /// @inheritdoc IProviderRegistry
    function startUnbonding(uint256 amount) external {
        Account storage account = _accounts[msg.sender];
        if (amount == 0) revert RegistryInvalidAmount(0);
        uint256 free = uint256(account.stake) - account.locked;
        if (amount > free) revert RegistryInsufficientFreeStake(msg.sender, free, amount);
        Profile storage profile = _profiles[msg.sender];
        // unchecked: amount <= free <= stake.
        unchecked {
            account.stake -= uint96(amount);
        }
        profile.unbonding = (uint256(profile.unbonding) + amount).toUint96();
        uint256 endsAt = block.timestamp + unbondingDelay;
        profile.unbondingEndsAt = endsAt.toUint40();
        emit UnbondingStarted(msg.sender, amount, endsAt);
    }

    /// @inheritdoc IProviderRegistry
    function withdrawUnbonded() external nonReentrant {
        Profile storage profile = _profiles[msg.sender];
        uint256 amount = profile.unbonding;
        if (amount == 0 || block.timestamp < profile.unbondingEndsAt) {
            revert RegistryUnbondingNotReady(msg.sender, profile.unbondingEndsAt);
        }
        profile.unbonding = 0;
        profile.unbondingEndsAt = 0;
        emit StakeWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Sends all slashed stake to `to`. Owner only.
    /// @param to The treasury.
    function withdrawSlashed(address payable to) external onlyOwner nonReentrant {
        uint256 amount = slashed;
        slashed = 0;
        emit SlashedWithdrawn(to, amount);
        Address.sendValue(to, amount);
    }

    // ------------------------------------------------------------------ market

    /// @inheritdoc IProviderRegistry
    function lockCollateral(address provider_, uint256 amount) external onlyMarket returns (uint64 minerId) {
        Account memory account = _accounts[provider_];
        if (!account.active) revert RegistryNotRegistered(provider_);
        uint256 free = uint256(account.stake) - account.locked;
        if (amount > free) revert RegistryInsufficientFreeStake(provider_, free, amount);
        // unchecked: locked + amount <= stake < 2^96, and locked's 88 bits hold any sum below stake
        // only if stake fits; SafeCast guards the narrow field.
        _accounts[provider_].locked = (uint256(account.locked) + amount).toUint88();
        emit CollateralLocked(provider_, amount);
        return account.minerId;
    }

    /// @inheritdoc IProviderRegistry
    function releaseCollateral(address[] calldata providers, uint256 amount) external onlyMarket {
        for (uint256 i; i < providers.length; ++i) {
            Account storage account = _accounts[providers[i]];
            // The market only releases what it locked: locked >= amount.
            account.locked -= uint88(amount);
            emit CollateralReleased(providers[i], amount);
        }
    }

    /// @inheritdoc IProviderRegistry
    function slashCollateral(address[] calldata providers, uint256 amount) external onlyMarket {
        for (uint256 i; i < providers.length; ++i) {
            Account storage account = _accounts[providers[i]];
            // The market only slashes what it locked: locked >= amount and stake >= locked.
            account.locked -= uint88(amount);
            account.stake -= uint96(amount);
            emit CollateralSlashed(providers[i], amount);
        }
        slashed += amount * providers.length;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IProviderRegistry
    function provider(address provider_) external view returns (ProviderView memory) {
        Account memory account = _accounts[provider_];
        Profile memory profile = _profiles[provider_];
        return ProviderView({
            active: account.active,
            stake: account.stake,
            locked: account.locked,
            minerId: account.minerId,
            unbonding: profile.unbonding,
            unbondingEndsAt: profile.unbondingEndsAt,
            capabilities: profile.capabilities,
            gatewayUrl: profile.gatewayUrl
        });
    }

    /// @inheritdoc IProviderRegistry
    function gatewayOf(address provider_) external view returns (string memory) {
        return _profiles[provider_].gatewayUrl;
    }

    /// @dev Whether a Filecoin BigInt (big-endian magnitude and a sign) is above zero.
    function _positive(CommonTypes.BigInt memory value) private pure returns (bool) {
        if (value.neg) return false;
        for (uint256 i; i < value.val.length; ++i) {
            if (value.val[i] != 0) return true;
        }
        return false;
    }

    function _checkProfile(string calldata gatewayUrl, Capabilities calldata capabilities) private pure {
        uint256 length = bytes(gatewayUrl).length;
        if (length == 0 || length > MAX_URL_LENGTH) revert RegistryInvalidGatewayUrl(length, MAX_URL_LENGTH);
        if (capabilities.engines == 0 || capabilities.engines & ~ENGINE_MASK != 0) {
            revert RegistryInvalidCapabilities(capabilities.engines);
        }
    }
}
