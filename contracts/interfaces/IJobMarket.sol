// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IJobMarket
/// @notice Shoal's job market: clients escrow payment for `replicas` runs of a job, registered
/// providers claim slots (locking collateral, proving locality when asked), commit a hash of
/// their result with a seal that binds it to them, and reveal the result CID once `quorum`
/// commits agree. Settlement credits the winners (pull payments), releases or slashes collateral,
/// refunds unused escrow and calls the client's callback.
interface IJobMarket {
    /// @notice Lifecycle of a job. Every non-terminal status has a deadline and a permissionless exit.
    enum Status {
        None, // never submitted
        Open, // slots can be claimed and commits made until `deadline`
        Revealing, // `quorum` commits agreed; reveals until `consensusAt + revealWindow`
        Settled, // result stored, winners paid (terminal)
        Expired, // no quorum by `deadline`: client refunded (terminal)
        Cancelled, // cancelled by the client before any claim (terminal)
        Failed // quorum reached but nobody revealed: client refunded, group slashed (terminal)
    }

    /// @notice A Filecoin piece by its canonical key: PieceCID v1 and v2 of one piece give the same key.
    struct PieceRef {
        bytes32 root;
        uint64 paddedSize;
    }

    /// @notice What a client posts. Every field is copied into the job; admin changes never touch it.
    struct JobRequest {
        /// The job spec (Shoal job spec v1, canonical encoding); carried in the JobPosted event.
        bytes spec;
        /// Input pieces; with `locality` each claimant proves it stores every one of them.
        PieceRef[] inputs;
        bool locality;
        /// Number of slots n (1..16) and the number of equal results k that settles the job (1..n).
        uint8 replicas;
        uint8 quorum;
        /// Payment token: address(0) for native FIL, else an ERC-20 such as USDFC.
        address token;
        /// Paid to each provider whose revealed result is the accepted one (token units).
        uint80 price;
        /// attoFIL each claimant locks from its registry stake; slashed on misbehaviour.
        uint80 collateral;
        /// Unix time by which the job must reach quorum, or it can be expired and refunded.
        uint32 deadline;
        /// Seconds a claimant has, from its claim, to commit (else its slot reopens and it is slashed).
        uint24 commitWindow;
        /// Seconds the agreeing providers have, from quorum, to reveal.
        uint24 revealWindow;
        /// Contract to call with the result (address(0) for none), and the exact gas it gets.
        address callback;
        uint32 callbackGas;
        /// Merkle root of allowed providers (leaf = keccak256(bytes.concat(keccak256(abi.encode(provider))))), or 0.
        bytes32 allowlistRoot;
        /// Sybil resistance: every claimant must have a Filecoin miner bound in the registry, and no
        /// two slots of the job may be held under one miner, so one operator behind k addresses
        /// needs k real miners to fill a quorum of k.
        bool distinctMiners;
    }

    /// @notice A claimant's proof that it stores one input piece. `kind` 0 = PDP data set
    /// (data = abi.encode(dataSetId, pieceId)), 1 = f05 market deal (data = abi.encode(uint64 dealId)).
    struct LocalityProof {
        uint8 kind;
        bytes data;
    }

    /// @notice A job as returned by {getJob}.
    struct JobView {
        Status status;
        address client;
        address token;
        uint8 replicas;
        uint8 quorum;
        uint8 claimed;
        bool locality;
        bool distinctMiners;
        uint16 feeBps;
        uint16 revealedMask;
        bool refundCollected;
        uint80 price;
        uint80 collateral;
        uint32 deadline;
        uint24 commitWindow;
        uint24 revealWindow;
        uint32 consensusAt;
        address callback;
        uint32 callbackGas;
        bytes32 allowlistRoot;
        bytes32 inputsHash;
        bytes resultCid;
    }

    /// @notice One slot of a job as returned by {getSlot}.
    struct SlotView {
        address provider;
        uint32 claimedAt;
        bool committed;
        bool revealed;
        bool collected;
        /// The miner bound by the holder when it claimed (jobs with `distinctMiners` only, else 0).
        uint64 minerId;
    }

    // ------------------------------------------------------------------ errors

