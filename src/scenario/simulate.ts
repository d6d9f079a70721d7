import { sample } from "../core/distribution.js";
import { ScenarioError } from "../core/errors.js";
import { closest, didYouMean } from "../core/suggest.js";
import type { CallSummary, Directory, Fact, FlowAction, PhoneNumber, SimulatedCall } from "../core/model.js";
import type { Rng } from "../core/random.js";
import type { Vendor } from "../core/vendor.js";
import type { Step } from "./schema.js";
import { displayPath, type Scenario } from "./load.js";

/** Guards against stories that never end. */
const MAX_FACTS = 5_000;
const MAX_VIRTUAL_MS = 7 * 24 * 3_600_000;

interface State {
  t: number;
  facts: Fact[];
  /** Agents of this call, in the order the call reached them. */
  order: string[];
  pool: string[];
  current?: string;
  offered?: string;
  connected: boolean;
  answeredAt?: number;
  talkMs: number;
  answeredBy?: string;
  arrivedAt?: number;
  /** The call has begun: it arrived (inbound), or was dialled or offered to its agent (outbound). */
  begun: boolean;
  /** The remote party of an outbound call is ringing, or has answered. */
  remoteRinging: boolean;
  remoteAnswered: boolean;
  /** Agents whose phone rings: offered (or called directly), not yet answered or missed. */
  ringing: Set<string>;
  hungUp: boolean;
  transferred: boolean;
  abandoned: boolean;
  outcomeHint?: "missed" | "abandoned";
  disposition?: string;
  callbackItems: number;
  overflowed: boolean;
  remote: PhoneNumber;
  answeredByRemote?: boolean;
}

export interface SimulateOptions {
  scenario: Scenario;
  vendor: Vendor;
  directory: Directory;
  rng: Rng;
  key: string;
  start: number;
  profile: string;
}

/** Runs a scenario's story once on the virtual clock and returns the call with its facts. */
export function simulateCall(opts: SimulateOptions): SimulatedCall {
  const { scenario, vendor, directory, rng } = opts;
  const queue =
    scenario.call.queue === "any"
      ? rng.pick(directory.queues)
      : directory.queues.find((q) => q.name === scenario.call.queue || q.key === scenario.call.queue);
  if (!queue) {
    throw new ScenarioError(
      `call.queue: "${scenario.call.queue}" is not a queue of ${vendor.id}; its queues are ${directory.queues.map((q) => q.name).join(", ")} (or "any")`,
      { file: displayPath(scenario.file), line: scenario.lineOf(["call", "queue"]) },
    );
  }
  const members = directory.members[queue.key] ?? directory.agents.map((a) => a.key);
  const pool = rng.shuffle(members.length ? members : directory.agents.map((a) => a.key));
  const st: State = {
    t: 0,
    facts: [],
    order: [],
    pool,
    connected: false,
    talkMs: 0,
    begun: false,
    remoteRinging: false,
    remoteAnswered: false,
    ringing: new Set(),
    hungUp: false,
    transferred: false,
    abandoned: false,
    callbackItems: 0,
    overflowed: false,
    remote: vendor.region.remoteNumber(rng, opts.profile),
  };
  const caller = vendor.region.callerNumber(rng, opts.profile);
  const remote = st.remote;
  runSteps(scenario.steps, ["steps"], st, rng, scenario);

  const direction = scenario.call.direction;
  const user = st.order[0];
  const targetIsUser = st.facts.some((f) => f.kind === "arrive" && f.target === "user");
  const agentByKey = (k: string | undefined) => directory.agents.find((a) => a.key === k);
  const dialled =
    direction === "outbound"
      ? remote
      : targetIsUser
        ? (agentByKey(user)?.number ?? queue.number)
        : queue.number;
  const summary = summarize(st, direction);
  return {
    key: opts.key,
    scenario: scenario.id,
    vendor: vendor.id,
    start: opts.start,
    direction,
    origin: scenario.call.origin,
    channel: scenario.call.channel,
    campaign: scenario.call.campaign,
    caller: direction === "outbound" ? (agentByKey(user)?.number ?? caller) : caller,
    dialled,
    queue: queue.key,
    user,
    callList: directory.callLists[0]?.key,
    facts: st.facts,
    flow: flowOf(scenario, st.facts),
    summary,
  };
}

