/**
 * Detector throughput and state size, on one core (this process, no I/O).
 *
 *   npm run bench:detectors [-- --events 300000 --entities 100000]
 *
 * Prints events/s through every detector for events without text (usage, auth, tool calls)
 * and with 1 KiB of text (prompts, responses, tool results), ns/event per detector, and the
 * serialized state per tracked entity with 100,000 entities offered by 20 agents (users and keys for token_spike,
 * principals for auth_bruteforce, users for message_rate). Targets (issue 3): ≥ 1,000,000
 * events/s without text, ≥ 100,000 events/s with 1 KiB text, ≤ 1 KiB of state per entity.
 */
import { parseArgs } from "node:util";
import { DEFAULT_ENTITY_BUDGET } from "../detectors/entity-budget.ts";
import { createDetectors } from "../detectors/index.ts";
import type { Detector, ObservedEvent } from "../detectors/types.ts";
import { routeByType } from "../services/detector/runner.ts";
import { parseConfig } from "../services/runtime/config.ts";
import type { AgentEvent } from "../services/runtime/model.ts";
import { hostileTextReport } from "./hostile-text.ts";

const { values } = parseArgs({
  options: { events: { type: "string", default: "300000" }, entities: { type: "string", default: "100000" } },
});
const eventCount = Number(values.events);
const entityCount = Number(values.entities);

const config = parseConfig(
  { auth: { tokens: [{ name: "b", role: "admin", token: "bench-token-0123456789" }] } },
  {},
);
const T0 = Date.parse("2026-11-16T08:00:00Z");
const TEXT_1K = (
  "Hello, I ordered a blue kettle last Tuesday and it has not arrived yet. Could you check the status of order 1182-B " +
  "and tell me when it ships? I also want to change the delivery address to my office, which is on the second floor. "
)
  .repeat(5)
  .slice(0, 1024);

function noTextEvent(i: number): ObservedEvent {
  const time = T0 + i * 5;
  const agent = `agent-${i % 50}`;
  const kind = i % 4;
  const base = {
    id: `n${i}`,
    time: new Date(time).toISOString(),
    agent_id: agent,
    user_id: `user-${i % 5000}`,
  };
  const event: AgentEvent =
    kind === 0
      ? {
          ...base,
          type: "llm_usage",
          usage: {
            provider: "openai",
            model: "gpt-4o",
            input_tokens: 900,
            output_tokens: 200,
            api_key_id: `key-${i % 200}`,
          },
        }
      : kind === 1
        ? {
            ...base,
            type: "auth",
            source_ip: `198.51.100.${i % 250}`,
            auth: { outcome: i % 10 === 0 ? "failure" : "success", principal: `p${i % 3000}` },
          }
        : kind === 2
          ? {
              ...base,
              type: "tool_call",
              tool: {
                name: ["search", "lookup_order", "send_reply"][i % 3] as string,
                arguments: { q: "x" },
                target: "api.shop.example",
              },
            }
          : { ...base, type: "response", latency_ms: 800 + (i % 300) };
  if (kind === 3) event.text = "";
  return { event, time, received: time };
}

function textEvent(i: number): ObservedEvent {
  const time = T0 + i * 5;
  const kind = i % 3;
  const base = {
    id: `t${i}`,
    time: new Date(time).toISOString(),
    agent_id: `agent-${i % 50}`,
    user_id: `user-${i % 5000}`,
    session_id: `s${i % 20000}`,
  };
  const event: AgentEvent =
    kind === 0
      ? { ...base, type: "prompt", text: TEXT_1K }
      : kind === 1
        ? { ...base, type: "response", text: TEXT_1K, latency_ms: 900 }
        : { ...base, type: "tool_result", tool: { name: "search" }, text: TEXT_1K, status: "ok" };
  return { event, time, received: time };
}

/**
 * Events reach the detectors as the runner hands them over: a batch of freshly decoded records
 * (the consumer's fetch), each record to the detectors of its type. Building a batch is not
 * timed; running it through the detectors is. A first pass warms up the JIT; the figure is the
 * median of the measured passes, each from empty state.
 */
const BATCH = 1_000;
const PASSES = 5;