    /// @notice Submissions are paused (exits never are).
    error MarketPaused();
    /// @notice `quorum` must be 1..replicas and `replicas` 1..maxReplicas.
    error InvalidReplication(uint256 replicas, uint256 quorum, uint256 maxReplicas);
    /// @notice The price per replica must be positive.
    error InvalidPrice();
    /// @notice The collateral per slot is below the market's minimum.
    error CollateralTooLow(uint256 collateral, uint256 minimum);
    /// @notice The spec is empty or larger than the cap.
    error InvalidSpecSize(uint256 size, uint256 maxSize);
    /// @notice Too many inputs, or a locality job without inputs, or an input with a bad size.
    error InvalidInputs(uint256 count, uint256 maxInputs);
    /// @notice A window is outside [minWindow, maxWindow] seconds.
    error InvalidWindow(uint256 window, uint256 minWindow, uint256 maxWindow);
    /// @notice The deadline leaves less than one commit window, or lies too far ahead.
    error InvalidDeadline(uint256 deadline, uint256 earliest, uint256 latest);
    /// @notice A callback needs a target and a gas limit of at most `maxGas`; none needs neither.
    error InvalidCallback(address target, uint256 gas, uint256 maxGas);
    /// @notice Native-FIL jobs must send exactly the escrow; ERC-20 jobs must send no FIL.
    error IncorrectPayment(uint256 expected, uint256 sent);
    /// @notice The token delivered less than asked (fee-on-transfer tokens are refused).
    error TokenTransferShortfall(address token, uint256 expected, uint256 received);
    /// @notice The job is not in the status the call needs.
    error JobNotInStatus(uint256 jobId, Status status, Status required);
    /// @notice The job's deadline has passed: it can only be expired now.
    error JobDeadlinePassed(uint256 jobId, uint256 deadline);
    /// @notice The job's deadline has not passed yet.
    error JobDeadlineNotReached(uint256 jobId, uint256 deadline);
    /// @notice The slot index is not the next free slot nor a reopenable one.
    error SlotUnavailable(uint256 jobId, uint256 slot);
    /// @notice The caller already holds a slot of this job.
    error AlreadyClaimed(uint256 jobId, address provider);
    /// @notice The caller is not on the job's provider allowlist.
    error NotAllowlisted(uint256 jobId, address provider);
    /// @notice The inputs given do not match the job's, or a proof is missing.
    error LocalityInputsMismatch(uint256 jobId);
    /// @notice The job asks for distinct miners and the claimant has no miner bound in the registry.
    /// @param jobId The job.
    /// @param provider The claimant.
    error MinerRequired(uint256 jobId, address provider);
    /// @notice The job asks for distinct miners and slot `slot` is already held under miner `minerId`.
    /// @param jobId The job.
    /// @param minerId The claimant's miner.
    /// @param slot The slot held under that miner.
    error MinerAlreadyInJob(uint256 jobId, uint64 minerId, uint256 slot);
    /// @notice The claimant's miner ID does not fit the slot word (actor IDs are far below this).
    /// @param minerId The miner.
    /// @param maxMinerId The largest ID a slot records.
    error MinerIdTooLarge(uint64 minerId, uint64 maxMinerId);
    /// @notice The proof names an unknown storage system.
    error UnknownLocalityKind(uint8 kind);
    /// @notice The caller does not hold this slot.
    error NotSlotHolder(uint256 jobId, uint256 slot, address caller);
    /// @notice The slot's commit window closed at `closedAt`.
    error CommitWindowClosed(uint256 jobId, uint256 slot, uint256 closedAt);
    /// @notice This slot already committed.
    error AlreadyCommitted(uint256 jobId, uint256 slot);
    /// @notice Hash and seal must be non-zero in their first 16 bytes.
    error InvalidCommitment();
    /// @notice The reveal window closed at `closedAt`.
    error RevealWindowClosed(uint256 jobId, uint256 closedAt);
    /// @notice The reveal window is still open until `closesAt`.
    error RevealWindowOpen(uint256 jobId, uint256 closesAt);
    /// @notice This slot already revealed.
    error AlreadyRevealed(uint256 jobId, uint256 slot);
    /// @notice The slot did not commit the agreed hash.
    error NotInQuorum(uint256 jobId, uint256 slot);
    /// @notice The revealed CID does not match the agreed hash or this slot's seal.
    error RevealMismatch(uint256 jobId, uint256 slot);
    /// @notice Result CIDs must be binary CIDv1, sha2-256, codec raw (0x55), dag-pb (0x70) or dag-cbor (0x71).
    error UnsupportedResultCid(bytes cid);
    /// @notice Only the job's client may cancel it, and only before any slot is claimed.
    error NotCancellable(uint256 jobId);
    /// @notice Nothing to withdraw from these jobs in this token.
    error NothingToWithdraw(address account, address token);
    /// @notice The job is paid in another token.
    error WrongToken(uint256 jobId, address token);
    /// @notice The transaction's gas cannot honour the callback's limit; send more gas.
    error InsufficientGasForCallback(uint256 needed, uint256 left);
    /// @notice The fee exceeds the cap.
    error FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    /// @notice A minimum collateral wider than a job's collateral field (no job could meet it).
    /// @param minCollateral The minimum asked for.
    /// @param maxCollateral The largest collateral a job can carry.
    error MinCollateralTooHigh(uint256 minCollateral, uint256 maxCollateral);
    /// @notice The zero address is not allowed here.
    error ZeroAddress();

