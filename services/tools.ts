/**
 * The offline tools behind `agentwatch scan`, `simulate` and `replay`.
 */
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import {
  classifyInjection,
  type FeatureContribution,
  featureContributions,
  type InjectionModel,
  type InjectionStages,
  loadInjectionModel,
  type Origin,
} from "../detectors/injection/index.ts";

import { findSensitive, redact } from "../detectors/sensitive.ts";
import { EventValidator } from "./collector/event-schema.ts";
import { Replayer } from "./replay.ts";
import { type Config, parseConfig } from "./runtime/config.ts";
import { AgentwatchError } from "./runtime/errors.ts";
import type { AgentEvent } from "./runtime/model.ts";
import type { Storage } from "./runtime/storage/storage.ts";
import { groundTruth, SCENARIOS, type Scenario, type SimulationOptions, simulate } from "./simulate.ts";

export interface ScanResult {
  index: number;
  type: string;
  injection: {
    score: number;
    evidence: { rule: string; match: string; via?: string }[];
    /** With --explain: why, stage by stage. */
    explain?: InjectionExplanation;
  };
  pii: { type: string; start: number; end: number }[];
  secrets: { type: string; start: number; end: number }[];
  redacted: string;
}

/**
 * Scans one text the way the detectors would with their defaults: injection score (rules and the
 * learned model) and evidence, PII and secrets (redacted).
 */
export function scanText(text: string, type: string, index: number, explain = false): ScanResult {
  const origin: Origin = type === "tool_result" ? "tool" : type === "retrieval" ? "retrieval" : "user";
  const model = loadInjectionModel();
  const verdict = classifyInjection(text, origin, model, { explain });
  const found = findSensitive(text);
  return {
    index,
    type,
    injection: {
      score: verdict.score,
      evidence: verdict.evidence.map((e) => ({ ...e, match: redact(e.match) })),
      ...(explain && verdict.stages ? { explain: explainVerdict(model, verdict.score, verdict.stages) } : {}),
    },
    pii: found
      .filter((m) => m.category === "pii")
      .map(({ type: t, start, end }) => ({ type: t, start, end })),
    secrets: found
      .filter((m) => m.category === "secret")
      .map(({ type: t, start, end }) => ({ type: t, start, end })),
    redacted: redact(text, found),
  };
}

/** `scan --explain`: each stage's score and what made it, so a false positive can be understood and reported. */
export interface InjectionExplanation {
  /** The combined score, 1 − (1 − rules)(1 − model), flagged from 0.5. */
  score: number;
  rules: { score: number; fired: { rule: string; weight: number; via?: string }[] };
  model?: {
    score: number;
    margin: number;
    /** The margin at which the model alone scores 0.5 (its threshold). */
    threshold_margin: number;
    /** What it read: the text whole, its strongest window, or what was decoded from it. */
    read: "whole text" | "strongest window" | `decoded (${string})`;
    /** The part read, redacted, at most 400 characters. */
    text: string;
    bias: number;
    /** The features that raised the margin most, and those that lowered it most (weight × count / √occurrences). */
    raising: FeatureContribution[];
    lowering: FeatureContribution[];
  };
  /** How to report a false positive so the model learns from it. */
  report: string;
}

const EXPLAIN_FEATURES = 10;

function explainVerdict(model: InjectionModel, score: number, stages: InjectionStages): InjectionExplanation {
  const report =
    "If this text is benign: mark the finding it raised as a false positive (POST /v1/incidents/{id}/false-positive " +
    "or the console), export the marked texts with `agentwatch export-feedback --out FILE`, and retrain with " +
    "`npm run train:injection -- --extra FILE`; or send this output with the text to the project.";
  const read = stages.model;
  if (!read) return { score, rules: stages.rules, report };
  const found = findSensitive(read.text);
  // Words of a secret or personal datum found in the read text are not printed as features.
  const hidden = new Set(
    found
      .flatMap((m) =>
        read.text
          .slice(m.start, m.end)
          .toLowerCase()
          .split(/[^\p{L}\p{N}]+/u),
      )
      .filter(Boolean),
  );
  const shown = (f: FeatureContribution): FeatureContribution => ({
    ...f,
    feature: f.feature
      .split(" ")
      .map((word) => (hidden.has(word) ? "<redacted>" : word))
      .join(" "),
    weight: Math.round(f.weight * 1000) / 1000,
    contribution: Math.round(f.contribution * 1000) / 1000,
  });
  const { bias, features } = featureContributions(model, read.text);
  const explained: InjectionExplanation["model"] = {
    score: read.score,
    margin: Math.round(read.margin * 1000) / 1000,
    threshold_margin: Math.round(read.thresholdMargin * 1000) / 1000,
    read: read.via ? `decoded (${read.via})` : read.whole ? "whole text" : "strongest window",
    text: redact(read.text, found).slice(0, 400),
    bias: Math.round(bias * 1000) / 1000,
    raising: features
      .filter((f) => f.contribution > 0)
      .slice(0, EXPLAIN_FEATURES)
      .map(shown),
    lowering: features
      .filter((f) => f.contribution < 0)
      .slice(0, EXPLAIN_FEATURES)
      .map(shown),
  };
  return { score, rules: stages.rules, model: explained, report };
}

