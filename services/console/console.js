// agentwatch's web console: one page, no build, served by agentwatch at /ui. Everything it shows
// comes from the HTTP API with the signed-in token; the server decides what a token may do, and
// the page only reflects it (a viewer is offered no action). Event text is hostile (the people
// agentwatch watches write it): everything is put on the page as text, never as HTML.

const TOKEN_KEY = "agentwatch.token";
const REFRESH_MS = 5000;
const state = { token: sessionStorage.getItem(TOKEN_KEY), me: null, timer: null };

/** An element with attributes (on* are listeners) and children (strings become text nodes). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const $ = (id) => document.getElementById(id);
const canOperate = () => state.me && (state.me.role === "operator" || state.me.role === "admin");
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

function showError(message) {
  $("status").textContent = message ?? "";
}

/** Calls the API; a failure shows the server's own message and throws. */
async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      Authorization: `Bearer ${state.token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (response.status === 401) {
    signOut("The token is no longer valid; sign in again.");
    throw new Error("unauthorized");
  }
  if (!response.ok) {
    const message = data.error?.message ?? `${method} ${path} answered ${response.status}`;
    showError(message);
    throw new Error(message);
  }
  showError("");
  return data;
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.me = null;
  render();
  $("sign-in-error").textContent = message ?? "";
}

async function signIn(token) {
  state.token = token;
  try {
    const response = await fetch("/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error?.message ?? `sign-in answered ${response.status}`);
    state.me = data;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("sign-in-error").textContent = "";
  } catch (err) {
    state.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    $("sign-in-error").textContent = err.message;
  }
  render();
}

/** A form's action button: runs `act`, then re-renders; disabled while it runs. */
function actionButton(label, act, attributes = {}) {
  return h(
    "button",
    {
      type: "button",
      ...attributes,
      onclick: async (event) => {
        event.target.disabled = true;
        try {
          await act();
          await render();
        } catch {
          // The message is on the page already (showError).
        } finally {
          event.target.disabled = false;
        }
      },
    },
    label,
  );
}

// --- Incidents ---------------------------------------------------------------------------------

function incidentFilters() {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  return {
    status: params.get("status") ?? "",
    agent_id: params.get("agent_id") ?? "",
    severity: params.get("severity") ?? "",
  };
}

async function incidentsView() {
  const filters = incidentFilters();
  const query = new URLSearchParams({ limit: "200" });
  if (filters.status) query.set("status", filters.status);
  if (filters.agent_id) query.set("agent_id", filters.agent_id);
  const { incidents } = await api("GET", `/v1/incidents?${query}`);
  const shown = filters.severity ? incidents.filter((i) => i.severity === filters.severity) : incidents;
  const apply = (form) => {
    const next = new URLSearchParams();
    for (const name of ["status", "severity", "agent_id"]) {
      const value = form.elements[name].value.trim();
      if (value) next.set(name, value);
    }
    location.hash = `#/incidents${next.size ? `?${next}` : ""}`;
  };
  const select = (name, options, value) =>
    h(
      "select",
      { name },
      options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
    );
  return [
    h("h1", {}, "Incidents"),
    h(
      "form",
      {
        className: "filters",
        id: "incident-filters",
        onsubmit: (event) => {
          event.preventDefault();
          apply(event.target);
        },
      },
      h(
        "label",
        {},
        "Status",
        select(
          "status",
          [
            ["", "any"],
            ["open", "open"],
            ["acknowledged", "acknowledged"],
            ["resolved", "resolved"],
          ],
          filters.status,
        ),
      ),
      h(
        "label",
        {},
        "Severity",
        select(
          "severity",
          [
            ["", "any"],
            ["critical", "critical"],
            ["warning", "warning"],
            ["info", "info"],
          ],
          filters.severity,
        ),
      ),
      h(
        "label",
        {},
        "Agent",
        h("input", { name: "agent_id", value: filters.agent_id, placeholder: "agent id" }),
      ),
      h("button", { type: "submit" }, "Filter"),
      h("span", { className: "muted" }, `${shown.length} shown, refreshed every ${REFRESH_MS / 1000} s`),
    ),
    h(
      "table",
      { id: "incidents" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Started", "Severity", "Status", "Agent", "Title", "Findings"].map((t) => h("th", {}, t)),
        ),
      ),
      h(
        "tbody",
        {},
        shown.map((incident) =>
          h(
            "tr",
            { "data-incident": incident.id },
            h("td", {}, when(incident.started_at)),
            h("td", { className: `sev-${incident.severity}` }, incident.severity),
            h("td", {}, incident.status),
            h("td", {}, incident.agent_id),
            h("td", {}, h("a", { href: `#/incidents/${encodeURIComponent(incident.id)}` }, incident.title)),
            h("td", {}, String(incident.finding_count)),
          ),
        ),
      ),
    ),
  ];
}