/** The scenario's `flow:` with refs filled in, or the action steps' actions in order of first use. */
function flowOf(scenario: Scenario, facts: Fact[]): FlowAction[] | undefined {
  if (scenario.flow)
    return scenario.flow.map((a, i) => ({ ref: a.ref ?? String(i + 1), type: a.type, option: a.option }));
  const out: FlowAction[] = [];
  for (const f of facts) {
    if (f.kind !== "action") continue;
    const ref = f.ref ?? `${f.type}:${JSON.stringify(f.option ?? {})}`;
    if (!out.some((a) => a.ref === ref)) out.push({ ref, type: f.type, option: f.option });
  }
  return out.length ? out : undefined;
}

function summarize(st: State, direction: SimulatedCall["direction"]): CallSummary {
  const first = st.facts[0]?.at ?? 0;
  const answerFact = st.facts.find((f) => f.kind === "answer" || f.kind === "remote-answer");
  const hangup = st.facts.find((f) => f.kind === "hangup");
  let outcome: CallSummary["outcome"] = "none";
  if (direction !== "none") {
    if (st.transferred) outcome = "transferred";
    else if (answerFact) outcome = "answered";
    else if (direction === "outbound") outcome = "unanswered";
    else if (hangup?.kind === "hangup" && hangup.by === "caller" && !st.overflowed) outcome = "abandoned";
    else outcome = "missed";
  }
  const waitEnd = answerFact?.at ?? hangup?.at ?? st.t;
  return {
    outcome,
    answeredBy: st.answeredBy,
    agents: [...st.order],
    waitMs: direction === "inbound" ? Math.max(0, waitEnd - (st.arrivedAt ?? first)) : 0,
    talkMs: st.talkMs,
    durationMs: (hangup?.at ?? st.t) - first,
    disposition: st.disposition,
    callbackItems: st.callbackItems,
  };
}

function fail(scenario: Scenario, path: (string | number)[], message: string): never {
  throw new ScenarioError(message, { file: displayPath(scenario.file), line: scenario.lineOf(path) });
}

function agentFor(
  ref: number | "next" | "current" | undefined,
  st: State,
  scenario: Scenario,
  path: (string | number)[],
): string {
  if (ref === "current" || ref === undefined) {
    const a = st.current ?? st.order[st.order.length - 1];
    if (a) return a;
    ref = "next";
  }
  if (ref === "next") {
    const free = st.pool.find((a) => !st.order.includes(a));
    if (!free) fail(scenario, path, `the queue has no further agent to reach (it has ${st.pool.length})`);
    st.order.push(free);
    return free;
  }
  while (st.order.length < ref) {
    const free = st.pool.find((a) => !st.order.includes(a));
    if (!free) fail(scenario, path, `agent ${ref} does not exist: the queue has ${st.pool.length} agents`);
    st.order.push(free);
  }
  return st.order[ref - 1]!;
}

/** The agent an answer or a miss without an agent of its own is about: the last offered still ringing. */
function ringingAgent(st: State): string | undefined {
  if (st.offered && st.ringing.has(st.offered)) return st.offered;
  return [...st.ringing].pop();
}

function emit(st: State, scenario: Scenario, path: (string | number)[], fact: Fact): void {
  if (st.facts.length >= MAX_FACTS || st.t > MAX_VIRTUAL_MS) {
    fail(
      scenario,
      path,
      `the story never ends: it produced over ${MAX_FACTS} events or ran past 7 simulated days. Bound every repeat and give the call a hangup.`,
    );
  }
  st.facts.push(fact);
}