/**
 * Input is JSONL (objects with `text` and optional `type`) when its first non-empty line is a
 * JSON object, and otherwise plain text: one input for the whole text.
 */
/** What `scan` may be told a text is (JSONL "type"). */
export const SCAN_TYPES = ["prompt", "tool_result", "retrieval", "response"] as const;
/** What a finding of `scan` can be, for --fail-on. */
export const SCAN_KINDS = ["injection", "pii", "secrets"] as const;
export type ScanKind = (typeof SCAN_KINDS)[number];

/** Which kinds a result has found: injection at the detector's default threshold (0.5), any PII, any secret. */
export function foundKinds(result: ScanResult): ScanKind[] {
  const kinds: ScanKind[] = [];
  if (result.injection.score >= 0.5) kinds.push("injection");
  if (result.pii.length > 0) kinds.push("pii");
  if (result.secrets.length > 0) kinds.push("secrets");
  return kinds;
}

/**
 * Scans JSONL (one object with "text", and "type" among SCAN_TYPES, per line) or plain text
 * (scanned whole, as one input: it is not split into lines). Returns the results.
 */
export function scanInput(input: string, write: (line: string) => void, explain = false): ScanResult[] {
  const lines = input.split("\n");
  const first = lines.find((l) => l.trim() !== "")?.trim() ?? "";
  let jsonl = false;
  if (first.startsWith("{")) {
    try {
      jsonl = typeof (JSON.parse(first) as { text?: unknown }).text === "string";
    } catch {
      jsonl = false;
    }
  }
  if (!jsonl) {
    const result = scanText(input, "prompt", 0, explain);
    write(JSON.stringify(result));
    return [result];
  }
  const results: ScanResult[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let row: { text?: unknown; type?: unknown };
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new AgentwatchError(
        "invalidRequest",
        `line ${i + 1} is not valid JSON: ${(err as Error).message}`,
      );
    }
    if (typeof row.text !== "string")
      throw new AgentwatchError("invalidRequest", `line ${i + 1} has no "text" string`);
    const type = row.type ?? "prompt";
    if (typeof type !== "string" || !(SCAN_TYPES as readonly string[]).includes(type)) {
      throw new AgentwatchError(
        "invalidRequest",
        `line ${i + 1}: type must be one of ${SCAN_TYPES.join(", ")} (got ${JSON.stringify(type)})`,
      );
    }
    const result = scanText(row.text, type, results.length, explain);
    write(JSON.stringify(result));
    results.push(result);
  });
  return results;
}

export interface SimulateArgs {
  agents: number;
  users: number;
  days: number;
  start: number;
  seed: number;
  attacks: Scenario[];
  /** Also the providers' usage records of every minute (SimulationOptions.providers). */
  providers?: boolean;
  /** Every hour alike, no office hours or weekends (SimulationOptions.flat). */
  flat?: boolean;
  /** Slow ramps: agent i's traffic multiplied up to `factors[i]` over `hours`, from the last day's start. */
  ramp?: { factors: number[]; hours: number };
}

/**
 * The attacks of a simulation: spread over the last two days (after a learning week when there
 * is one), in office hours of agents on UTC (agent i has UTC offset [-5, 0, 1, 5.5, 9][i % 5]).
 */
export function planAttacks(args: SimulateArgs): SimulationOptions["attacks"] {
  const firstDay = Math.max(0, Math.min(7, args.days - 2));
  return args.attacks.map((scenario, n) => ({
    scenario,
    at: (firstDay + (n % 2)) * 86_400_000 + (10 + (Math.floor(n / 2) % 7)) * 3_600_000,
    agent: args.agents > 5 ? (1 + 5 * n) % args.agents : n % args.agents,
  }));
}

export function parseScenarios(list: string): Scenario[] {
  if (list === "all") return [...SCENARIOS];
  if (list === "none" || list === "") return [];
  const names = list.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new AgentwatchError(
      "invalidRequest",
      `unknown scenario ${unknown.join(", ")}; scenarios are ${SCENARIOS.join(", ")}, all, none`,
    );
  }
  return names as Scenario[];
}