async function incidentView(id) {
  const incident = await api("GET", `/v1/incidents/${encodeURIComponent(id)}`);
  const comment = h("textarea", {
    id: "incident-comment",
    rows: 2,
    cols: 60,
    placeholder: "comment (goes to the audit trail)",
  });
  const act = (action) => () =>
    api(
      "POST",
      `/v1/incidents/${encodeURIComponent(id)}/${action}`,
      comment.value.trim() ? { comment: comment.value.trim() } : {},
    );
  return [
    h("p", {}, h("a", { href: "#/incidents" }, "← Incidents")),
    h("h1", {}, incident.title),
    h(
      "p",
      {},
      h("span", { className: `sev-${incident.severity}` }, incident.severity),
      ` · ${incident.status} · agent `,
      h("a", { href: "#/agents" }, incident.agent_id),
      ` · ${incident.detectors.join(", ")} · started ${when(incident.started_at)}`,
      incident.acknowledged_by ? ` · acknowledged by ${incident.acknowledged_by}` : "",
      incident.resolved_by ? ` · resolved by ${incident.resolved_by}` : "",
    ),
    h("p", {}, incident.summary),
    incident.silenced_by?.length
      ? h("p", { className: "muted" }, `Silenced by ${incident.silenced_by.join(", ")}`)
      : null,
    canOperate() && incident.status !== "resolved"
      ? h(
          "div",
          { className: "actions" },
          comment,
          incident.status === "open" ? actionButton("Acknowledge", act("ack"), { id: "ack" }) : null,
          actionButton("Resolve", act("resolve"), { id: "resolve" }),
          // Pausing from here links the pause to this incident; the comment is its reason.
          actionButton(
            "Pause agent",
            () =>
              api("POST", `/v1/agents/${encodeURIComponent(incident.agent_id)}/pause`, {
                reason: comment.value.trim(),
                incident_id: incident.id,
              }),
            { id: "pause-agent" },
          ),
        )
      : null,
    h(
      "h2",
      {},
      `Timeline (${incident.finding_count} finding${incident.finding_count === 1 ? "" : "s"}${incident.finding_count > incident.findings.length ? `, the last ${incident.findings.length}` : ""})`,
    ),
    h(
      "ol",
      { className: "timeline", id: "timeline" },
      incident.findings.map((finding) =>
        h(
          "li",
          {},
          h("strong", {}, `${when(finding.time)} ${finding.detector}`),
          ` score ${finding.score}: ${finding.summary}`,
          h("pre", {}, JSON.stringify({ observed: finding.observed, baseline: finding.baseline }, null, 2)),
        ),
      ),
    ),
    incident.notes.length
      ? [
          h("h2", {}, "Notes"),
          h(
            "ul",
            {},
            incident.notes.map((note) =>
              h("li", {}, `${when(note.time)} ${note.actor} ${note.action}: ${note.comment}`),
            ),
          ),
        ]
      : null,
  ];
}

// --- Agents ------------------------------------------------------------------------------------

/** Whether the agent's runtime took the latest pause or resume. */
function controlText(control) {
  if (!control) return "";
  if (!control.configured) return "no control URL";
  if (control.delivered) return `delivered ${when(control.delivered_at)}`;
  return `not delivered (${control.attempts} attempts${control.last_error ? `: ${control.last_error}` : ""})`;
}

async function agentsView() {
  const { agents } = await api("GET", "/v1/agents");
  return [
    h("h1", {}, "Agents"),
    h(
      "table",
      { id: "agents" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Agent", "State", "Since", "By", "Reason", "Control call", "Open incidents", ""].map((t) =>
            h("th", {}, t),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        agents.map((agent) => {
          const reason = h("input", {
            placeholder: agent.state === "paused" ? "reason (optional)" : "reason (required)",
            "aria-label": `reason for ${agent.agent_id}`,
          });
          const path = `/v1/agents/${encodeURIComponent(agent.agent_id)}`;
          return h(
            "tr",
            { "data-agent": agent.agent_id },
            h("td", {}, agent.agent_id),
            h("td", { className: `state-${agent.state}` }, agent.state),
            h("td", {}, when(agent.since)),
            h("td", {}, agent.by ?? ""),
            h("td", {}, agent.reason ?? ""),
            h("td", {}, controlText(agent.control)),
            h("td", {}, String(agent.open_incidents)),
            h(
              "td",
              {},
              canOperate()
                ? h(
                    "span",
                    { className: "actions" },
                    reason,
                    agent.state === "paused"
                      ? actionButton(
                          "Resume",
                          () =>
                            api(
                              "POST",
                              `${path}/resume`,
                              reason.value.trim() ? { reason: reason.value.trim() } : {},
                            ),
                          { className: "resume" },
                        )
                      : actionButton(
                          "Pause",
                          () => api("POST", `${path}/pause`, { reason: reason.value.trim() }),
                          { className: "pause" },
                        ),
                  )
                : null,
            ),
          );
        }),
      ),
    ),
  ];
}