function runSteps(steps: Step[], path: (string | number)[], st: State, rng: Rng, scenario: Scenario): void {
  steps.forEach((step, i) => {
    runStep(step, [...path, i], st, rng, scenario);
  });
}

function runStep(step: Step, path: (string | number)[], st: State, rng: Rng, scenario: Scenario): void {
  if ("after" in step && step.after) st.t += sample(step.after, rng);
  const p = [...path, step.type];
  const at = st.t;
  const outbound = scenario.call.direction === "outbound";
  const needCall = () => {
    if (!st.begun)
      fail(
        scenario,
        p,
        `step "${step.type}" needs a call: begin the story with arrive (an inbound call) or dial (an outbound one)`,
      );
    if (st.hungUp)
      fail(scenario, p, `step "${step.type}" comes after the call was hung up; move it before the hangup`);
  };
  /** The first step of a call: once, and the way the scenario's call.direction says it begins. */
  const begin = (inbound: boolean) => {
    if (st.begun)
      fail(scenario, p, `step "${step.type}": the call has begun already; a scenario is one call`);
    if (inbound !== (scenario.call.direction === "inbound"))
      fail(
        scenario,
        p,
        inbound
          ? `arrive begins an inbound call, but call.direction is ${scenario.call.direction}: begin it with dial, or set direction: inbound`
          : `dial begins an outbound call, but call.direction is ${scenario.call.direction}: begin it with arrive, or set direction: outbound`,
      );
    st.begun = true;
  };
  /** Ringing and connect are the remote party of an outbound call. */
  const needRemote = () => {
    if (!outbound)
      fail(
        scenario,
        p,
        `${step.type} is the called party's, in an outbound call (call.direction: outbound); an inbound call's agent answers with answer`,
      );
    needCall();
  };
  switch (step.type) {
    case "arrive":
      begin(true);
      st.arrivedAt = at;
      emit(st, scenario, p, { kind: "arrive", at, target: step.target });
      if (step.target === "user") {
        st.current = agentFor("next", st, scenario, p);
        st.ringing.add(st.current);
      }
      return;
    case "ivr": {
      needCall();
      emit(st, scenario, p, { kind: "ivr", at, menu: step.menu });
      if (step.duration) st.t += sample(step.duration, rng);
      if (step.digits) emit(st, scenario, p, { kind: "dtmf", at: st.t, digits: step.digits });
      return;
    }
    case "enqueue":
      needCall();
      emit(st, scenario, p, { kind: "enqueue", at, queue: "" });
      return;
    case "wait":
      st.t += sample(step.duration, rng);
      return;
    case "talk": {
      if (!st.connected)
        fail(scenario, p, "talk needs a connected call: put an answer (or connect) step before it");
      const d = sample(step.duration, rng);
      st.t += d;
      st.talkMs += d;
      return;
    }
    case "offer": {
      // an outbound call may begin by ringing its agent (click to call, a preview dialer)
      if (outbound && !st.begun) st.begun = true;
      needCall();
      const agent = agentFor(step.agent, st, scenario, p);
      st.offered = agent;
      st.current = agent;
      st.ringing.add(agent);
      emit(st, scenario, p, { kind: "offer", at, agent });
      return;
    }
    case "answer": {
      needCall();
      const agent =
        step.agent !== undefined ? agentFor(step.agent, st, scenario, p) : (ringingAgent(st) ?? st.current);
      if (!agent || !st.ringing.has(agent))
        fail(
          scenario,
          p,
          step.agent === undefined
            ? "answer needs a ringing agent: put an offer step (or arrive with target user) before it"
            : `answer: agent ${step.agent}'s phone does not ring (it missed the call, answered it already, or was never offered it); offer the call to it first`,
        );
      // the first to answer takes the call; the other phones stop ringing
      st.ringing.clear();
      st.connected = true;
      st.offered = undefined;
      // an agent who answers after the customer did (a dialer) is the one who handled the call
      if (st.answeredBy === undefined || st.answeredByRemote) {
        st.answeredBy = agent;
        st.answeredByRemote = false;
      }
      st.answeredAt ??= at;
      emit(st, scenario, p, { kind: "answer", at, agent });
      return;
    }
    case "miss": {
      needCall();
      const agent = ringingAgent(st);
      if (!agent) fail(scenario, p, "miss needs a ringing agent: put an offer step before it");
      st.ringing.delete(agent);
      st.offered = undefined;
      emit(st, scenario, p, { kind: "miss", at, agent, reason: step.reason });
      return;
    }
    case "dial": {
      begin(false);
      const agent = agentFor(step.agent, st, scenario, p);
      st.current = agent;
      st.arrivedAt = at;
      emit(st, scenario, p, { kind: "dial", at, agent });
      return;
    }
    case "ringing":
      needRemote();
      if (st.remoteRinging || st.remoteAnswered)
        fail(
          scenario,
          p,
          st.remoteAnswered
            ? "ringing comes before connect: the called party has answered already"
            : "ringing comes once: the called party is ringing already",
        );
      st.remoteRinging = true;
      emit(st, scenario, p, { kind: "remote-ringing", at });
      return;
    case "connect":
      needRemote();
      if (st.remoteAnswered) fail(scenario, p, "connect comes once: the called party has answered already");
      st.remoteAnswered = true;
      st.connected = true;
      if (st.answeredBy === undefined) {
        st.answeredBy = st.current;
        st.answeredByRemote = true;
      }
      st.answeredAt ??= at;
      emit(st, scenario, p, { kind: "remote-answer", at, ...(step.amd ? { amd: step.amd } : {}) });
      return;
    case "transfer": {
      needCall();
      const from = st.current;
      if (!from || !st.connected)
        fail(scenario, p, "transfer needs a connected agent: put an answer step before it");
      const to =
        step.to === "external"
          ? { number: st.remote }
          : { agent: agentFor(step.to === "current" ? "next" : step.to, st, scenario, p) };
      emit(st, scenario, p, { kind: "transfer-start", at, mode: step.mode, from, to });
      if (step.consult) st.t += sample(step.consult, rng);
      emit(st, scenario, p, {
        kind: "transfer-end",
        at: st.t,
        mode: step.mode,
        outcome: step.outcome,
        from,
        to,
      });
      if (step.outcome === "connected") {
        st.transferred = true;
        if (to.agent) st.current = to.agent;
      }
      return;
    }
    case "hangup":
      needCall();
      st.hungUp = true;
      st.connected = false;
      emit(st, scenario, p, { kind: "hangup", at, by: step.by, cause: step.cause });
      return;
    case "overflow":
      needCall();
      st.overflowed = true;
      emit(st, scenario, p, { kind: "overflow", at, to: step.to });
      if (step.to === "callback") st.callbackItems++;
      return;
    case "wrapup": {
      const agent = st.answeredBy ?? st.current;
      if (!agent)
        fail(scenario, p, "wrapup needs an agent who handled the call: put an answer step before it");
      const d = Math.min(sample(step.duration, rng), step.max * 1000);
      emit(st, scenario, p, { kind: "wrapup-start", at, agent, maxSec: step.max });
      st.t += d;
      // whole seconds, truncated: a wrap-up ended by hand before the limit never reports the limit
      const elapsedSec = Math.floor(d / 1000);
      emit(st, scenario, p, {
        kind: "wrapup-end",
        at: st.t,
        agent,
        reason: d >= step.max * 1000 ? "timer" : step.end,
        elapsedSec,
      });
      return;
    }
    case "record":
      emit(st, scenario, p, { kind: "recording", at, agent: st.answeredBy, durationMs: st.talkMs });
      return;
    case "callback": {
      if (step.action === "create") st.callbackItems++;
      const agent = step.agent !== undefined ? agentFor(step.agent, st, scenario, p) : undefined;
      const result = step.result ? rng.weighted(step.result) : undefined;
      emit(st, scenario, p, {
        kind: "callback",
        at,
        action: step.action,
        typeId: step.type_ ?? 1,
        agent,
        result,
        note: step.note,
        notBeforeMs: step.notBefore ? sample(step.notBefore, rng) : undefined,
        dueMs: step.due ? sample(step.due, rng) : undefined,
      });
      return;
    }
    case "availability": {
      const agent = agentFor(step.agent, st, scenario, p);
      emit(st, scenario, p, {
        kind: "availability",
        at,
        agent,
        state: step.state,
        note: step.note,
        untilMs: step.for ? at + sample(step.for, rng) : undefined,
      });
      return;
    }
    case "disposition": {
      const agent = st.answeredBy ?? st.current;
      if (!agent) fail(scenario, p, "disposition needs an agent: put an answer or dial step before it");
      const choice = rng.weighted(step.value);
      st.disposition = choice.sub ? `${choice.value}/${choice.sub}` : choice.value;
      emit(st, scenario, p, { kind: "disposition", at, agent, value: choice.value, sub: choice.sub });
      return;
    }
    case "action": {
      needCall();
      const fromFlow = step.ref ? scenario.flow?.find((a) => a.ref === step.ref) : undefined;
      if (step.ref && !fromFlow) {
        const refs = (scenario.flow ?? []).flatMap((a) => (a.ref ? [a.ref] : []));
        fail(
          scenario,
          p,
          refs.length
            ? `action ref "${step.ref}" is not in the scenario's flow${didYouMean(closest(step.ref, refs), true)}; its refs are ${refs.join(", ")}`
            : scenario.flow
              ? `action ref "${step.ref}" names an entry of the scenario's flow:, and none of its actions has a ref; give them one`
              : `action ref "${step.ref}" names an entry of the scenario's flow:, and this file has none; list the actions under flow: (each with a ref), or give the action a type instead`,
        );
      }
      const type = step.type_ ?? fromFlow?.type;
      if (!type)
        fail(
          scenario,
          p,
          "an action needs a type (e.g. type: talk), or a ref to an entry of the scenario's flow:",
        );
      if (scenario.flow) {
        if (!step.ref && !scenario.flow.some((a) => a.type === type)) {
          const types = [...new Set(scenario.flow.map((a) => a.type))];
          fail(
            scenario,
            p,
            `action type "${type}" is not in the scenario's flow${didYouMean(closest(type, types), true)}; add it to flow: or use one of ${types.join(", ")}`,
          );
        }
      }
      emit(st, scenario, p, {
        kind: "action",
        at,
        type,
        ref: step.ref,
        option: step.option ?? fromFlow?.option,
        digits: step.digits,
      });
      if (type === "answer") {
        st.connected = true;
        st.answeredAt ??= at;
      }
      if (step.duration) st.t += sample(step.duration, rng);
      if (type === "hangup") {
        // the flow's hangup action ends the call from the PBX side
        st.hungUp = true;
        st.connected = false;
        emit(st, scenario, p, { kind: "hangup", at: st.t + 20, by: "system", cause: "normal" });
        st.t += 20;
      }
      return;
    }
    case "branch": {
      const idx = rng.weighted(step.options.map((o, j) => ({ weight: o.weight, value: j })));
      runSteps(step.options[idx]!.steps, [...path, "branch", idx, "steps"], st, rng, scenario);
      return;
    }
    case "repeat": {
      const n = rng.int(step.times[0], step.times[1]);
      for (let k = 0; k < n; k++) runSteps(step.steps, [...path, "repeat", "steps"], st, rng, scenario);
      return;
    }
  }
}

/** Runs a scenario once per seed to catch stories that fail for some branch, before anything is sent. */
export function preflight(
  scenario: Scenario,
  vendor: Vendor,
  directory: Directory,
  rng: Rng,
  profile: string,
  tries = 16,
): void {
  for (let i = 0; i < tries; i++) {
    simulateCall({
      scenario,
      vendor,
      directory,
      rng: rng.fork(`preflight/${i}`),
      key: "0",
      start: 0,
      profile,
    });
  }
}