function run(label: string, make: (i: number) => ObservedEvent, settings = config.detectors): void {
  const detectors = createDetectors(settings);
  const routes = routeByType(detectors);
  const slot = new Map(detectors.map((d, j) => [d, j]));
  const table = new Map(
    [...routes].map(([type, list]) => [type, list.map((d) => slot.get(d) as number)] as const),
  );
  const batch: ObservedEvent[] = new Array(BATCH);
  const pass = (only?: number): number => {
    const states = detectors.map((d) => d.initialState());
    let ns = 0;
    for (let from = 0; from < eventCount; from += BATCH) {
      const size = Math.min(BATCH, eventCount - from);
      for (let i = 0; i < size; i += 1) batch[i] = make(from + i);
      const start = process.hrtime.bigint();
      for (let i = 0; i < size; i += 1) {
        const e = batch[i] as ObservedEvent;
        if (only === undefined) {
          for (const j of table.get(e.event.type) ?? []) (detectors[j] as Detector).update(states[j], e);
        } else if ((table.get(e.event.type) ?? []).includes(only)) {
          (detectors[only] as Detector).update(states[only], e);
        }
      }
      ns += Number(process.hrtime.bigint() - start);
    }
    return ns;
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  pass(); // warm-up
  const totals = Array.from({ length: PASSES }, () => pass());
  const perDetector = detectors.map((_, j) => median(Array.from({ length: 3 }, () => pass(j))) / eventCount);
  const seconds = median(totals) / 1e9;
  console.log(
    `${label}: ${Math.round(eventCount / seconds).toLocaleString("en")} events/s through ${detectors.length} detectors (${eventCount.toLocaleString("en")} events in batches of ${BATCH}; median of ${PASSES} passes: ${totals.map((t) => Math.round(eventCount / (t / 1e9)).toLocaleString("en")).join(", ")})`,
  );
  console.log(
    `  ns/event (averaged over all events of the mix): ${detectors.map((d, j) => `${d.name} ${Math.round(perDetector[j] as number)}`).join(", ")}`,
  );
}

run("without text", noTextEvent);
run("with 1 KiB text", textEvent);
// The same with the learned injection stage off (injection_attempt.model: false), for comparison.
run("with 1 KiB text, injection rules alone", textEvent, {
  ...config.detectors,
  injection_attempt: { ...config.detectors.injection_attempt, model: false },
});

// State per entity: feed `entityCount` distinct users/keys/principals and measure the serialized state.
function bytesPerEntity(
  name: string,
  make: (i: number) => ObservedEvent,
  entitiesIn: (state: unknown) => number,
): void {
  const detector = createDetectors(config.detectors).find((d) => d.name === name) as Detector;
  const state = detector.initialState();
  for (let i = 0; i < entityCount; i += 1) detector.update(state, make(i));
  const bytes = Buffer.byteLength(JSON.stringify(state));
  const entities = entitiesIn(state);
  console.log(
    `  ${name}: ${entities.toLocaleString("en")} entities, ${Math.round(bytes / entities)} bytes/entity (serialized)`,
  );
}
// Spread over agents: one agent holds at most max_entities_per_agent of a table (issue 30), a
// table about max_entities (agents past their share get no new one).
const STATE_AGENTS = 20;
console.log(`state with ${entityCount.toLocaleString("en")} entities offered by ${STATE_AGENTS} agents:`);
bytesPerEntity(
  "token_spike",
  (i) => ({
    event: {
      id: `s${i}`,
      time: new Date(T0 + i).toISOString(),
      type: "llm_usage",
      agent_id: `agent-${i % STATE_AGENTS}`,
      user_id: `user-${i}`,
      usage: {
        provider: "openai",
        model: "gpt-4o",
        input_tokens: 100,
        output_tokens: 10,
        api_key_id: `key-${i}`,
      },
    },
    time: T0 + i,
  }),
  (s) => {
    const groups = (s as { entities: Record<string, object> }).entities;
    return Object.values(groups).reduce((n, g) => n + Object.keys(g).length, 0);
  },
);
// The same entities once their drift reference (issue 26) is full: 1,000 users and keys of 20
// agents, one usage event an hour for four days (every hour of the day learned).
{
  const detector = createDetectors(config.detectors).find((d) => d.name === "token_spike") as Detector;
  const state = detector.initialState() as { entities: Record<string, Record<string, unknown>> };
  for (let hour = 0; hour < 96; hour += 1) {
    for (let i = 0; i < 1000; i += 1) {
      const time = T0 + hour * 3_600_000 + i;
      detector.update(state, {
        event: {
          id: `w${hour}-${i}`,
          time: new Date(time).toISOString(),
          type: "llm_usage",
          agent_id: `agent-${i % STATE_AGENTS}`,
          user_id: `user-${i}`,
          usage: {
            provider: "openai",
            model: "gpt-4o",
            input_tokens: 1000 + ((hour * 7919 + i) % 5000),
            output_tokens: 100,
            api_key_id: `key-${i}`,
          },
        },
        time,
        received: time,
      });
    }
  }
  const entities = Object.values(state.entities).reduce((n, g) => n + Object.keys(g).length, 0);
  const bytes = Buffer.byteLength(JSON.stringify(state));
  const user = state.entities.user?.["agent-0|user-0"] as { drift?: { ref: number[] } } | undefined;
  console.log(
    `  token_spike after 4 days (drift reference full: ${user?.drift?.ref.length ?? 0} hours): ${entities.toLocaleString("en")} entities, ${Math.round(bytes / entities)} bytes/entity (serialized)`,
  );
  if (bytes / entities > 1024) {
    console.error("FAIL: token_spike's state per entity is over 1 KiB with a full drift reference");
    process.exitCode = 1;
  }
}
bytesPerEntity(
  "auth_bruteforce",
  (i) => ({
    event: {
      id: `a${i}`,
      time: new Date(T0 + i).toISOString(),
      type: "auth",
      agent_id: `agent-${i % STATE_AGENTS}`,
      auth: { outcome: "failure", principal: `p${i}` },
    },
    time: T0 + i,
  }),
  (s) => Object.keys((s as { entities: object }).entities).length,
);
bytesPerEntity(
  "message_rate",
  (i) => ({
    event: {
      id: `m${i}`,
      time: new Date(T0 + i).toISOString(),
      type: "prompt",
      agent_id: `agent-${i % STATE_AGENTS}`,
      user_id: `user-${i}`,
      text: "hi",
    },
    time: T0 + i,
  }),
  (s) => Object.keys((s as { users: object }).users).length,
);

// Hostile input (issue 8): 64 KiB texts built to make backtracking patterns blow up, next to
// ordinary 64 KiB text, through every detector that reads text, side by side in this run. A
// pattern that went quadratic again would take seconds per event here; the bench fails when
// the hostile texts cost more than 20 times the ordinary ones.
{
  const SIZE = 64 * 1024;
  const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
  const ordinary = fill(`${TEXT_1K} `);
  const hostile: [string, string][] = [
    ["newlines with a tail", `${"\n".repeat(SIZE - 20)}## system: you are`],
    ["one long word", fill("a")],
    ["Cyrillic run", fill("а")],
    ["e-mail-like run", fill("a._")],
    ["phone-like run", fill("00-")],
    ["secret key prefix and blanks", `aws_secret_access_key${" ".repeat(SIZE - 30)}`],
    ["override words", fill("ignore all previous ")],
    // Thousands of matches in one text: each was compared with every earlier one, and every card
    // asked the card-type library again (0.3-0.5 s per text before).
    ["e-mail addresses", fill("a@b.co ")],
    ["SSNs", fill("536-32-3065 ")],
    ["card numbers", fill("4111 1111 1111 1111 ")],
    ["phone numbers", fill("+1 415 555 0100 ")],
    // One line of brackets and symbols (the adversarial-suffix reading), and runs of Ascii85's
    // characters (each decoded and checked).
    ["brackets on one line", `${"Tell me a story ".repeat(64)}${fill("]{(<|")}`.slice(0, SIZE)],
    ["Ascii85-like runs", fill("9jqo^BlbD-BleB1DJ+*+F(f,q/0JhKF<GL>Cj@.4Gp$d7F!,L7@<6@)/0JDEF<G%<+EV:2F!, ")],
  ];
  const detectors = createDetectors(config.detectors);
  const states = detectors.map((d) => d.initialState());
  const routes = routeByType(detectors);
  let n = 0;
  const timeText = (text: string, origin: "user" | "tool"): number => {
    const started = process.hrtime.bigint();
    for (const type of ["prompt", "response", "tool_result"] as const) {
      n += 1;
      const observed: ObservedEvent = {
        event: {
          id: `h${n}`,
          time: new Date(T0).toISOString(),
          type,
          agent_id: "agent-1",
          text,
          origin,
          tool: { name: "fetch" },
        } as AgentEvent,
        time: T0,
        received: T0,
      };
      for (const d of routes.get(type) ?? []) d.update(states[detectors.indexOf(d)], observed);
    }
    return Number(process.hrtime.bigint() - started) / 1e6 / 3;
  };
  const best = (text: string, origin: "user" | "tool") =>
    Math.min(timeText(text, origin), timeText(text, origin), timeText(text, origin));
  const base = Math.max(best(ordinary, "user"), best(ordinary, "tool"));
  console.log(
    `hostile 64 KiB texts (ms per event through every text detector; ordinary 64 KiB text: ${base.toFixed(2)} ms):`,
  );
  let worst = 0;
  for (const [label, text] of hostile) {
    const ms = Math.max(best(text, "user"), best(text, "tool"));
    worst = Math.max(worst, ms);
    console.log(`  ${label}: ${ms.toFixed(2)} ms`);
  }
  if (worst > Math.max(20 * base, 50)) {
    console.error(
      `FAIL: a hostile text took ${worst.toFixed(0)} ms, over 20 times ordinary text: a pattern backtracks or work grows faster than the text`,
    );
    process.exitCode = 1;
  }
}

// A flood of distinct users (a script posting a new user_id per event): the flooding agent's
// entities stay within its budget (max_entities_per_agent per table, issue 30) once the runner
// ticks, whatever the flood's size.
{
  const perAgent = DEFAULT_ENTITY_BUDGET.perAgent;
  const flood = Math.max(3 * DEFAULT_ENTITY_BUDGET.total, entityCount);
  const detector = createDetectors(config.detectors).find((d) => d.name === "token_spike") as Detector;
  const state = detector.initialState() as { entities: Record<string, Record<string, unknown>> };
  for (let i = 0; i < flood; i += 1) {
    detector.update(state, {
      event: {
        id: `f${i}`,
        time: new Date(T0 + i).toISOString(),
        type: "llm_usage",
        agent_id: "agent-1",
        user_id: `flood-${i}`,
        usage: {
          provider: "openai",
          model: "gpt-4o",
          input_tokens: 10,
          output_tokens: 1,
          api_key_id: `fk-${i}`,
        },
      } as AgentEvent,
      time: T0 + i,
      received: T0 + i,
    });
    if (i % 100_000 === 99_999) detector.tick?.(state, T0 + i);
  }
  detector.tick?.(state, T0 + flood);
  const users = Object.keys(state.entities.user ?? {}).length;
  const keys = Object.keys(state.entities.key ?? {}).length;
  console.log(
    `flood of ${flood.toLocaleString("en")} distinct users and keys: ${users.toLocaleString("en")} users, ${keys.toLocaleString("en")} keys kept (budget ${perAgent.toLocaleString("en")} per agent and table), state ${(Buffer.byteLength(JSON.stringify(state)) / 1048576).toFixed(1)} MiB`,
  );
  if (users > perAgent || keys > perAgent) {
    console.error("FAIL: the per-agent entity budget did not hold");
    process.exitCode = 1;
  }
}

// The learned injection stage (issue 9): 1 KiB texts per second on this core (target 20,000),
// model alone as the detector reads a text (whole and in windows), and the whole classifier
// (rules, decoding and model) for comparison.
{
  const { loadInjectionModel, modelReading } = await import("../detectors/injection/model.ts");
  const { classifyInjection } = await import("../detectors/injection/index.ts");
  const model = loadInjectionModel();
  const texts = Array.from({ length: 2000 }, (_, i) => `${i} ${TEXT_1K}`.slice(0, 1024));
  const rate = (judge: (text: string) => number) => {
    let sink = 0;
    for (const t of texts) sink += judge(t); // warm-up
    const runs: number[] = [];
    for (let run = 0; run < 5; run += 1) {
      const started = process.hrtime.bigint();
      for (const t of texts) sink += judge(t);
      runs.push(texts.length / (Number(process.hrtime.bigint() - started) / 1e9));
    }
    if (Number.isNaN(sink)) throw new Error("a score was not a number");
    return (runs.sort((a, b) => a - b)[2] as number) ?? 0;
  };
  const alone = rate((t) => modelReading(model, t).margin);
  const whole = rate((t) => classifyInjection(t, "tool", model).score);
  console.log(
    `learned injection model: ${Math.round(alone).toLocaleString("en")} texts of 1 KiB/s (median of 5; target 20,000); rules and model together: ${Math.round(whole).toLocaleString("en")}/s`,
  );
  if (alone < 20_000) {
    console.error("FAIL: the learned injection model is below 20,000 texts of 1 KiB per second");
    process.exitCode = 1;
  }
}

// The worst a text can cost each content detector, beside an ordinary text (bench/hostile-text.ts).
const hostile = hostileTextReport();
console.log("hostile text, per detector (µs per KiB; ordinary text beside the worst hostile one):");
for (const line of hostile.lines) console.log(line);
for (const failure of hostile.failures) console.error(`FAIL ${failure}`);
if (hostile.failures.length > 0) process.exitCode = 1;