function simulationOptions(args: SimulateArgs): SimulationOptions {
  return {
    agents: args.agents,
    usersPerAgent: args.users,
    days: args.days,
    start: args.start,
    seed: args.seed,
    attacks: planAttacks(args),
    ...(args.providers ? { providers: true } : {}),
    ...(args.flat ? { flat: true } : {}),
    // The ramps start at the last day's start: the days before are what the references learn.
    ...(args.ramp ? { ramp: { ...args.ramp, at: (args.days - 1) * 86_400_000 } } : {}),
  };
}

/** Writes the simulation as NDJSON (one event a line) and its ground truth as JSON. */
export async function writeSimulation(
  args: SimulateArgs,
  out: NodeJS.WritableStream,
  truthFile?: string,
): Promise<number> {
  const options = simulationOptions(args);
  if (truthFile) writeFileSync(truthFile, `${JSON.stringify(groundTruth(options), null, 2)}\n`);
  let count = 0;
  let buffer = "";
  for (const event of simulate(options)) {
    buffer += `${JSON.stringify(event)}\n`;
    count += 1;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise((resolve) => out.once("drain", resolve));
      buffer = "";
    }
  }
  out.write(buffer);
  return count;
}

/** Posts the simulation to a running agentwatch in batches of up to 1,000 events. */
export interface PostResult {
  sent: number;
  accepted: number;
  duplicates: number;
  /** Events kept under a new id because theirs was used before for other content. */
  conflicts: number;
  rejected: number;
  /** The first rejections, with the server's reasons. */
  reasons: { id?: string; error: string }[];
}

