// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IProviderRegistry
/// @notice Storage providers register here with a FIL stake, a gateway URL and their capabilities,
/// and may bind the Filecoin miner actor they control. The job market locks part of the stake as
/// collateral for each claimed job slot, releases it at settlement, and is the only caller that
/// can slash it.
interface IProviderRegistry {
    /// @notice What a provider can run. `engines` is a bit set: 1 = WASM, 2 = Docker.
    struct Capabilities {
        uint8 engines;
        uint16 cpus;
        uint32 memoryMb;
        uint16 gpus;
    }

    /// @notice A provider's public record, as returned by {provider}.
    struct ProviderView {
        bool active;
        uint96 stake;
        uint88 locked;
        uint64 minerId;
        uint96 unbonding;
        uint40 unbondingEndsAt;
        Capabilities capabilities;
        string gatewayUrl;
    }

    // ------------------------------------------------------------------ errors

    /// @notice The caller is already registered.
    /// @param provider The caller.
    error RegistryAlreadyRegistered(address provider);
    /// @notice The address is not a registered, active provider.
    /// @param provider The address looked up.
    error RegistryNotRegistered(address provider);
    /// @notice The stake sent is below the registry's minimum.
    /// @param sent The amount sent, in attoFIL.
    /// @param minimum The minimum stake, in attoFIL.
    error RegistryStakeTooLow(uint256 sent, uint256 minimum);
    /// @notice The gateway URL is empty or longer than the limit.
    /// @param length Its length in bytes.
    /// @param maxLength The limit in bytes.
    error RegistryInvalidGatewayUrl(uint256 length, uint256 maxLength);
    /// @notice The capabilities name no engine, or an unknown one.
    /// @param engines The engine bit set given.
    error RegistryInvalidCapabilities(uint8 engines);
    /// @notice Only the job market may call this function.
    /// @param caller The caller.
    error RegistryUnauthorizedMarket(address caller);
    /// @notice The job market is already set and cannot change.
    /// @param market The market already set.
    error RegistryMarketAlreadySet(address market);
    /// @notice Not enough free (unlocked) stake.
    /// @param provider The provider.
    /// @param free Its free stake.
    /// @param needed The amount asked for.
    error RegistryInsufficientFreeStake(address provider, uint256 free, uint256 needed);
    /// @notice Nothing is unbonding, or the unbonding delay has not passed yet.
    /// @param provider The provider.
    /// @param endsAt When its unbonding ends (0 if none).
    error RegistryUnbondingNotReady(address provider, uint256 endsAt);
    /// @notice The amount is zero or does not fit the stake's 96 bits.
    /// @param amount The amount.
    error RegistryInvalidAmount(uint256 amount);
    /// @notice The miner actor ID is zero or too large.
    /// @param minerId The ID given.
    error RegistryInvalidMinerId(uint64 minerId);
    /// @notice The actor is not a miner known to the power actor (it may be a contract that answers anything).
    /// @param minerId The ID given.
    error RegistryNotAMiner(uint64 minerId);
    /// @notice The miner has no raw byte power (no sealed sectors), so it proves no real storage.
    /// @param minerId The miner.
    error RegistryMinerHasNoPower(uint64 minerId);
    /// @notice The caller's f410 address is not a controlling address (owner, worker or control) of the miner.
    /// @param minerId The miner.
    /// @param caller The caller.
    error RegistryNotMinerController(uint64 minerId, address caller);
    /// @notice Another provider already bound this miner.
    /// @param minerId The miner.
    /// @param boundTo The provider it is bound to.
    error RegistryMinerAlreadyBound(uint64 minerId, address boundTo);
    /// @notice An actor call through filecoin-solidity failed with a non-zero exit code.
    /// @param minerId The miner addressed.
    error RegistryActorCallFailed(uint64 minerId);

    // ------------------------------------------------------------------ events