    // ------------------------------------------------------------------ events

    /// @notice A job was posted; carries everything an agent needs to evaluate it.
    event JobPosted(uint256 indexed jobId, address indexed client, uint16 feeBps, JobRequest request);
    /// @notice `provider` claimed `slot` and locked the job's collateral.
    event SlotClaimed(uint256 indexed jobId, uint256 slot, address indexed provider);
    /// @notice A silent claimant lost `slot` (and its collateral) to a new claimant.
    event SlotReopened(uint256 indexed jobId, uint256 slot, address indexed previous);
    /// @notice `provider` committed to a result.
    event ResultCommitted(uint256 indexed jobId, uint256 slot, address indexed provider, bytes32 hash, bytes32 seal);
    /// @notice `quorum` commits share `hash`; reveals are open until `revealDeadline`.
    event QuorumReached(uint256 indexed jobId, bytes32 hash, uint256 revealDeadline);
    /// @notice `provider` revealed the agreed result.
    event ResultRevealed(uint256 indexed jobId, uint256 slot, address indexed provider, bytes resultCid);
    /// @notice The job settled: each winner (`winnersMask`) can withdraw `price`, the client
    /// `refund`; `slashedMask` slots lost their collateral and the treasury earned `fee`.
    event JobFinalized(
        uint256 indexed jobId,
        Status status,
        bytes resultCid,
        uint16 winnersMask,
        uint16 slashedMask,
        uint256 refund,
        uint256 fee
    );
    /// @notice No quorum by the deadline: the client can withdraw `refund`; `slashedMask` slots were silent.
    event JobExpired(uint256 indexed jobId, uint16 slashedMask, uint256 refund);
    /// @notice The client cancelled the job; it can withdraw `refund`.
    event JobCancelled(uint256 indexed jobId, uint256 refund);
    /// @notice The result callback ran (`success` false when it reverted or ran out of gas).
    event CallbackCalled(uint256 indexed jobId, address indexed target, bool success);
    /// @notice `account` withdrew `amount` of `token` owed to it by the listed jobs.
    event Withdrawn(address indexed account, address indexed token, uint256 amount, uint256[] jobIds);
    /// @notice Accrued fees were sent to the treasury.
    event FeesWithdrawn(address indexed token, address indexed treasury, uint256 amount);
    /// @notice Submissions were paused or resumed.
    event PauseChanged(bool paused);
    /// @notice The protocol fee for new jobs changed.
    event FeeChanged(uint16 feeBps);
    /// @notice The treasury changed.
    event TreasuryChanged(address treasury);
    /// @notice The minimum collateral for new jobs changed.
    event MinCollateralChanged(uint256 minCollateral);

    // ------------------------------------------------------------------ lifecycle

    /// @notice Posts a job and escrows `replicas × price` plus the protocol fee.
    /// @param request The job; see {JobRequest}.
    /// @return jobId The new job's ID.
    function submit(JobRequest calldata request) external payable returns (uint256 jobId);

    /// @notice Claims `slot`: the next free one, or a silent claimant's whose commit window passed.
    /// For a job with `distinctMiners`, the caller's bound miner is recorded in the slot and must
    /// differ from the miner of every other slot held (see {MinerRequired}, {MinerAlreadyInJob}).
    /// @param jobId The job.
    /// @param slot The slot index, or `type(uint256).max` for the next free slot (see SlotClaimed for which).
    /// @param inputs The job's inputs (only for locality jobs; must equal the posted ones).
    /// @param proofs One proof per input (only for locality jobs).
    /// @param allowProof Merkle proof of the caller in the job's allowlist (only if it has one).
    function claim(
        uint256 jobId,
        uint256 slot,
        PieceRef[] calldata inputs,
        LocalityProof[] calldata proofs,
        bytes32[] calldata allowProof
    ) external;