// --- Silences ----------------------------------------------------------------------------------

async function silencesView() {
  const { silences } = await api("GET", "/v1/silences");
  const form = h(
    "form",
    {
      className: "inline",
      id: "new-silence",
      onsubmit: async (event) => {
        event.preventDefault();
        const f = event.target.elements;
        const matchers = f.matchers.value
          .split(",")
          .map((part) => part.trim())
          .filter(Boolean)
          .map((part) => {
            const m = /^([^=!~\s]+)\s*(=~|!~|!=|=)\s*(.*)$/.exec(part);
            if (!m)
              throw showError(
                `"${part}" is not a matcher (name=value, name!=value, name=~regex, name!~regex)`,
              );
            return { name: m[1], op: m[2], value: m[3].replace(/^"(.*)"$/, "$1") };
          });
        try {
          await api("POST", "/v1/silences", {
            matchers,
            duration: f.duration.value.trim(),
            comment: f.comment.value.trim(),
          });
          await render();
        } catch {
          // Shown already.
        }
      },
    },
    h(
      "label",
      {},
      "Matchers",
      h("input", {
        name: "matchers",
        size: 40,
        placeholder: 'agent_id="support-bot", detector=injection_attempt',
      }),
    ),
    h("label", {}, "For", h("input", { name: "duration", size: 6, value: "2h" })),
    h(
      "label",
      {},
      "Comment",
      h("input", { name: "comment", size: 40, placeholder: "who is working on what" }),
    ),
    h("button", { type: "submit" }, "Create silence"),
  );
  return [
    h("h1", {}, "Silences"),
    canOperate() ? form : null,
    h(
      "table",
      { id: "silences" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["State", "Matchers", "Starts", "Ends", "By", "Comment", ""].map((t) => h("th", {}, t)),
        ),
      ),
      h(
        "tbody",
        {},
        silences.map((silence) =>
          h(
            "tr",
            { "data-silence": silence.id },
            h("td", {}, silence.state),
            h("td", {}, silence.matchers.map((m) => `${m.name}${m.op}"${m.value}"`).join(", ")),
            h("td", {}, when(silence.starts_at)),
            h("td", {}, when(silence.ends_at)),
            h("td", {}, silence.created_by),
            h("td", {}, silence.comment),
            h(
              "td",
              {},
              canOperate() && silence.state !== "expired"
                ? actionButton(
                    "End",
                    () => api("DELETE", `/v1/silences/${encodeURIComponent(silence.id)}`, {}),
                    { className: "expire" },
                  )
                : null,
            ),
          ),
        ),
      ),
    ),
  ];
}

// --- Page --------------------------------------------------------------------------------------

/** Which view the address asks for. */
function route() {
  const path = location.hash.replace(/^#/, "").split("?")[0] || "/incidents";
  const incident = /^\/incidents\/(.+)$/.exec(path);
  if (incident) return { name: "incidents", load: () => incidentView(decodeURIComponent(incident[1])) };
  if (path === "/agents") return { name: "agents", load: agentsView };
  if (path === "/silences") return { name: "silences", load: silencesView };
  return { name: "incidents", load: incidentsView };
}

let rendering = false;
let renderAgain = false;

/**
 * Shows the view the address asks for. A render asked for while one is loading runs right after
 * it (an action's result or a navigation is never lost to a refresh in flight); the periodic
 * refresh (`refresh`) skips a turn while someone is typing, so it never replaces a form being
 * filled in.
 */
async function render({ refresh = false } = {}) {
  const signedIn = Boolean(state.token && state.me);
  $("sign-in").hidden = signedIn;
  $("nav").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  $("who").textContent = signedIn ? `${state.me.name} (${state.me.role})` : "";
  if (!signedIn) {
    $("view").replaceChildren();
    return;
  }
  const typing =
    document.activeElement && ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (refresh && typing) return;
  if (rendering) {
    renderAgain = true;
    return;
  }
  rendering = true;
  try {
    do {
      renderAgain = false;
      const current = route();
      for (const link of document.querySelectorAll("#nav a"))
        link.classList.toggle("current", link.dataset.view === current.name);
      try {
        const content = await current.load();
        $("view").replaceChildren(...content.flat().filter(Boolean));
      } catch {
        // The message is on the page (showError); the last good view stays.
      }
    } while (renderAgain);
  } finally {
    rendering = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("token").value.trim());
  });
  $("sign-out").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => render());
  // Live refresh.
  state.timer = setInterval(() => {
    if (state.token && state.me) render({ refresh: true });
  }, REFRESH_MS);
  if (state.token) signIn(state.token);
  else render();
});