    /// @notice A provider registered.
    event ProviderRegistered(address indexed provider, uint256 stake, string gatewayUrl, Capabilities capabilities);
    /// @notice A provider changed its gateway URL or capabilities.
    event ProviderUpdated(address indexed provider, string gatewayUrl, Capabilities capabilities);
    /// @notice A provider bound the Filecoin miner actor `minerId` after proving it controls it.
    event MinerBound(address indexed provider, uint64 indexed minerId);
    /// @notice Stake was added.
    event StakeAdded(address indexed provider, uint256 amount, uint256 stake);
    /// @notice Free stake started unbonding; it can be withdrawn at `endsAt`.
    event UnbondingStarted(address indexed provider, uint256 amount, uint256 endsAt);
    /// @notice Unbonded stake was withdrawn.
    event StakeWithdrawn(address indexed provider, uint256 amount);
    /// @notice The job market locked `amount` of the provider's stake as collateral.
    event CollateralLocked(address indexed provider, uint256 amount);
    /// @notice The job market released `amount` of locked collateral.
    event CollateralReleased(address indexed provider, uint256 amount);
    /// @notice The job market slashed `amount` of locked collateral.
    event CollateralSlashed(address indexed provider, uint256 amount);
    /// @notice The job market was set (once).
    event MarketSet(address indexed market);
    /// @notice Slashed stake was sent to the treasury.
    event SlashedWithdrawn(address indexed to, uint256 amount);

    // ------------------------------------------------------------------ provider functions

    /// @notice Registers the caller with `msg.value` as stake.
    /// @param gatewayUrl Base URL of the provider's trustless gateway (results are served there).
    /// @param capabilities What the provider can run.
    function register(string calldata gatewayUrl, Capabilities calldata capabilities) external payable;

    /// @notice Changes the caller's gateway URL and capabilities.
    /// @param gatewayUrl The new gateway URL.
    /// @param capabilities The new capabilities.
    function update(string calldata gatewayUrl, Capabilities calldata capabilities) external;

    /// @notice Binds a Filecoin miner actor to the caller, after checking on chain that it is a real
    /// miner with raw power (power actor) and that the caller's f410 address controls it (miner actor).
    /// Each miner binds to one provider at a time; binding another miner frees the previous one.
    /// @param minerId The miner's actor ID (the number in `f0…`).
    function bindMiner(uint64 minerId) external;

    /// @notice Adds `msg.value` to the caller's stake.
    function addStake() external payable;

    /// @notice Starts unbonding `amount` of free stake; locked collateral can never unbond.
    /// @param amount The amount in attoFIL.
    function startUnbonding(uint256 amount) external;

    /// @notice Withdraws all stake whose unbonding delay has passed.
    function withdrawUnbonded() external;

    // ------------------------------------------------------------------ market functions

    /// @notice Locks `amount` of `provider`'s free stake. Only the job market.
    /// @param provider The provider.
    /// @param amount The collateral in attoFIL.
    /// @return minerId The provider's bound miner (0 if none), for locality checks.
    function lockCollateral(address provider, uint256 amount) external returns (uint64 minerId);

    /// @notice Releases `amount` of locked collateral of each of `providers`. Only the job market.
    /// @param providers The providers.
    /// @param amount The collateral each one locked.
    function releaseCollateral(address[] calldata providers, uint256 amount) external;

    /// @notice Slashes `amount` of locked collateral of each of `providers`. Only the job market.
    /// @param providers The providers.
    /// @param amount The collateral each one locked.
    function slashCollateral(address[] calldata providers, uint256 amount) external;

    // ------------------------------------------------------------------ views

    /// @notice The provider's record.
    /// @param provider The provider.
    /// @return The record.
    function provider(address provider) external view returns (ProviderView memory);

    /// @notice The gateway URL of `provider`, where its results are served.
    /// @param provider The provider.
    /// @return The URL.
    function gatewayOf(address provider) external view returns (string memory);
}