    /// @notice Claims `slot` and commits to a result in one transaction, for a provider that has
    /// already run the job (a deterministic job whose inputs it holds): the checks and events of
    /// {claim} (SlotClaimed, and SlotReopened for a reopened slot), then those of {commit}
    /// (ResultCommitted, and QuorumReached when this commit completes the quorum). Settlement then
    /// needs two blocks after JobPosted: this call, then the reveals. Reverts as either would; a
    /// slot taken or a quorum reached first makes it revert whole, so no collateral is locked.
    /// @param jobId The job.
    /// @param slot The slot index, or `type(uint256).max` for the next free slot (see SlotClaimed for which).
    /// @param inputs The job's inputs (only for locality jobs; must equal the posted ones).
    /// @param proofs One proof per input (only for locality jobs).
    /// @param allowProof Merkle proof of the caller in the job's allowlist (only if it has one).
    /// @param hash Groups equal results (as for {commit}).
    /// @param seal Binds the result to the caller (as for {commit}).
    function claimAndCommit(
        uint256 jobId,
        uint256 slot,
        PieceRef[] calldata inputs,
        LocalityProof[] calldata proofs,
        bytes32[] calldata allowProof,
        bytes32 hash,
        bytes32 seal
    ) external;

    /// @notice Commits to a result: `hash = keccak256(abi.encode(jobId, digest))`,
    /// `seal = keccak256(abi.encode(provider, jobId, digest))`, `digest = keccak256(resultCid)`.
    /// @param jobId The job.
    /// @param slot The caller's slot.
    /// @param hash Groups equal results.
    /// @param seal Binds the result to the caller, so copying a hash or seal gains nothing.
    function commit(uint256 jobId, uint256 slot, bytes32 hash, bytes32 seal) external;

    /// @notice Reveals the agreed result CID; the `quorum`-th reveal settles the job. A job with a
    /// single replica has nobody to copy from, so its slot holder reveals directly, without commit.
    /// @param jobId The job.
    /// @param slot The caller's slot.
    /// @param resultCid Binary CIDv1 (sha2-256) of the result.
    function reveal(uint256 jobId, uint256 slot, bytes calldata resultCid) external;

    /// @notice Settles a job whose reveal window closed with fewer than `quorum` reveals. Anyone may call.
    /// @param jobId The job.
    function finalize(uint256 jobId) external;

    /// @notice Expires a job that reached no quorum by its deadline and refunds the client. Anyone may call.
    /// @param jobId The job.
    function expire(uint256 jobId) external;

    /// @notice Cancels an unclaimed job and refunds the client. Client only.
    /// @param jobId The job.
    function cancel(uint256 jobId) external;

    /// @notice Withdraws everything the listed jobs owe the caller in `token` (address(0) for FIL):
    /// `price` for each slot it won, and the refund of jobs it posted. Pull payments: settlement only
    /// records what is owed, so no payee can block it.
    /// @param token The token all listed jobs are paid in.
    /// @param jobIds Terminal jobs that owe the caller.
    function withdraw(address token, uint256[] calldata jobIds) external;

    // ------------------------------------------------------------------ views

    /// @notice The job `jobId`.
    /// @param jobId The job.
    /// @return The job.
    function getJob(uint256 jobId) external view returns (JobView memory);

    /// @notice Slot `slot` of job `jobId`.
    /// @param jobId The job.
    /// @param slot The slot index.
    /// @return The slot.
    function getSlot(uint256 jobId, uint256 slot) external view returns (SlotView memory);

    /// @notice What job `jobId` owes `account` and has not been withdrawn (winner pay plus client refund).
    /// @param jobId The job.
    /// @param account The account.
    /// @return The amount, in the job's token.
    function owed(uint256 jobId, address account) external view returns (uint256);

    /// @notice Fees accrued in `token` and not yet sent to the treasury.
    /// @param token The token.
    /// @return The amount.
    function feesAccrued(address token) external view returns (uint256);
}
