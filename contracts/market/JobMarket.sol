// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {ILocalityVerifier} from "../interfaces/ILocalityVerifier.sol";
import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {IShoalConsumer} from "../interfaces/IShoalConsumer.sol";
import {ResultCid} from "../libraries/ResultCid.sol";

/// @title JobMarket
/// @notice The job lifecycle of Shoal, in one file: submit → claim → commit → (quorum) → reveal →
/// settle, with expire, finalize and cancel as the permissionless or client exits. A provider that
/// has already run the job may claim and commit in one call ({claimAndCommit}): the same checks,
/// effects and events as the two calls, so a job can settle two blocks after it is posted.
/// @dev Storage is laid out for gas: a job is two words written at submission (plus optional
/// words only for ERC-20, callback, locality and allowlist jobs), a slot is one word at claim and
/// one at commit, and the `quorum`-th reveal settles in the same transaction. Settlement writes no
/// per-payee balance: what a job owes is derived from its final state and pulled with `withdraw`.
///
/// Invariants:
///  - FIL/ERC-20 held == escrow of Open/Revealing jobs + unwithdrawn amounts owed by terminal jobs
///    + accrued fees. A job's escrow `replicas × price + fee(replicas × price)` is taken whole at
///    submit and split once, at its terminal transition, into winners' pay, fee and client refund.
///  - Every job leaves Open by quorum (→ Revealing) or by `expire` after `deadline`, and leaves
///    Revealing by the last reveal or by `finalize` after the reveal window; cancel only from Open
///    with no claims. No path depends on a provider, the client or the callback cooperating.
///  - Each slot's collateral is locked once at claim and released or slashed exactly once: when a
///    silent slot is reopened, or at the job's terminal transition.
///  - Commit hashes and seals are stored truncated to 16 bytes each (one storage word per commit);
///    finding another result with the same 128-bit hash or seal is a second-preimage search.
contract JobMarket is IJobMarket, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @dev Word 0 of a job: its state. Layout (low → high bits):
    /// client 160 · status 8 · claimed 8 · revealedMask 16 · consensusAt 32 · feeBps 16 · flags 8 · anchorSlot 8
    /// flags: 1 locality · 2 allowlist · 4 callback · 8 token · 16 refund collected · 32..64 result
    /// codec · 128 distinct miners.
    /// `anchorSlot` is the slot whose commit completed the quorum until the first reveal, then the
    /// first revealer's slot, whose commit word from then on holds the result's sha2-256 digest.
    struct Job {
        address client;
        Status status;
        uint8 claimed;
        uint16 revealedMask;
        uint32 consensusAt;
        uint16 feeBps;
        uint8 flags;
        uint8 anchorSlot;
    }

    /// @dev Word 1: the terms, never written after submission.
    /// price 80 · collateral 80 · deadline 32 · commitWindow 24 · revealWindow 24 · replicas 8 · quorum 8
    struct Terms {
        uint80 price;
        uint80 collateral;
        uint32 deadline;
        uint24 commitWindow;
        uint24 revealWindow;
        uint8 replicas;
        uint8 quorum;
    }

    /// @dev A slot's word. provider 160 · claimedAt 32 · collected 8 · minerId 56
    /// `minerId` is recorded only for jobs that ask for distinct miners (0 otherwise): the miner the
    /// holder had bound when it claimed. Actor IDs are assigned in sequence (millions today), far
    /// below 2^56; a larger one is refused rather than truncated.
    struct Slot {
        address provider;
        uint32 claimedAt;
        bool collected;
        uint56 minerId;
    }

    uint8 private constant FLAG_LOCALITY = 1;
    uint8 private constant FLAG_ALLOWLIST = 2;
    uint8 private constant FLAG_CALLBACK = 4;
    uint8 private constant FLAG_TOKEN = 8;
    uint8 private constant FLAG_REFUND_COLLECTED = 16;
    uint8 private constant FLAG_DISTINCT_MINERS = 128;
    /// @dev Bits 5..6 hold the result codec: 1 = raw (0x55), 2 = dag-pb (0x70), 3 = dag-cbor (0x71).
    uint8 private constant CODEC_SHIFT = 5;
    uint8 private constant CODEC_MASK = 0x60;

    /// @notice Pass as `slot` to {claim} to take whichever slot is next free when the claim executes,
    /// so providers that see a job in the same block do not collide on one index.
    uint256 public constant NEXT_FREE_SLOT = type(uint256).max;
    /// @notice Most slots a job can have (bounds every loop over slots).
    uint256 public constant MAX_REPLICAS = 16;
    /// @notice Most input pieces a job can have.
    uint256 public constant MAX_INPUTS = 16;
    /// @notice Largest spec, in bytes.
    uint256 public constant MAX_SPEC_SIZE = 16_384;
    /// @notice Highest protocol fee, in basis points (10%).
    uint16 public constant MAX_FEE_BPS = 1_000;
    /// @notice Shortest commit or reveal window, in seconds.
    uint24 public constant MIN_WINDOW = 60;
    /// @notice Longest commit or reveal window, in seconds.
    uint24 public constant MAX_WINDOW = 30 days;
    /// @notice Furthest deadline from submission, in seconds.
    uint256 public constant MAX_DEADLINE = 180 days;
    /// @dev Gas kept back around the callback for the CALL itself and the code after it.
    uint256 private constant CALLBACK_RESERVE = 10_000;

    /// @notice The provider registry holding stakes.
    IProviderRegistry public immutable registry;
    /// @notice Locality adapter for PDP data sets (kind 0).
    ILocalityVerifier public immutable pdpLocality;
    /// @notice Locality adapter for f05 market deals (kind 1).
    ILocalityVerifier public immutable dealLocality;
    /// @notice Highest callback gas a job may ask for (chain-specific: FEVM gas units differ).
    uint256 public immutable maxCallbackGas;

    /// @dev Everything `submit` reads, in one word (one cold read and one write per submission
    /// instead of three reads and a write). Layout (low → high bits):
    /// feeBps 16 · paused 8 · minCollateral 80 · nextJobId 64
    /// `minCollateral` has the width of a job's collateral (a larger minimum could admit no job);
    /// job IDs run from 1, and `nextJobId` holds the next one (never zero: the word stays non-zero,
    /// so a submission pays no zero-to-non-zero store); 2^64 jobs are out of reach.
    struct Config {
        uint16 feeBps;
        bool paused;
        uint80 minCollateral;
        uint64 nextJobId;
    }

    Config private _config;
    /// @notice Receives protocol fees.
    address public treasury;

    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint256 jobId => Terms) private _terms;
    mapping(uint256 jobId => address) private _tokens;
    mapping(uint256 jobId => bytes32) private _callbacks; // target 160 · gas 32
    mapping(uint256 jobId => bytes32) private _inputsHash;
    mapping(uint256 jobId => bytes32) private _allowlists;
    mapping(uint256 jobId => mapping(uint256 slot => Slot)) private _slots;
    /// @dev hash 128 (high) · seal 128 (low); the first revealer's word is then overwritten with
    /// the result's sha2-256 digest (its commit is no longer needed once the result is known).
    mapping(uint256 jobId => mapping(uint256 slot => bytes32)) private _commits;
    /// @dev Accrued fees plus one, once a token has been used (0 = never): the accumulator then
    /// never returns to zero, so accruing costs a non-zero-to-non-zero store.
    mapping(address token => uint256) private _fees;

    /// @param initialOwner Admin (fee, treasury, minimum collateral, pause).
    /// @param registry_ The provider registry.
    /// @param pdpLocality_ PDP locality adapter (address(0) disables PDP proofs).
    /// @param dealLocality_ f05 deal locality adapter (address(0) disables deal proofs).
    /// @param treasury_ Fee recipient.
    /// @param feeBps_ Initial fee.
    /// @param minCollateral_ Initial minimum collateral per slot.
    /// @param maxCallbackGas_ Highest callback gas a job may ask for.
    constructor(
        address initialOwner,
        IProviderRegistry registry_,
        ILocalityVerifier pdpLocality_,
        ILocalityVerifier dealLocality_,
        address treasury_,
        uint16 feeBps_,
        uint256 minCollateral_,
        uint256 maxCallbackGas_
    ) Ownable(initialOwner) {
        if (address(registry_) == address(0) || treasury_ == address(0)) revert ZeroAddress();
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        registry = registry_;
        pdpLocality = pdpLocality_;
        dealLocality = dealLocality_;
        maxCallbackGas = maxCallbackGas_;
        if (minCollateral_ > type(uint80).max) revert MinCollateralTooHigh(minCollateral_, type(uint80).max);
        treasury = treasury_;
        _config = Config({feeBps: feeBps_, paused: false, minCollateral: uint80(minCollateral_), nextJobId: 1});
        _fees[address(0)] = 1;
    }

    // ================================================================== submit

    /// @inheritdoc IJobMarket
    function submit(JobRequest calldata request) external payable nonReentrant returns (uint256 jobId) {
        Config memory config = _config;
        if (config.paused) revert MarketPaused();
        uint8 flags = _validate(request, config.minCollateral);
        uint16 fee = config.feeBps;
        uint256 escrow = _escrow(request.replicas, request.price, fee);

        jobId = config.nextJobId;
        // unchecked: job IDs cannot reach 2^64 (one per transaction).
        unchecked {
            _config.nextJobId = config.nextJobId + 1;
        }
        _jobs[jobId] = Job({
            client: msg.sender,
            status: Status.Open,
            claimed: 0,
            revealedMask: 0,
            consensusAt: 0,
            feeBps: fee,
            flags: flags,
            anchorSlot: 0
        });
        _terms[jobId] = Terms({
            price: request.price,
            collateral: request.collateral,
            deadline: request.deadline,
            commitWindow: request.commitWindow,
            revealWindow: request.revealWindow,
            replicas: request.replicas,
            quorum: request.quorum
        });
        if (flags & FLAG_TOKEN != 0) _tokens[jobId] = request.token;
        if (flags & FLAG_CALLBACK != 0) {
            _callbacks[jobId] = bytes32(uint256(uint160(request.callback)) | (uint256(request.callbackGas) << 160));
        }
        if (flags & FLAG_LOCALITY != 0) _inputsHash[jobId] = keccak256(abi.encode(request.inputs));
        if (flags & FLAG_ALLOWLIST != 0) _allowlists[jobId] = request.allowlistRoot;
        emit JobPosted(jobId, msg.sender, fee, request);

        if (request.token == address(0)) {
            if (msg.value != escrow) revert IncorrectPayment(escrow, msg.value);
        } else {
            if (msg.value != 0) revert IncorrectPayment(0, msg.value);
            IERC20 token = IERC20(request.token);
            uint256 before = token.balanceOf(address(this));
            token.safeTransferFrom(msg.sender, address(this), escrow);
            uint256 received = token.balanceOf(address(this)) - before;
            if (received != escrow) revert TokenTransferShortfall(request.token, escrow, received);
        }
    }

    // ================================================================== claim

    /// @inheritdoc IJobMarket
    function claim(
        uint256 jobId,
        uint256 slot,
        PieceRef[] calldata inputs,
        LocalityProof[] calldata proofs,
        bytes32[] calldata allowProof
    ) external nonReentrant {
        (Job memory job, Terms memory terms, uint256 taken, uint256 before, address previous) =
            _claimSlot(jobId, slot, allowProof);
        _claimInteractions(jobId, taken, before, job.flags, terms.collateral, previous, inputs, proofs);
    }

    /// @inheritdoc IJobMarket
    function claimAndCommit(
        uint256 jobId,
        uint256 slot,
        PieceRef[] calldata inputs,
        LocalityProof[] calldata proofs,
        bytes32[] calldata allowProof,
        bytes32 hash,
        bytes32 seal
    ) external nonReentrant {
        bytes32 word = _commitWord(hash, seal);
        (Job memory job, Terms memory terms, uint256 taken, uint256 before, address previous) =
            _claimSlot(jobId, slot, allowProof);
        // The slot was claimed in this block: its commit window (at least MIN_WINDOW) is open, and
        // the deadline was checked by the claim. A reopened slot's commit word is zero (only silent
        // slots reopen), so the commitment is recorded on a clean slot.
        _recordCommit(jobId, taken, job, terms, word, hash, seal);
        _claimInteractions(jobId, taken, before, job.flags, terms.collateral, previous, inputs, proofs);
    }

    /// @dev Checks and effects of a claim: takes `slot` (or the next free one) for the caller and
    /// emits SlotReopened/SlotClaimed. Returns the job as updated (`claimed` counts the new slot),
    /// its terms, the slot taken, the number of slots claimed before, and the holder it displaced.
    function _claimSlot(uint256 jobId, uint256 slot, bytes32[] calldata allowProof)
        private
        returns (Job memory job, Terms memory terms, uint256 taken, uint256 before, address previous)
    {
        job = _jobs[jobId];
        if (job.status != Status.Open) revert JobNotInStatus(jobId, job.status, Status.Open);
        terms = _terms[jobId];
        if (block.timestamp >= terms.deadline) revert JobDeadlinePassed(jobId, terms.deadline);

        before = job.claimed;
        if (slot == NEXT_FREE_SLOT) slot = before;
        if (slot == before && slot < terms.replicas) {
            // unchecked: claimed < replicas <= 16.
            unchecked {
                job.claimed = uint8(before + 1);
            }
            _jobs[jobId].claimed = job.claimed;
        } else if (slot < before) {
            // Reopen a silent claimant's slot: it never committed and its commit window is over.
            Slot memory stale = _slots[jobId][slot];
            if (_commits[jobId][slot] != 0 || block.timestamp < uint256(stale.claimedAt) + terms.commitWindow) {
                revert SlotUnavailable(jobId, slot);
            }
            previous = stale.provider;
        } else {
            revert SlotUnavailable(jobId, slot);
        }
        for (uint256 i; i < before; ++i) {
            if (_slots[jobId][i].provider == msg.sender) revert AlreadyClaimed(jobId, msg.sender);
        }
        if (job.flags & FLAG_ALLOWLIST != 0) {
            bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(msg.sender))));
            if (!MerkleProof.verifyCalldata(allowProof, _allowlists[jobId], leaf)) {
                revert NotAllowlisted(jobId, msg.sender);
            }
        }
        _slots[jobId][slot] = Slot({provider: msg.sender, claimedAt: uint32(block.timestamp), collected: false, minerId: 0});
        if (previous != address(0)) emit SlotReopened(jobId, slot, previous);
        emit SlotClaimed(jobId, slot, msg.sender);
        taken = slot;
    }

    /// @dev Interactions of a claim, with the registry and the (immutable, read-only) locality
    /// adapters: slash a displaced holder, lock the claimant's collateral, record its miner for a
    /// distinct-miner job, check locality.
    function _claimInteractions(
        uint256 jobId,
        uint256 slot,
        uint256 before,
        uint8 flags,
        uint256 collateral,
        address previous,
        PieceRef[] calldata inputs,
        LocalityProof[] calldata proofs
    ) private {
        if (previous != address(0)) registry.slashCollateral(_one(previous), collateral);
        uint64 minerId = registry.lockCollateral(msg.sender, collateral);
        if (flags & FLAG_DISTINCT_MINERS != 0) _recordDistinctMiner(jobId, slot, before, minerId);
        if (flags & FLAG_LOCALITY != 0) _checkLocality(jobId, minerId, inputs, proofs);
    }

    // ================================================================== commit

    /// @inheritdoc IJobMarket
    function commit(uint256 jobId, uint256 slot, bytes32 hash, bytes32 seal) external nonReentrant {
        Job memory job = _jobs[jobId];
        if (job.status != Status.Open) revert JobNotInStatus(jobId, job.status, Status.Open);
        Terms memory terms = _terms[jobId];
        _checkOpenSlot(jobId, slot, job, terms);
        if (_commits[jobId][slot] != 0) revert AlreadyCommitted(jobId, slot);
        _recordCommit(jobId, slot, job, terms, _commitWord(hash, seal), hash, seal);
    }

    /// @dev The stored commit word, hash 128 (high) · seal 128 (low); both halves must be non-zero.
    function _commitWord(bytes32 hash, bytes32 seal) private pure returns (bytes32) {
        bytes16 hash16 = bytes16(hash);
        bytes16 seal16 = bytes16(seal);
        if (hash16 == 0 || seal16 == 0) revert InvalidCommitment();
        return bytes32(hash16) | (bytes32(seal16) >> 128);
    }

    /// @dev Records `slot`'s commit word and, when `quorum` slots (this one included) share its
    /// hash, moves the job to Revealing with this slot as the anchor. `job` must hold the current
    /// job word (it is written back whole on quorum).
    function _recordCommit(
        uint256 jobId,
        uint256 slot,
        Job memory job,
        Terms memory terms,
        bytes32 word,
        bytes32 hash,
        bytes32 seal
    ) private {
        _commits[jobId][slot] = word;
        emit ResultCommitted(jobId, slot, msg.sender, hash, seal);

        bytes16 hash16 = bytes16(word);
        uint256 agreeing = 1;
        for (uint256 i; i < job.claimed; ++i) {
            if (i != slot && bytes16(_commits[jobId][i]) == hash16) ++agreeing;
        }
        if (agreeing >= terms.quorum) {
            job.status = Status.Revealing;
            job.consensusAt = uint32(block.timestamp);
            job.anchorSlot = uint8(slot);
            _jobs[jobId] = job;
            emit QuorumReached(jobId, hash, block.timestamp + terms.revealWindow);
        }
    }

    // ================================================================== reveal

    /// @inheritdoc IJobMarket
    function reveal(uint256 jobId, uint256 slot, bytes calldata resultCid) external nonReentrant {
        Job memory job = _jobs[jobId];
        Terms memory terms = _terms[jobId];
        (uint8 codecBits, bytes32 sha256Digest) = _parseResultCid(resultCid);
        uint16 bit = uint16(1 << (slot & 15));

        if (job.status == Status.Open && terms.replicas == 1) {
            // A single replica has nobody to copy from: its holder reveals directly.
            _checkOpenSlot(jobId, slot, job, terms);
            job.consensusAt = uint32(block.timestamp);
        } else {
            if (job.status != Status.Revealing) revert JobNotInStatus(jobId, job.status, Status.Revealing);
            uint256 closesAt = uint256(job.consensusAt) + terms.revealWindow;
            if (block.timestamp >= closesAt) revert RevealWindowClosed(jobId, closesAt);
            if (slot >= job.claimed || _slots[jobId][slot].provider != msg.sender) {
                revert NotSlotHolder(jobId, slot, msg.sender);
            }
            if (job.revealedMask & bit != 0) revert AlreadyRevealed(jobId, slot);
            bytes32 committed = _commits[jobId][slot];
            bytes32 digest = keccak256(resultCid);
            bytes16 agreed;
            if (job.flags & CODEC_MASK == 0) {
                // First reveal: the agreed hash is the anchor's commit.
                agreed = bytes16(_commits[jobId][job.anchorSlot]);
                if (bytes16(committed) != agreed) revert NotInQuorum(jobId, slot);
            } else {
                // Later reveals must reveal the very CID already revealed.
                if (bytes16(committed) != bytes16(keccak256(abi.encode(jobId, digest)))) {
                    revert NotInQuorum(jobId, slot);
                }
                agreed = bytes16(committed);
                if (
                    codecBits != (job.flags & CODEC_MASK) >> CODEC_SHIFT
                        || sha256Digest != _commits[jobId][job.anchorSlot]
                ) revert RevealMismatch(jobId, slot);
            }
            if (
                bytes16(keccak256(abi.encode(jobId, digest))) != agreed
                    || bytes16(committed << 128) != bytes16(keccak256(abi.encode(msg.sender, jobId, digest)))
            ) revert RevealMismatch(jobId, slot);
        }

        job.revealedMask |= bit;
        if (job.flags & CODEC_MASK == 0) {
            job.anchorSlot = uint8(slot);
            job.flags |= codecBits << CODEC_SHIFT;
            _commits[jobId][slot] = sha256Digest;
        }
        emit ResultRevealed(jobId, slot, msg.sender, resultCid);

        if (_popcount(job.revealedMask) >= terms.quorum) {
            _settle(jobId, job, terms);
        } else {
            _jobs[jobId] = job;
        }
    }

    // ================================================================== exits

    /// @inheritdoc IJobMarket
    function finalize(uint256 jobId) external nonReentrant {
        Job memory job = _jobs[jobId];
        if (job.status != Status.Revealing) revert JobNotInStatus(jobId, job.status, Status.Revealing);
        Terms memory terms = _terms[jobId];
        uint256 closesAt = uint256(job.consensusAt) + terms.revealWindow;
        if (block.timestamp < closesAt) revert RevealWindowOpen(jobId, closesAt);
        _settle(jobId, job, terms);
    }

    /// @inheritdoc IJobMarket
    function expire(uint256 jobId) external nonReentrant {
        Job memory job = _jobs[jobId];
        if (job.status != Status.Open) revert JobNotInStatus(jobId, job.status, Status.Open);
        Terms memory terms = _terms[jobId];
        if (block.timestamp < terms.deadline) revert JobDeadlineNotReached(jobId, terms.deadline);

        // Committed claimants did their part: released. Silent ones whose window closed: slashed.
        address[] memory released = new address[](job.claimed);
        address[] memory slashed = new address[](job.claimed);
        uint256 nReleased;
        uint256 nSlashed;
        uint16 slashedMask;
        for (uint256 i; i < job.claimed; ++i) {
            Slot memory s = _slots[jobId][i];
            if (_commits[jobId][i] == 0 && uint256(s.claimedAt) + terms.commitWindow <= terms.deadline) {
                slashed[nSlashed++] = s.provider;
                slashedMask |= uint16(1 << i);
            } else {
                released[nReleased++] = s.provider;
            }
        }
        _jobs[jobId].status = Status.Expired;
        emit JobExpired(jobId, slashedMask, _escrow(terms.replicas, terms.price, job.feeBps));
        _settleCollateral(released, nReleased, slashed, nSlashed, terms.collateral);
    }

    /// @inheritdoc IJobMarket
    function cancel(uint256 jobId) external nonReentrant {
        Job memory job = _jobs[jobId];
        if (job.status != Status.Open || job.client != msg.sender || job.claimed != 0) revert NotCancellable(jobId);
        Terms memory terms = _terms[jobId];
        _jobs[jobId].status = Status.Cancelled;
        emit JobCancelled(jobId, _escrow(terms.replicas, terms.price, job.feeBps));
    }

    /// @inheritdoc IJobMarket
    function withdraw(address token, uint256[] calldata jobIds) external nonReentrant {
        uint256 total;
        for (uint256 j; j < jobIds.length; ++j) {
            uint256 jobId = jobIds[j];
            if (_tokens[jobId] != token) revert WrongToken(jobId, token);
            Job memory job = _jobs[jobId];
            if (job.status < Status.Settled) continue;
            Terms memory terms = _terms[jobId];
            if (job.client == msg.sender && job.flags & FLAG_REFUND_COLLECTED == 0) {
                _jobs[jobId].flags = job.flags | FLAG_REFUND_COLLECTED;
                total += _refund(job, terms);
            }
            for (uint256 i; i < job.claimed; ++i) {
                if (job.revealedMask & (1 << i) == 0) continue;
                Slot storage s = _slots[jobId][i];
                if (s.provider == msg.sender && !s.collected) {
                    s.collected = true;
                    total += terms.price;
                }
            }
        }
        if (total == 0) revert NothingToWithdraw(msg.sender, token);
        emit Withdrawn(msg.sender, token, total, jobIds);
        _pay(token, msg.sender, total);
    }

    /// @notice Sends the fees accrued in `token` to the treasury. Anyone may call.
    /// @param token The token (address(0) for FIL).
    function withdrawFees(address token) external nonReentrant {
        uint256 stored = _fees[token];
        if (stored <= 1) revert NothingToWithdraw(treasury, token);
        _fees[token] = 1;
        emit FeesWithdrawn(token, treasury, stored - 1);
        _pay(token, treasury, stored - 1);
    }

    // ================================================================== admin

    /// @notice Sets the fee for jobs submitted from now on (jobs already posted keep theirs).
    /// @param feeBps_ The fee in basis points, at most {MAX_FEE_BPS}.
    function setFee(uint16 feeBps_) external onlyOwner {
        if (feeBps_ > MAX_FEE_BPS) revert FeeTooHigh(feeBps_, MAX_FEE_BPS);
        _config.feeBps = feeBps_;
        emit FeeChanged(feeBps_);
    }

    /// @notice Sets the account that receives fees.
    /// @param treasury_ The treasury.
    function setTreasury(address treasury_) external onlyOwner {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    /// @notice Sets the minimum collateral per slot for jobs submitted from now on.
    /// @param minCollateral_ In attoFIL.
    function setMinCollateral(uint256 minCollateral_) external onlyOwner {
        if (minCollateral_ > type(uint80).max) revert MinCollateralTooHigh(minCollateral_, type(uint80).max);
        _config.minCollateral = uint80(minCollateral_);
        emit MinCollateralChanged(minCollateral_);
    }

    /// @notice Pauses or resumes new submissions. Claims, commits, reveals and every exit stay open.
    /// @param paused_ Whether to pause.
    function setPaused(bool paused_) external onlyOwner {
        _config.paused = paused_;
        emit PauseChanged(paused_);
    }

    // ================================================================== views

    /// @notice Fee for new jobs, in basis points of the amount paid to providers.
    /// @return The fee.
    function feeBps() external view returns (uint16) {
        return _config.feeBps;
    }

    /// @notice Whether new submissions are refused. Claims, reveals and all exits keep working.
    /// @return Whether paused.
    function paused() external view returns (bool) {
        return _config.paused;
    }

    /// @notice Lowest collateral per slot for new jobs, in attoFIL.
    /// @return The minimum.
    function minCollateral() external view returns (uint256) {
        return _config.minCollateral;
    }

    /// @notice Number of jobs submitted; job IDs run from 1 to this.
    /// @return The count.
    function jobCount() external view returns (uint256) {
        return _config.nextJobId - 1;
    }

    /// @inheritdoc IJobMarket
    function getJob(uint256 jobId) external view returns (JobView memory view_) {
        Job memory job = _jobs[jobId];
        Terms memory terms = _terms[jobId];
        bytes32 callback = _callbacks[jobId];
        view_.status = job.status;
        view_.client = job.client;
        view_.token = _tokens[jobId];
        view_.replicas = terms.replicas;
        view_.quorum = terms.quorum;
        view_.claimed = job.claimed;
        view_.locality = job.flags & FLAG_LOCALITY != 0;
        view_.distinctMiners = job.flags & FLAG_DISTINCT_MINERS != 0;
        view_.feeBps = job.feeBps;
        view_.revealedMask = job.revealedMask;
        view_.refundCollected = job.flags & FLAG_REFUND_COLLECTED != 0;
        view_.price = terms.price;
        view_.collateral = terms.collateral;
        view_.deadline = terms.deadline;
        view_.commitWindow = terms.commitWindow;
        view_.revealWindow = terms.revealWindow;
        view_.consensusAt = job.consensusAt;
        view_.callback = address(uint160(uint256(callback)));
        view_.callbackGas = uint32(uint256(callback) >> 160);
        view_.allowlistRoot = _allowlists[jobId];
        view_.inputsHash = _inputsHash[jobId];
        view_.resultCid = _resultCid(jobId, job);
    }

    /// @inheritdoc IJobMarket
    function getSlot(uint256 jobId, uint256 slot) external view returns (SlotView memory) {
        Job memory job = _jobs[jobId];
        if (slot >= job.claimed) return SlotView(address(0), 0, false, false, false, 0);
        Slot memory s = _slots[jobId][slot];
        return SlotView({
            provider: s.provider,
            claimedAt: s.claimedAt,
            committed: _commits[jobId][slot] != 0,
            revealed: job.revealedMask & (1 << slot) != 0,
            collected: s.collected,
            minerId: s.minerId
        });
    }

    /// @inheritdoc IJobMarket
    function owed(uint256 jobId, address account) external view returns (uint256 amount) {
        Job memory job = _jobs[jobId];
        if (job.status < Status.Settled) return 0;
        Terms memory terms = _terms[jobId];
        if (job.client == account && job.flags & FLAG_REFUND_COLLECTED == 0) amount = _refund(job, terms);
        for (uint256 i; i < job.claimed; ++i) {
            Slot memory s = _slots[jobId][i];
            if (job.revealedMask & (1 << i) != 0 && s.provider == account && !s.collected) amount += terms.price;
        }
    }

    /// @inheritdoc IJobMarket
    function feesAccrued(address token) external view returns (uint256) {
        uint256 stored = _fees[token];
        return stored == 0 ? 0 : stored - 1;
    }

    // ================================================================== internals

    function _validate(JobRequest calldata r, uint256 minimum) private view returns (uint8 flags) {
        if (r.replicas == 0 || r.replicas > MAX_REPLICAS || r.quorum == 0 || r.quorum > r.replicas) {
            revert InvalidReplication(r.replicas, r.quorum, MAX_REPLICAS);
        }
        if (r.price == 0) revert InvalidPrice();
        if (r.collateral < minimum) revert CollateralTooLow(r.collateral, minimum);
        if (r.spec.length == 0 || r.spec.length > MAX_SPEC_SIZE) revert InvalidSpecSize(r.spec.length, MAX_SPEC_SIZE);
        uint256 nInputs = r.inputs.length;
        if (nInputs > MAX_INPUTS || (r.locality && nInputs == 0)) revert InvalidInputs(nInputs, MAX_INPUTS);
        for (uint256 i; i < nInputs; ++i) {
            uint64 size = r.inputs[i].paddedSize;
            // Padded piece sizes are powers of two of at least 128 bytes.
            if (r.inputs[i].root == 0 || size < 128 || size & (size - 1) != 0) revert InvalidInputs(nInputs, MAX_INPUTS);
        }
        _checkWindow(r.commitWindow);
        _checkWindow(r.revealWindow);
        uint256 earliest = block.timestamp + r.commitWindow;
        uint256 latest = block.timestamp + MAX_DEADLINE;
        if (r.deadline < earliest || r.deadline > latest) revert InvalidDeadline(r.deadline, earliest, latest);
        if (r.callback == address(0)) {
            if (r.callbackGas != 0) revert InvalidCallback(r.callback, r.callbackGas, maxCallbackGas);
        } else {
            if (r.callbackGas == 0 || r.callbackGas > maxCallbackGas) {
                revert InvalidCallback(r.callback, r.callbackGas, maxCallbackGas);
            }
            flags |= FLAG_CALLBACK;
        }
        if (r.locality) flags |= FLAG_LOCALITY;
        if (r.allowlistRoot != 0) flags |= FLAG_ALLOWLIST;
        if (r.token != address(0)) flags |= FLAG_TOKEN;
        if (r.distinctMiners) flags |= FLAG_DISTINCT_MINERS;
    }

    function _checkWindow(uint24 window) private pure {
        if (window < MIN_WINDOW || window > MAX_WINDOW) revert InvalidWindow(window, MIN_WINDOW, MAX_WINDOW);
    }

    /// @dev The caller holds `slot` of an Open job, before the deadline and within its commit window.
    function _checkOpenSlot(uint256 jobId, uint256 slot, Job memory job, Terms memory terms) private view {
        if (block.timestamp >= terms.deadline) revert JobDeadlinePassed(jobId, terms.deadline);
        if (slot >= job.claimed) revert NotSlotHolder(jobId, slot, msg.sender);
        Slot memory s = _slots[jobId][slot];
        if (s.provider != msg.sender) revert NotSlotHolder(jobId, slot, msg.sender);
        uint256 closesAt = uint256(s.claimedAt) + terms.commitWindow;
        if (block.timestamp >= closesAt) revert CommitWindowClosed(jobId, slot, closesAt);
    }

    /// @dev Sybil resistance for jobs that ask for distinct miners: the claimant of `slot` must have a
    /// miner bound in the registry, and no other slot of the job may be held under that miner. The
    /// miner counted is the one bound at claim time (the one locality proofs are checked against),
    /// recorded in the slot word: re-binding after claiming changes nothing for slots already held,
    /// and a miner that served a slot cannot serve another through a second address while that
    /// slot is held. A reopened slot's previous holder no longer holds it, so its miner stops
    /// counting. With the registry binding each miner to one provider and each miner proven real
    /// (known to the power actor, with raw power), one operator needs k miners for k slots.
    /// Costs one compare per claimed slot (the slot words are already warm from the duplicate check)
    /// and a warm re-store of the claimant's slot word.
    function _recordDistinctMiner(uint256 jobId, uint256 slot, uint256 claimed, uint64 minerId) private {
        if (minerId == 0) revert MinerRequired(jobId, msg.sender);
        if (minerId > type(uint56).max) revert MinerIdTooLarge(minerId, type(uint56).max);
        for (uint256 i; i < claimed; ++i) {
            if (i != slot && _slots[jobId][i].minerId == minerId) revert MinerAlreadyInJob(jobId, minerId, i);
        }
        _slots[jobId][slot].minerId = uint56(minerId);
    }

    function _checkLocality(
        uint256 jobId,
        uint64 minerId,
        PieceRef[] calldata inputs,
        LocalityProof[] calldata proofs
    ) private view {
        if (proofs.length != inputs.length || keccak256(abi.encode(inputs)) != _inputsHash[jobId]) {
            revert LocalityInputsMismatch(jobId);
        }
        for (uint256 i; i < inputs.length; ++i) {
            uint8 kind = proofs[i].kind;
            ILocalityVerifier verifier;
            if (kind == 0) verifier = pdpLocality;
            else if (kind == 1) verifier = dealLocality;
            if (address(verifier) == address(0)) revert UnknownLocalityKind(kind);
            verifier.verifyLocality(msg.sender, minerId, inputs[i].root, inputs[i].paddedSize, proofs[i].data);
        }
    }

    /// @dev The terminal transition of a job that reached quorum. Revealers win; committers that did
    /// not reveal (of the agreed hash or another) and claimants whose commit window had closed
    /// before quorum are slashed; the others are released. With no reveal the job fails and the
    /// client gets everything back. Only the fee is credited here; pay and refunds are pulled.
    function _settle(uint256 jobId, Job memory job, Terms memory terms) private {
        uint256 n = job.claimed;
        address[] memory released = new address[](n);
        address[] memory slashed = new address[](n);
        uint256 nReleased;
        uint256 nSlashed;
        uint16 slashedMask;
        for (uint256 i; i < n; ++i) {
            Slot memory s = _slots[jobId][i];
            if (job.revealedMask & (1 << i) != 0) {
                released[nReleased++] = s.provider;
            } else if (_commits[jobId][i] != 0 || uint256(s.claimedAt) + terms.commitWindow <= job.consensusAt) {
                slashed[nSlashed++] = s.provider;
                slashedMask |= uint16(1 << i);
            } else {
                released[nReleased++] = s.provider;
            }
        }

        uint256 winners = _popcount(job.revealedMask);
        job.status = winners == 0 ? Status.Failed : Status.Settled;
        _jobs[jobId] = job;
        uint256 fee = winners * terms.price * job.feeBps / 10_000;
        address token;
        if (fee != 0) {
            // Native-FIL jobs never wrote a token: no need to read one.
            if (job.flags & FLAG_TOKEN != 0) token = _tokens[jobId];
            uint256 stored = _fees[token];
            _fees[token] = (stored == 0 ? 1 : stored) + fee;
        }
        bytes memory cid = _resultCid(jobId, job);
        emit JobFinalized(jobId, job.status, cid, job.revealedMask, slashedMask, _refund(job, terms), fee);

        // Interactions: the trusted registry, then the untrusted callback, last.
        _settleCollateral(released, nReleased, slashed, nSlashed, terms.collateral);
        if (winners != 0 && job.flags & FLAG_CALLBACK != 0) _callback(jobId, cid);
    }

    function _settleCollateral(
        address[] memory released,
        uint256 nReleased,
        address[] memory slashed,
        uint256 nSlashed,
        uint256 collateral
    ) private {
        if (nReleased != 0) {
            // Shrink the array to the entries filled (memory-safe: only lowers the length).
            assembly ("memory-safe") {
                mstore(released, nReleased)
            }
            registry.releaseCollateral(released, collateral);
        }
        if (nSlashed != 0) {
            assembly ("memory-safe") {
                mstore(slashed, nSlashed)
            }
            registry.slashCollateral(slashed, collateral);
        }
    }

    /// @dev Calls the consumer with exactly its gas limit. Copies no return data (a huge return
    /// cannot cost us gas) and ignores failure (a reverting target cannot block settlement). A
    /// transaction sent with too little gas to give the callback its full limit reverts instead.
    function _callback(uint256 jobId, bytes memory cid) private {
        bytes32 packed = _callbacks[jobId];
        address target = address(uint160(uint256(packed)));
        uint256 gasLimit = uint32(uint256(packed) >> 160);
        bytes memory data = abi.encodeCall(IShoalConsumer.onShoalResult, (jobId, cid));
        // EIP-150 forwards at most 63/64 of what is left: make sure that covers the limit.
        uint256 needed = gasLimit + gasLimit / 63 + CALLBACK_RESERVE;
        if (gasleft() < needed) revert InsufficientGasForCallback(needed, gasleft());
        bool success;
        assembly ("memory-safe") {
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit CallbackCalled(jobId, target, success);
    }

    /// @dev What the client gets back from a terminal job: everything but the winners' pay and its fee.
    function _refund(Job memory job, Terms memory terms) private pure returns (uint256) {
        uint256 escrow = _escrow(terms.replicas, terms.price, job.feeBps);
        if (job.status != Status.Settled) return escrow;
        uint256 paid = _popcount(job.revealedMask) * terms.price;
        return escrow - paid - paid * job.feeBps / 10_000;
    }

    function _resultCid(uint256 jobId, Job memory job) private view returns (bytes memory) {
        uint8 codecBits = (job.flags & CODEC_MASK) >> CODEC_SHIFT;
        if (codecBits == 0) return "";
        uint8 codec = codecBits == 1 ? 0x55 : codecBits == 2 ? 0x70 : 0x71;
        return ResultCid.encode(codec, _commits[jobId][job.anchorSlot]);
    }

    /// @dev Splits a result CID into the 2-bit codec code and the sha2-256 digest, or reverts.
    function _parseResultCid(bytes calldata cid) private pure returns (uint8 codecBits, bytes32 digest) {
        (bool ok, uint8 codec, bytes32 d) = ResultCid.parse(cid);
        codecBits = codec == 0x55 ? 1 : codec == 0x70 ? 2 : codec == 0x71 ? 3 : 0;
        if (!ok || codecBits == 0) revert UnsupportedResultCid(cid);
        return (codecBits, d);
    }

    function _pay(address token, address to, uint256 amount) private {
        if (token == address(0)) Address.sendValue(payable(to), amount);
        else IERC20(token).safeTransfer(to, amount);
    }

    function _escrow(uint256 replicas, uint256 price, uint256 fee) private pure returns (uint256) {
        uint256 work = replicas * price;
        return work + work * fee / 10_000;
    }

    function _one(address account) private pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = account;
    }

    function _popcount(uint16 x) private pure returns (uint256 count) {
        while (x != 0) {
            x &= x - 1;
            ++count;
        }
    }
}
