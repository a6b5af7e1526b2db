// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IJobMarket} from "../interfaces/IJobMarket.sol";
import {IShoalConsumer} from "../interfaces/IShoalConsumer.sol";

/// @notice The market's fee, read to compute each job's escrow.
interface IJobMarketFee {
    /// @notice The protocol fee in basis points.
    function feeBps() external view returns (uint16);
}

/// @title FederatedAveraging
/// @notice Runs federated training over the Shoal market with no trusted coordinator. A run holds
/// N shard pieces (stored by providers; the data never moves), job spec templates for training,
/// aggregation and evaluation, job terms, a number of rounds and a budget in FIL. Each round posts
/// one training job per shard (starting from the previous round's global model), then one
/// aggregation job (FedAvg) over the round's updates; the aggregate is the new global model, and
/// an evaluation job measures it on a held-out shard while the next round trains. Every job is
/// settled by the market's commit-reveal quorum.
///
/// The market's entry points are non-reentrant, so a settling callback cannot post the next job:
/// {onShoalResult} only records, and the permissionless {advance} posts whatever is due. Whoever
/// calls {advance} (the client, a provider's agent, a keeper) cannot change what is posted: it
/// takes no arguments but the run, and pays a fixed tip from the budget when it posts. A job that
/// expires or fails is re-posted the same way, up to `maxAttempts` times per step; the run then
/// ends `Failed`. Unused escrow comes back to the run's budget; what is left at the end is owed to
/// the run's owner ({withdraw}).
///
/// A spec template is the canonical spec bytes (see docs/job-spec.md) cut at the job IDs it takes
/// as inputs: `parts[0] ‖ id₀ ‖ parts[1] ‖ … ‖ parts[k]`, each ID written in decimal. Templates per
/// run, in order: N first-round training specs (no hole), N later-round training specs (one hole:
/// the previous global model's aggregation job), the aggregation spec (N holes: the round's
/// training jobs, in shard order) and the evaluation spec (one hole: the aggregation job).
/// The SDK builds them (`startFederatedRun`).
contract FederatedAveraging is IShoalConsumer, ReentrancyGuardTransient {
    /// @notice A run's state.
    enum Phase {
        None,
        Training, // the round's training jobs are in flight
        Aggregating, // the round's aggregation job is in flight
        Finishing, // every round is aggregated; evaluations may still be in flight
        Done, // finished; the rest of the budget is owed to the owner
        Failed // a step failed `maxAttempts` times, or the budget ran out; the rest is owed to the owner
    }

    /// @notice What a step of a run is.
    enum Kind {
        Train,
        Aggregate,
        Evaluate
    }

    /// @notice Terms of every job a run posts (FIL only).
    struct JobTerms {
        uint8 replicas;
        uint8 quorum;
        uint80 price;
        uint80 collateral;
        /// Seconds from posting to the job's deadline.
        uint32 ttl;
        uint24 commitWindow;
        uint24 revealWindow;
        /// Gas the market gives {onShoalResult}.
        uint32 callbackGas;
    }

    /// @notice What {start} takes.
    struct RunConfig {
        /// The shard pieces, one training job per shard per round.
        IJobMarket.PieceRef[] shards;
        /// The held-out shard the evaluation jobs read.
        IJobMarket.PieceRef testShard;
        /// Whether training and evaluation claimants must prove they store their shard.
        bool locality;
        uint8 rounds;
        /// Posts per step before the run fails (1 = no re-post).
        uint8 maxAttempts;
        JobTerms terms;
        /// Paid from the budget to whoever calls {advance} when the call posts at least one job.
        uint96 tip;
        /// Spec templates, in the order described in the contract's notice.
        bytes[][] templates;
    }

    /// @notice A run as returned by {getRun}.
    struct RunView {
        address owner;
        Phase phase;
        uint8 shardCount;
        uint8 rounds;
        /// The round in training or aggregation (== rounds once every round is aggregated).
        uint8 round;
        uint8 evaluated;
        bool locality;
        uint8 maxAttempts;
        uint96 tip;
        uint256 budget;
        JobTerms terms;
    }

    /// @notice One round as returned by {getRound}.
    struct RoundView {
        uint256[] trainJobs;
        uint256 aggregateJob;
        uint256 evaluateJob;
        /// The aggregation job's result CID: the directory holding the global model.
        bytes modelCid;
        /// The evaluation job's result CID: the directory holding the metrics.
        bytes metricsCid;
    }

    struct Run {
        address owner;
        Phase phase;
        uint8 shardCount;
        uint8 rounds;
        uint8 round;
        uint8 evaluated;
        bool locality;
        uint8 maxAttempts;
        uint96 tip;
        uint256 budget;
        JobTerms terms;
        IJobMarket.PieceRef testShard;
    }

    struct Round {
        uint256[] trainJobs;
        uint256 aggregateJob;
        uint256 evaluateJob;
        bytes modelCid;
        bytes metricsCid;
    }

    /// @dev What a job of this contract is: run, round, kind, shard index and its post count.
    struct Step {
        uint64 runId;
        uint8 round;
        Kind kind;
        uint8 index;
        uint8 attempt;
        bool recorded;
    }

    /// @notice Most shards a run may have (the aggregation job takes one input per shard; a spec has at most 16).
    uint256 public constant MAX_SHARDS = 15;
    /// @notice Most rounds a run may have.
    uint256 public constant MAX_ROUNDS = 100;

    /// @notice The Shoal job market.
    IJobMarket public immutable market;

    uint256 private _nextRunId = 1;
    mapping(uint256 runId => Run) private _runs;
    mapping(uint256 runId => IJobMarket.PieceRef[]) private _shards;
    mapping(uint256 runId => bytes[][]) private _templates;
    mapping(uint256 runId => mapping(uint256 round => Round)) private _rounds;
    mapping(uint256 jobId => Step) private _steps;
    mapping(address account => uint256) private _owed;

    // ------------------------------------------------------------------ errors

    /// @notice The market address must not be zero.
    error ZeroMarket();
    /// @notice Shards must number 1..MAX_SHARDS and rounds 1..MAX_ROUNDS; maxAttempts at least 1.
    error InvalidShape(uint256 shards, uint256 rounds, uint256 maxAttempts);
    /// @notice Templates must number 2N + 2, with `expected` parts for template `index`.
    error InvalidTemplates(uint256 index, uint256 parts, uint256 expected);
    /// @notice The budget does not cover one attempt of every step of the run.
    error BudgetTooLow(uint256 budget, uint256 needed);
    /// @notice No run has this ID.
    error UnknownRun(uint256 runId);
    /// @notice Only the market may deliver results and send FIL.
    error Unauthorized(address caller);
    /// @notice The run has ended.
    error RunOver(uint256 runId, Phase phase);
    /// @notice Nothing is owed to this account.
    error NothingOwed(address account);

    // ------------------------------------------------------------------ events

    /// @notice Run `runId` started with `budget` attoFIL.
    event RunStarted(uint256 indexed runId, address indexed owner, uint256 shards, uint256 rounds, uint256 budget);
    /// @notice Anyone added `amount` to the run's budget.
    event RunFunded(uint256 indexed runId, address indexed from, uint256 amount);
    /// @notice A step's job was posted (`attempt` > 1 for a re-post).
    event StepPosted(uint256 indexed runId, uint256 indexed round, Kind kind, uint256 index, uint256 jobId, uint256 attempt);
    /// @notice A step's job settled with `resultCid` (recorded by the callback, or by {advance} if the callback failed).
    event StepSettled(uint256 indexed runId, uint256 indexed round, Kind kind, uint256 index, uint256 jobId, bytes resultCid);
    /// @notice A step's job ended without a result (`status`); it will be re-posted if attempts remain.
    event StepFailed(uint256 indexed runId, uint256 indexed round, Kind kind, uint256 index, uint256 jobId, IJobMarket.Status status);
    /// @notice Round `round`'s global model: the aggregation job's result.
    event RoundAggregated(uint256 indexed runId, uint256 indexed round, uint256 jobId, bytes modelCid);
    /// @notice Round `round`'s evaluation of the global model on the test shard.
    event RoundEvaluated(uint256 indexed runId, uint256 indexed round, uint256 jobId, bytes metricsCid);
    /// @notice Escrow returned by the market to the run's budget.
    event RefundCollected(uint256 indexed runId, uint256 amount);
    /// @notice `caller` earned `amount` for an {advance} that posted jobs.
    event TipCredited(uint256 indexed runId, address indexed caller, uint256 amount);
    /// @notice The run ended (`phase` Done or Failed); `refund` is owed to its owner.
    event RunEnded(uint256 indexed runId, Phase phase, uint256 refund);
    /// @notice `account` withdrew `amount`.
    event Withdrawn(address indexed account, uint256 amount);

    /// @param market_ The Shoal JobMarket.
    constructor(IJobMarket market_) {
        if (address(market_) == address(0)) revert ZeroMarket();
        market = market_;
    }

    /// @notice Accepts refunds from the market only.
    receive() external payable {
        if (msg.sender != address(market)) revert Unauthorized(msg.sender);
    }

    // ------------------------------------------------------------------ runs

    /// @notice Starts a run funded with the FIL sent, and posts its first round.
    /// @param config Shards, templates, terms, rounds (see {RunConfig}).
    /// @return runId The new run.
    function start(RunConfig calldata config) external payable nonReentrant returns (uint256 runId) {
        uint256 n = config.shards.length;
        if (n == 0 || n > MAX_SHARDS || config.rounds == 0 || config.rounds > MAX_ROUNDS || config.maxAttempts == 0) {
            revert InvalidShape(n, config.rounds, config.maxAttempts);
        }
        if (config.templates.length != 2 * n + 2) revert InvalidTemplates(config.templates.length, 0, 2 * n + 2);
        for (uint256 t; t < config.templates.length; ++t) {
            uint256 expected = t < n ? 1 : t < 2 * n ? 2 : t == 2 * n ? n + 1 : 2;
            if (config.templates[t].length != expected) revert InvalidTemplates(t, config.templates[t].length, expected);
        }
        uint256 perRound = (n + 2) * (_escrow(config.terms) + config.tip);
        uint256 needed = perRound * config.rounds;
        if (msg.value < needed) revert BudgetTooLow(msg.value, needed);

        runId = _nextRunId++;
        Run storage run = _runs[runId];
        run.owner = msg.sender;
        run.phase = Phase.Training;
        run.shardCount = uint8(n);
        run.rounds = config.rounds;
        run.locality = config.locality;
        run.maxAttempts = config.maxAttempts;
        run.tip = config.tip;
        run.budget = msg.value;
        run.terms = config.terms;
        run.testShard = config.testShard;
        for (uint256 i; i < n; ++i) _shards[runId].push(config.shards[i]);
        bytes[][] storage templates = _templates[runId];
        for (uint256 t; t < config.templates.length; ++t) {
            templates.push();
            for (uint256 p; p < config.templates[t].length; ++p) templates[t].push(config.templates[t][p]);
        }
        emit RunStarted(runId, msg.sender, n, config.rounds, msg.value);
        for (uint256 i; i < n; ++i) _postTrain(runId, run, 0, i, 1);
    }

    /// @notice Adds the FIL sent to a run's budget (for re-posts beyond what it started with).
    /// @param runId The run.
    function fund(uint256 runId) external payable {
        Run storage run = _live(runId);
        run.budget += msg.value;
        emit RunFunded(runId, msg.sender, msg.value);
    }

    /// @notice Moves run `runId` on: collects the results and refunds of its jobs that ended,
    /// re-posts those that ended without a result, and posts what is due (the round's aggregation
    /// once its training jobs settled; the evaluation and the next round once it is aggregated).
    /// Anyone may call; the outcome does not depend on the caller. A call that posts earns the tip.
    /// @param runId The run.
    /// @return posted How many jobs this call posted.
    function advance(uint256 runId) external nonReentrant returns (uint256 posted) {
        Run storage run = _live(runId);
        uint256[] memory ended = new uint256[](uint256(run.round - run.evaluated) + run.shardCount + 1);
        uint256 nEnded;
        // Evaluations of earlier rounds (run alongside later rounds' training).
        for (uint8 r = run.evaluated; r < run.round; ++r) {
            Round storage round = _rounds[runId][r];
            if (round.evaluateJob == 0 || round.metricsCid.length != 0) {
                if (round.metricsCid.length != 0 && r == run.evaluated) run.evaluated = r + 1;
                continue;
            }
            (bool done, bool retry) = _check(round.evaluateJob);
            if (done || retry) ended[nEnded++] = round.evaluateJob;
            if (done) {
                if (r == run.evaluated) run.evaluated = r + 1;
            } else if (retry) {
                if (!_repost(runId, run, round.evaluateJob)) return _end(runId, run, Phase.Failed, ended, nEnded);
                ++posted;
            }
        }
        if (run.phase == Phase.Training) {
            Round storage round = _rounds[runId][run.round];
            bool all = true;
            for (uint256 i; i < run.shardCount; ++i) {
                uint256 jobId = round.trainJobs[i];
                (bool done, bool retry) = _check(jobId);
                if (done || retry) ended[nEnded++] = jobId;
                if (retry) {
                    if (!_repost(runId, run, jobId)) return _end(runId, run, Phase.Failed, ended, nEnded);
                    ++posted;
                }
                all = all && done;
            }
            if (all) {
                run.phase = Phase.Aggregating;
                _postAggregate(runId, run, run.round, 1);
                ++posted;
            }
        } else if (run.phase == Phase.Aggregating) {
            uint8 r = run.round;
            Round storage round = _rounds[runId][r];
            (bool done, bool retry) = _check(round.aggregateJob);
            if (done || retry) ended[nEnded++] = round.aggregateJob;
            if (retry) {
                if (!_repost(runId, run, round.aggregateJob)) return _end(runId, run, Phase.Failed, ended, nEnded);
                ++posted;
            } else if (done) {
                emit RoundAggregated(runId, r, round.aggregateJob, round.modelCid);
                _postEvaluate(runId, run, r, 1);
                ++posted;
                run.round = r + 1;
                if (r + 1 < run.rounds) {
                    run.phase = Phase.Training;
                    for (uint256 i; i < run.shardCount; ++i) _postTrain(runId, run, r + 1, i, 1);
                    posted += run.shardCount;
                } else {
                    run.phase = Phase.Finishing;
                }
            }
        }
        if (run.phase == Phase.Finishing && run.evaluated == run.rounds) return _end(runId, run, Phase.Done, ended, nEnded) + posted;
        _collect(runId, run, ended, nEnded);
        if (posted != 0 && run.tip != 0 && run.budget >= run.tip) {
            run.budget -= run.tip;
            _owed[msg.sender] += run.tip;
            emit TipCredited(runId, msg.sender, run.tip);
        }
    }

    /// @inheritdoc IShoalConsumer
    /// @dev Records the result of one of this contract's jobs; keep it within the run's callbackGas.
    function onShoalResult(uint256 jobId, bytes calldata resultCid) external {
        if (msg.sender != address(market)) revert Unauthorized(msg.sender);
        Step memory step = _steps[jobId];
        if (step.runId == 0) return;
        _record(step, jobId, resultCid);
    }

    /// @notice Sends what this contract owes the caller (a run's remaining budget, tips).
    function withdraw() external nonReentrant {
        uint256 amount = _owed[msg.sender];
        if (amount == 0) revert NothingOwed(msg.sender);
        _owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice A run's state.
    /// @param runId The run.
    /// @return view_ Its owner, phase, round, budget and terms.
    function getRun(uint256 runId) external view returns (RunView memory view_) {
        Run storage run = _runs[runId];
        if (run.phase == Phase.None) revert UnknownRun(runId);
        view_ = RunView(
            run.owner, run.phase, run.shardCount, run.rounds, run.round, run.evaluated, run.locality,
            run.maxAttempts, run.tip, run.budget, run.terms
        );
    }

    /// @notice One round of a run: its jobs and, once settled, the global model's and the metrics' CIDs.
    /// @param runId The run.
    /// @param round The round (0-based).
    /// @return view_ The round.
    function getRound(uint256 runId, uint256 round) external view returns (RoundView memory view_) {
        Round storage r = _rounds[runId][round];
        view_ = RoundView(r.trainJobs, r.aggregateJob, r.evaluateJob, r.modelCid, r.metricsCid);
    }

    /// @notice Which run, round, kind and shard a job of this contract serves.
    /// @param jobId The market job.
    /// @return runId 0 when the job is not this contract's.
    /// @return round The round.
    /// @return kind Train, Aggregate or Evaluate.
    /// @return index The shard (training) or 0.
    /// @return attempt 1 for the first post, 2 for the first re-post, ...
    function stepOf(uint256 jobId) external view returns (uint256 runId, uint256 round, Kind kind, uint256 index, uint256 attempt) {
        Step memory s = _steps[jobId];
        return (s.runId, s.round, s.kind, s.index, s.attempt);
    }

    /// @notice What {withdraw} would send `account`.
    /// @param account The account.
    /// @return The amount in attoFIL.
    function owed(address account) external view returns (uint256) {
        return _owed[account];
    }

    /// @notice The escrow of one job of these terms at the market's current fee.
    /// @param terms The job terms.
    /// @return The escrow in attoFIL.
    function escrowOf(JobTerms calldata terms) external view returns (uint256) {
        return _escrow(terms);
    }

    // ------------------------------------------------------------------ internals

    function _live(uint256 runId) private view returns (Run storage run) {
        run = _runs[runId];
        if (run.phase == Phase.None) revert UnknownRun(runId);
        if (run.phase == Phase.Done || run.phase == Phase.Failed) revert RunOver(runId, run.phase);
    }

    function _escrow(JobTerms memory terms) private view returns (uint256) {
        uint256 work = uint256(terms.replicas) * terms.price;
        return work + work * IJobMarketFee(address(market)).feeBps() / 10_000;
    }

    /// @dev Whether job `jobId` has a result (`done`) or ended without one (`retry`). A job past its
    /// deadline without quorum is expired here first, so its escrow comes back.
    function _check(uint256 jobId) private returns (bool done, bool retry) {
        IJobMarket.JobView memory job = market.getJob(jobId);
        if (job.status == IJobMarket.Status.Open && block.timestamp >= job.deadline) {
            market.expire(jobId);
            job.status = IJobMarket.Status.Expired;
        }
        if (job.status == IJobMarket.Status.Settled) {
            Step memory step = _steps[jobId];
            _record(step, jobId, job.resultCid); // in case the callback ran out of gas
            return (true, false);
        }
        if (job.status > IJobMarket.Status.Settled) {
            Step memory step = _steps[jobId];
            emit StepFailed(step.runId, step.round, step.kind, step.index, jobId, job.status);
            return (false, true);
        }
    }

    /// @dev Stores an aggregation's or evaluation's result CID once, and says so.
    function _record(Step memory step, uint256 jobId, bytes memory cid) private {
        if (step.recorded) return;
        _steps[jobId].recorded = true;
        Round storage round = _rounds[step.runId][step.round];
        // Training results are read from the market when the round aggregates; the others are kept.
        if (step.kind == Kind.Aggregate) {
            round.modelCid = cid;
        } else if (step.kind == Kind.Evaluate) {
            round.metricsCid = cid;
            emit RoundEvaluated(step.runId, step.round, jobId, cid);
        }
        emit StepSettled(step.runId, step.round, step.kind, step.index, jobId, cid);
    }

    /// @dev Re-posts the step job `jobId` served; false when its attempts are used up or the budget is short.
    function _repost(uint256 runId, Run storage run, uint256 jobId) private returns (bool) {
        Step memory step = _steps[jobId];
        if (step.attempt >= run.maxAttempts || run.budget < _escrow(run.terms)) return false;
        if (step.kind == Kind.Train) _postTrain(runId, run, step.round, step.index, step.attempt + 1);
        else if (step.kind == Kind.Aggregate) _postAggregate(runId, run, step.round, step.attempt + 1);
        else _postEvaluate(runId, run, step.round, step.attempt + 1);
        return true;
    }

    function _postTrain(uint256 runId, Run storage run, uint8 r, uint256 shard, uint8 attempt) private {
        bytes memory spec;
        if (r == 0) {
            spec = _templates[runId][shard][0];
        } else {
            uint256[] memory ids = new uint256[](1);
            ids[0] = _rounds[runId][r - 1].aggregateJob;
            spec = _fill(_templates[runId][run.shardCount + shard], ids);
        }
        IJobMarket.PieceRef[] memory inputs = new IJobMarket.PieceRef[](1);
        inputs[0] = _shards[runId][shard];
        uint256 jobId = _post(run, spec, inputs);
        Round storage round = _rounds[runId][r];
        if (attempt == 1) round.trainJobs.push(jobId);
        else round.trainJobs[shard] = jobId;
        _steps[jobId] = Step(uint64(runId), r, Kind.Train, uint8(shard), attempt, false);
        emit StepPosted(runId, r, Kind.Train, shard, jobId, attempt);
    }

    function _postAggregate(uint256 runId, Run storage run, uint8 r, uint8 attempt) private {
        Round storage round = _rounds[runId][r];
        uint256 jobId = _post(run, _fill(_templates[runId][2 * uint256(run.shardCount)], round.trainJobs), new IJobMarket.PieceRef[](0));
        round.aggregateJob = jobId;
        _steps[jobId] = Step(uint64(runId), r, Kind.Aggregate, 0, attempt, false);
        emit StepPosted(runId, r, Kind.Aggregate, 0, jobId, attempt);
    }

    function _postEvaluate(uint256 runId, Run storage run, uint8 r, uint8 attempt) private {
        Round storage round = _rounds[runId][r];
        uint256[] memory ids = new uint256[](1);
        ids[0] = round.aggregateJob;
        IJobMarket.PieceRef[] memory inputs = new IJobMarket.PieceRef[](1);
        inputs[0] = run.testShard;
        uint256 jobId = _post(run, _fill(_templates[runId][2 * uint256(run.shardCount) + 1], ids), inputs);
        round.evaluateJob = jobId;
        _steps[jobId] = Step(uint64(runId), r, Kind.Evaluate, 0, attempt, false);
        emit StepPosted(runId, r, Kind.Evaluate, 0, jobId, attempt);
    }

    /// @dev Submits one job from the run's budget; this contract is its client and callback.
    function _post(Run storage run, bytes memory spec, IJobMarket.PieceRef[] memory inputs) private returns (uint256) {
        JobTerms memory t = run.terms;
        uint256 escrow = _escrow(t);
        run.budget -= escrow; // reverts (checked arithmetic) when the budget is short
        return market.submit{value: escrow}(
            IJobMarket.JobRequest({
                spec: spec,
                inputs: inputs,
                locality: run.locality && inputs.length != 0,
                replicas: t.replicas,
                quorum: t.quorum,
                token: address(0),
                price: t.price,
                collateral: t.collateral,
                deadline: uint32(block.timestamp + t.ttl),
                commitWindow: t.commitWindow,
                revealWindow: t.revealWindow,
                callback: address(this),
                callbackGas: t.callbackGas,
                allowlistRoot: bytes32(0),
                distinctMiners: false
            })
        );
    }

    /// @dev `parts[0] ‖ ids[0] ‖ parts[1] ‖ … ‖ parts[k]`, IDs in decimal.
    function _fill(bytes[] storage parts, uint256[] memory ids) private view returns (bytes memory spec) {
        spec = parts[0];
        for (uint256 i; i < ids.length; ++i) spec = bytes.concat(spec, bytes(Strings.toString(ids[i])), parts[i + 1]);
    }

    /// @dev Pulls the escrow that ended jobs return into the run's budget.
    function _collect(uint256 runId, Run storage run, uint256[] memory ended, uint256 nEnded) private {
        uint256[] memory owedJobs = new uint256[](nEnded);
        uint256 k;
        for (uint256 i; i < nEnded; ++i) {
            if (market.owed(ended[i], address(this)) != 0) owedJobs[k++] = ended[i];
        }
        if (k == 0) return;
        assembly ("memory-safe") {
            mstore(owedJobs, k)
        }
        uint256 before = address(this).balance;
        market.withdraw(address(0), owedJobs);
        uint256 amount = address(this).balance - before;
        run.budget += amount;
        emit RefundCollected(runId, amount);
    }

    /// @dev Ends the run: collects what ended jobs return and owes the rest of the budget to the owner.
    function _end(uint256 runId, Run storage run, Phase phase, uint256[] memory ended, uint256 nEnded) private returns (uint256) {
        _collect(runId, run, ended, nEnded);
        run.phase = phase;
        uint256 refund = run.budget;
        run.budget = 0;
        _owed[run.owner] += refund;
        emit RunEnded(runId, phase, refund);
        return 0;
    }
}
