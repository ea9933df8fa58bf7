import type { Incident } from "../../runtime/model.ts";

/**
 * Text from detectors' findings reaches people through the notifiers, and it is built from agent
 * events: an attacker writes it. Every notifier puts it through `oneLine`, so it cannot add
 * lines that pose as headers or as agentwatch's own fields, nor hide or reorder what is shown.
 */

/**
 * Control characters (line breaks included), Unicode line and paragraph separators, and the
 * bidirectional overrides and isolates (which can display text in another order than it is
 * written) become spaces; runs of them one space.
 */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, " ");
}

/**
 * Slack's mrkdwn and plain `text` need `&`, `<` and `>` escaped (its formatting reference):
 * unescaped, `<!channel>` pings a channel and `<https://x|Reset>` posts a link as the bot.
 * mrkdwn has no escape for its formatting characters, so the ones an attacker could use to
 * restyle agentwatch's message (`*bold*`, `` `code` ``, `~strike~`, `_italic_` at a word's edge)
 * are shown as look-alikes (∗ ˋ ˜ ˍ); snake_case names keep their underscores. URLs are defanged
 * as security tools show indicators (`hxxps://evil[.]example/...`), so none is a link to click
 * (the blocks are also `verbatim`, which stops Slack's own linking of URLs and channel names).
 */
export function escapeSlack(text: string): string {
  return defangUrls(oneLine(text))
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll("*", "\u2217")
    .replaceAll("`", "\u02cb")
    .replaceAll("~", "\u02dc")
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, "\u02cd");
}

/** `https://evil.example/x` → `hxxps://evil[.]example/x`: readable, not clickable. Linear. */
export function defangUrls(text: string): string {
  return text.replace(/\b(h)tt(ps?):\/\/([^\s/?#]{0,255})/gi, (_, h: string, rest: string, host: string) => {
    return `${h}xx${rest}://${host.replaceAll(".", "[.]")}`;
  });
}

/** The incident in the console at server.external_url, or undefined when that is not set. */
export function incidentLink(externalUrl: string | undefined, incidentId: string): string | undefined {
  if (!externalUrl) return undefined;
  let base = externalUrl;
  while (base.endsWith("/")) base = base.slice(0, -1);
  return `${base}/ui/#/incidents/${encodeURIComponent(incidentId)}`;
}

/** The facts every notifier shows, in this order (Slack's fields, the e-mail's table). */
export function incidentFacts(incident: Incident, agentNote = ""): [string, string][] {
  return [
    ["Agent", `${incident.agent_id}${agentNote}`],
    ["Detector", incident.detectors?.join(", ") || incident.detector],
    ["Severity", incident.severity],
    ["Findings", String(incident.finding_count ?? incident.findings.length)],
    ["Started", incident.started_at],
    ...(incident.session_id ? ([["Session", incident.session_id]] as [string, string][]) : []),
  ];
}

/** The incident's facts as Slack section fields (mrkdwn, escaped). */
export function slackFields(
  incident: Incident,
  agentNote = "",
): { type: "mrkdwn"; verbatim: true; text: string }[] {
  return incidentFacts(incident, agentNote).map(([name, value]) => ({
    type: "mrkdwn",
    verbatim: true,
    text: `*${name}*\n${escapeSlack(value)}`,
  }));
}

/** The incident's latest findings, one escaped mrkdwn line each ("" when it has none). */
export function slackRecentFindings(incident: Incident, max: number): string {
  return incident.findings
    .slice(-max)
    .map((f) => `• ${f.time} ${escapeSlack(f.detector)}: ${escapeSlack(f.summary ?? "")}`)
    .join("\n");
}