/** Posts the simulated traffic; the result counts what the server accepted and refused, and why. */
export async function postSimulation(
  args: SimulateArgs,
  url: string,
  token: string,
  log: (line: string) => void,
): Promise<PostResult> {
  const options = simulationOptions(args);
  let batch: AgentEvent[] = [];
  let sent = 0;
  const result: PostResult = {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    conflicts: 0,
    rejected: 0,
    reasons: [],
  };
  const flush = async () => {
    if (batch.length === 0) return;
    const body = `${batch.map((e) => JSON.stringify(e)).join("\n")}\n`;
    for (let attempt = 1; ; attempt += 1) {
      const res = await fetch(`${url.replace(/\/$/, "")}/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
        body,
      });
      const text = await res.text();
      if (res.status === 202 || res.status === 400) {
        // 202: some may still be refused; 400: all of them were. Either way, counted with reasons.
        const answer = JSON.parse(text) as {
          accepted?: number;
          duplicates?: number;
          conflicts?: unknown[];
          rejected?: { id?: string; error: string }[];
          error?: { details?: { rejected?: { id?: string; error: string }[] } };
        };
        const rejected = answer.rejected ?? answer.error?.details?.rejected ?? [];
        result.accepted += answer.accepted ?? 0;
        result.duplicates += answer.duplicates ?? 0;
        result.conflicts += answer.conflicts?.length ?? 0;
        result.rejected += rejected.length;
        for (const r of rejected)
          if (result.reasons.length < 10)
            result.reasons.push({ id: r.id, error: r.error } as { id?: string; error: string });
        break;
      }
      if ((res.status === 429 || res.status === 503) && attempt < 20) {
        await new Promise((r) => setTimeout(r, Number(res.headers.get("retry-after") ?? 1) * 1000));
        continue;
      }
      throw new AgentwatchError(
        "deliveryFailed",
        `POST ${url}/v1/events answered ${res.status}: ${text.slice(0, 300)}`,
      );
    }
    sent += batch.length;
    if (sent % 100_000 < batch.length) log(`posted ${sent} events`);
    batch = [];
  };
  let providerRecords = 0;
  for (const event of simulate(options)) {
    // The providers' records reach agentwatch from the providers (its pollers), never through the
    // ingest API, where they would be an agent's report: they are left out of what is posted.
    if ((event.attributes as Record<string, unknown> | undefined)?.reported_by === "provider") {
      providerRecords += 1;
      continue;
    }
    batch.push(event);
    if (batch.length === 1000) await flush();
  }
  await flush();
  if (providerRecords > 0) {
    log(
      `${providerRecords} provider usage records (leaked_key, --providers) not posted: agentwatch reads those from the providers; write them to a file and replay it`,
    );
  }
  result.sent = sent;
  return result;
}

/** Replays an NDJSON file of events (as posted, or as GET /v1/events returns them) through the detectors. */
export async function replayFile(
  file: string,
  config: Config,
  progress?: (done: number, total: number) => void,
) {
  const total = (await stat(file)).size;
  const replayer = new Replayer(config);
  // Events are checked exactly as ingest checks them (not their time against a clock: a replay
  // is of the past); an event ingest would refuse is skipped, counted and said why.
  const validator = new EventValidator({
    maxTextBytes: config.limits.max_text_bytes,
    maxAttributesBytes: config.limits.max_attributes_bytes,
    maxToolArgumentsBytes: config.limits.max_tool_arguments_bytes,
    maxAheadMs: config.limits.max_event_time_ahead,
    maxBehindMs: config.limits.max_event_time_behind,
  });
  let rejected = 0;
  const rejections: { line: number; id?: string; error: string }[] = [];
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let read = 0;
  let lineNo = 0;
  let lastReport = 0;
  for await (const line of lines) {
    lineNo += 1;
    read += Buffer.byteLength(line) + 1;
    if (line.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new AgentwatchError(
        "invalidRequest",
        `${file} line ${lineNo} is not valid JSON: ${(err as Error).message}`,
      );
    }
    // Lines from the collector's bus carry the event under "event".
    const candidate = (row as { event?: unknown }).event ?? row;
    const checked = validator.validate(candidate);
    if (!checked.ok) {
      rejected += 1;
      if (rejections.length < 20) {
        const id = (candidate as { id?: unknown }).id;
        rejections.push({ line: lineNo, ...(typeof id === "string" ? { id } : {}), error: checked.error });
      }
      continue;
    }
    replayer.push(checked.event);
    if (progress && read - lastReport > total / 200) {
      lastReport = read;
      progress(read, total);
    }
  }
  progress?.(total, total);
  return { ...replayer.finish(), rejected, rejections };
}

/** The config for offline tools: the file's detector settings, or the defaults. */
export function offlineConfig(file: string | undefined, load: (file: string) => Config): Config {
  if (file) return load(file);
  return parseConfig(
    { auth: { tokens: [{ name: "offline", role: "admin", token: "offline-tools-token-unused" }] } },
    {},
  );
}

export function readInput(file: string | undefined): string {
  try {
    return readFileSync(file ?? 0, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AgentwatchError(
      "invalidRequest",
      code === "ENOENT"
        ? `there is no file ${file}`
        : `cannot read ${file ?? "standard input"}: ${(err as Error).message}`,
    );
  }
}

export function outputStream(file: string | undefined): NodeJS.WritableStream {
  return file ? createWriteStream(file) : process.stdout;
}

/** One labelled row of `agentwatch export-feedback`, in the injection training data's form. */
export interface FeedbackRow {
  text: string;
  label: 0;
  kind: "benign_prompt" | "benign_content";
  source: string;
  detector: string;
  agent_id: string;
  event_id: string;
  event_type: string;
  marked_by: string;
  marked_at: string;
  comment: string | null;
}

/**
 * The findings operators marked as false positives, as labelled rows (label 0) with the text of
 * the events they were raised on: what a team retrains on (`npm run train:injection` reads the
 * same form). Writes one JSON line per row; returns how many.
 */
export async function exportFeedback(storage: Storage, write: (line: string) => void): Promise<number> {
  let rows = 0;
  for (const status of ["resolved", "acknowledged", "open"] as const) {
    for (const { incident } of await storage.listIncidents({ status, limit: 10_000 })) {
      for (const feedback of incident.feedback ?? []) {
        const events = await storage.getEvents(
          feedback.event_ids.map((id) => ({ agent_id: incident.agent_id, id })),
        );
        for (const { event } of events) {
          const text = feedbackText(event);
          if (!text) continue;
          const row: FeedbackRow = {
            text,
            label: 0,
            kind:
              event.type === "prompt" && (event.origin ?? "user") === "user"
                ? "benign_prompt"
                : "benign_content",
            source: `agentwatch-feedback:${incident.id}/${feedback.finding_id}`,
            detector: feedback.detector,
            agent_id: event.agent_id,
            event_id: event.id,
            event_type: event.type,
            marked_by: feedback.by,
            marked_at: feedback.at,
            comment: feedback.comment,
          };
          write(JSON.stringify(row));
          rows += 1;
        }
      }
    }
  }
  return rows;
}

/** The text a detector judged in an event. */
function feedbackText(event: AgentEvent): string | undefined {
  if (event.text) return event.text;
  if (event.type === "tool_call" && event.tool?.arguments) return JSON.stringify(event.tool.arguments);
  return event.error?.message ?? event.change?.summary;
}
