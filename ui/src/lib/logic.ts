// Pure helpers the components use; unit-tested in logic.test.ts.
import type { Parsed } from "./bindings/Parsed"
import type { Task } from "./bindings/Task"
import type { SyncStatus } from "./bindings/SyncStatus"
import type { TaskPatch } from "./bindings/TaskPatch"
import type { Recurrence } from "./bindings/Recurrence"
import type { Role } from "./bindings/Role"
import type { PullProgress } from "./bindings/PullProgress"
import type { NewMlsConnection } from "./bindings/NewMlsConnection"
import type { WebhookInfo } from "./bindings/WebhookInfo"

/** A piece of quick-add text, and what the parser recognised it as. */
export interface Segment {
  text: string
  kind: string | null
}

/** Splits `text` at the parser's spans (UTF-16 offsets, as JS strings index). */
export function segments(text: string, parsed: Parsed | null): Segment[] {
  if (!parsed || parsed.spans.length === 0) return text ? [{ text, kind: null }] : []
  const spans = [...parsed.spans].sort((a, b) => a.start_utf16 - b.start_utf16)
  const out: Segment[] = []
  let at = 0
  for (const s of spans) {
    if (s.start_utf16 < at || s.end_utf16 > text.length) continue
    if (s.start_utf16 > at) out.push({ text: text.slice(at, s.start_utf16), kind: null })
    out.push({ text: text.slice(s.start_utf16, s.end_utf16), kind: s.kind })
    at = s.end_utf16
  }
  if (at < text.length) out.push({ text: text.slice(at), kind: null })
  return out
}

/** Tasks of each column, in card order. */
export function byColumn(tasks: Task[], columns: { id: string }[]): Map<string, Task[]> {
  const out = new Map<string, Task[]>(columns.map((c) => [c.id, []]))
  for (const t of tasks) out.get(t.column)?.push(t)
  for (const list of out.values())
    list.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : a.id < b.id ? -1 : 1))
  return out
}

/** The index among the target column's other cards where a moved card lands. */
export function dropIndex(cards: Task[], moving: string, beforeCard: string | null): number {
  const others = cards.filter((c) => c.id !== moving)
  if (beforeCard === null) return others.length
  const i = others.findIndex((c) => c.id === beforeCard)
  return i < 0 ? others.length : i
}

/** The column next to `column` in direction `step` (-1 left, +1 right), if any. */
export function neighbour(columns: { id: string }[], column: string, step: -1 | 1): string | null {
  const i = columns.findIndex((c) => c.id === column)
  const j = i + step
  return i < 0 || j < 0 || j >= columns.length ? null : columns[j].id
}

/** "Due Fri 27 Nov, 10:00" in the user's locale and the task's zone. */
export function dueLabel(task: Task, locale?: string): string {
  if (!task.due) return ""
  const at = new Date(task.due.at)
  const opts: Intl.DateTimeFormatOptions = task.due.all_day
    ? { weekday: "short", day: "numeric", month: "short", timeZone: task.due.tz }
    : { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: task.due.tz }
  try {
    const start = at.toLocaleString(locale, opts)
    if (task.due.all_day || !task.due.end) return start
    // A range ("sat 1-4pm"): the end's time after the start.
    const end = new Date(task.due.end).toLocaleTimeString(locale, {
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
      timeZone: task.due.tz,
    })
    return `${start}–${end}`
  } catch {
    return at.toISOString()
  }
}

/** The words of the always-visible sync indicator. */
export function syncLabel(s: SyncStatus): string {
  switch (s.state) {
    case "local_only":
      return "On this device only"
    case "offline":
      return `Offline — ${s.reason}`
    case "syncing":
      return "Syncing…"
    case "up_to_date":
      return "Up to date"
    case "error":
      return `Sync error — ${s.reason}`
  }
}

/** The single-character edit between two strings, as a text splice. */
export function diff(before: string, after: string): { start: number; delete: number; insert: string } | null {
  if (before === after) return null
  let start = 0
  while (start < before.length && start < after.length && before[start] === after[start]) start++
  let endB = before.length
  let endA = after.length
  while (endB > start && endA > start && before[endB - 1] === after[endA - 1]) {
    endB--
    endA--
  }
  return { start, delete: endB - start, insert: after.slice(start, endA) }
}

/** A full task patch from the fields being changed (the rest left alone). */
export function patch(p: Partial<TaskPatch>): TaskPatch {
  return {
    add_labels: [],
    remove_labels: [],
    add_assignees: [],
    remove_assignees: [],
    add_listings: [],
    remove_listings: [],
    ...p,
  }
}

/** Names typed into a tag field: "#a, b  @c" → ["a", "b", "c"] (deduplicated). */
export function names(text: string): string[] {
  const out: string[] = []
  for (const w of text.split(/[\s,]+/)) {
    const name = w.replace(/^[#@]+/, "").trim()
    if (name && !out.includes(name)) out.push(name)
  }
  return out
}

const WEEKDAY: Record<string, string> = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" }

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")
  return `${n}${s}`
}

/** "every 2 weeks", "every Monday and Thursday", "3 days after completion". */
export function recurrenceLabel(r: Recurrence | null): string {
  if (!r) return "does not repeat"
  const n = (every: number, unit: string) => (every === 1 ? `every ${unit}` : `every ${every} ${unit}s`)
  let rule: string
  switch (r.unit) {
    case "days":
      rule = n(r.every, "day")
      break
    case "weeks":
      rule = n(r.every, "week")
      break
    case "weekdays":
      rule = "every weekday"
      break
    case "on_days":
      rule = "every " + r.days.map((d) => WEEKDAY[d] ?? d).join(" and ")
      break
    case "months":
      rule = n(r.every, "month") + (r.day ? ` on the ${ordinal(r.day)}` : "")
      break
    case "years":
      rule = n(r.every, "year")
      break
    case "month_weekday":
      rule = `${n(r.every, "month")} on the ${r.week < 0 ? "last" : ordinal(r.week)} ${WEEKDAY[r.day] ?? r.day}`
      break
  }
  if (r.mode !== "after_completion") return rule
  // "every day" → "1 day after completion", "every 3 days" → "3 days after completion".
  return `${rule.replace(/^every (?=\d)/, "").replace(/^every /, "1 ")} after completion`
}

/** Which roles the signed-in person may give to `member` (empty: none). */
export function assignableRoles(mine: Role, member: Role, isMe: boolean): Role[] {
  if (isMe || (mine !== "owner" && mine !== "admin")) return []
  // Only an owner touches owners or makes new ones.
  if (member === "owner" && mine !== "owner") return []
  return mine === "owner" ? ["owner", "admin", "member", "viewer"] : ["admin", "member", "viewer"]
}

/** `tasks` with `t` put in (replacing the same id), or taken out once it is
 *  done, archived or deleted (boards show open tasks only). */
export function upsert(tasks: Task[], t: Task): Task[] {
  const open = !t.completed_at && !t.archived && !t.deleted
  const i = tasks.findIndex((x) => x.id === t.id)
  if (i < 0) return open ? [...tasks, t] : tasks
  const out = [...tasks]
  if (open) out[i] = t
  else out.splice(i, 1)
  return out
}

/** "$450,000" (no cents), or "" for no price. */
export function money(v: number | null | undefined): string {
  return v == null ? "" : "$" + Math.round(v).toLocaleString("en-US")
}

/** Plots points in a box: x from longitude, y from latitude (north up). */
export function scatter(
  points: { lat: number; lon: number }[],
  width: number,
  height: number,
): { x: number; y: number }[] {
  if (points.length === 0) return []
  const lats = points.map((p) => p.lat)
  const lons = points.map((p) => p.lon)
  const [la0, la1, lo0, lo1] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)]
  const sx = lo1 > lo0 ? (width - 10) / (lo1 - lo0) : 0
  const sy = la1 > la0 ? (height - 10) / (la1 - la0) : 0
  return points.map((p) => ({ x: 5 + (p.lon - lo0) * sx, y: height - 5 - (p.lat - la0) * sy }))
}

/** A colour from cheap (blue) to dear (red) for `v` within [lo, hi]. */
export function priceColour(v: number, lo: number, hi: number): string {
  const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0.5
  return `hsl(${Math.round(220 - 220 * t)}, 70%, 45%)`
}

/** A pull's progress in words, e.g. "1,200 of 5,000 listings · 310/s · about 12 s left". */
export function pullLabel(p: PullProgress): string {
  const n = (v: number) => Math.round(v).toLocaleString("en-US")
  const parts = [p.total == null ? `${n(p.done)} listings` : `${n(p.done)} of ${n(p.total)} listings`]
  if (p.photos > 0) parts.push(`${n(p.photos)} photo${p.photos === 1 ? "" : "s"}`)
  if (p.rate > 0) parts.push(`${n(p.rate)}/s`)
  if (p.eta_secs != null) {
    const s = Math.round(p.eta_secs)
    parts.push(s >= 60 ? `about ${Math.floor(s / 60)} min ${s % 60} s left` : `about ${s} s left`)
  }
  return parts.join(" · ")
}

/** How much of a pull is done, 0 to 1; null when the total is unknown. */
export function pullFraction(p: PullProgress): number | null {
  if (p.total == null || p.total <= 0) return null
  return Math.min(1, Math.max(0, p.done / p.total))
}

/** An empty form for a new MLS connection of one kind. */
export function blankConnection(kind: "RESO" | "RETS"): NewMlsConnection {
  return {
    name: "", kind, url: "", resource: "", token_url: "", client_id: "", media: kind === "RESO", select: "",
    user: "", class: "", user_agent: "", rets_version: "", secret: "", ua_password: "",
    ca_file: "", allow_origins: "", limits: "",
  }
}

/**
 * What is missing or wrong in a new connection's form, in words, or null
 * when it can be sent (the app checks it again when saving).
 */
export function connectionProblem(
  c: NewMlsConnection,
  opts: { oauth: boolean; uaPassword: boolean },
  existing: string[],
): string | null {
  const name = c.name.trim()
  if (!name) return "Give the connection a short name, e.g. metro-mls."
  if (name.includes(":")) return "The name cannot contain ':'."
  if (existing.includes(name)) return `There is already a connection named '${name}'.`
  const url = c.url.trim()
  const what = c.kind === "RETS" ? "login URL" : "service URL"
  if (!url) return `Give the ${what}.`
  if (!/^https?:\/\/\S+$/.test(url)) return `The ${what} must start with http:// or https://.`
  if (c.kind === "RETS" && !c.user.trim()) return "Give the RETS user name."
  if (c.kind === "RESO" && opts.oauth) {
    if (!/^https?:\/\/\S+$/.test(c.token_url.trim())) return "Give the token URL (http:// or https://)."
    if (!c.client_id.trim()) return "Give the client id."
  }
  if (!c.secret.trim()) {
    return c.kind === "RETS" ? "Give the RETS password." : opts.oauth ? "Give the client secret." : "Give the bearer token."
  }
  if (c.kind === "RETS" && opts.uaPassword && !c.ua_password.trim()) return "Give the user-agent password."
  return null
}

/**
 * A queue that runs async calls one after another, in the order they were
 * made. Tauri runs async commands on a thread pool, so two calls in flight
 * can reach the profile in either order; edits that build on each other
 * (a splice per keystroke) must not.
 */
export function serial(): <T>(f: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(f: () => Promise<T>) => {
    const next = tail.then(f, f)
    tail = next.catch(() => undefined)
    return next
  }
}

/** The event types a webhook can ask for (as the relay's EVENTS). */
export const WEBHOOK_EVENTS = [
  "task.created",
  "task.updated",
  "task.completed",
  "task.assigned",
  "comment.added",
  "member.joined",
  "listing.changed",
] as const

const FORMATS: Record<string, string> = { standard: "signed JSON", slack: "Slack", teams: "Microsoft Teams", discord: "Discord" }

/** One line about a webhook: what it hears and in which form. */
export function webhookSummary(h: WebhookInfo): string {
  const events = h.events.length === 0 ? "every event" : h.events.join(", ")
  const board = h.board ? " of one board" : ""
  return `${events}${board} · ${FORMATS[h.format] ?? h.format}`
}

/** The `@name` being typed at `caret` in `text`: where its `@` is and what follows it. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret)
  const m = /(^|[^\p{L}\p{N}._@-])@([\p{L}\p{N}._-]*)$/u.exec(before)
  if (!m) return null
  return { start: caret - m[2].length - 1, query: m[2].toLowerCase() }
}

/** People whose name starts with (then contains) `query`, at most `limit`. */
export function mentionMatches(people: string[], query: string, limit = 6): string[] {
  const q = query.toLowerCase()
  const starts = people.filter((p) => p.toLowerCase().startsWith(q))
  const contains = people.filter((p) => !p.toLowerCase().startsWith(q) && p.toLowerCase().includes(q))
  return [...starts, ...contains].slice(0, limit)
}

/** `text` with the `@…` at `caret` replaced by `@name `; the new caret. */
export function completeMention(text: string, caret: number, name: string): { text: string; caret: number } {
  const q = mentionQuery(text, caret)
  if (!q) return { text, caret }
  const inserted = `@${name} `
  const after = text.slice(caret).replace(/^[\p{L}\p{N}._-]*/u, "")
  const out = text.slice(0, q.start) + inserted + after.replace(/^ /, "")
  return { text: out, caret: q.start + inserted.length }
}

/** A comment split into plain text and the mentions it stores (to highlight them). */
export function mentionParts(text: string, mentions: string[] | undefined): { text: string; mention: boolean }[] {
  const names = new Set((mentions ?? []).map((m) => m.toLowerCase()))
  if (names.size === 0) return text ? [{ text, mention: false }] : []
  const out: { text: string; mention: boolean }[] = []
  const re = /(^|[^\p{L}\p{N}._@-])@([\p{L}\p{N}._-]*[\p{L}\p{N}])/gu
  let at = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const start = m.index + m[1].length
    if (!names.has(m[2].toLowerCase())) continue
    if (start > at) out.push({ text: text.slice(at, start), mention: false })
    out.push({ text: text.slice(start, start + 1 + m[2].length), mention: true })
    at = start + 1 + m[2].length
  }
  if (at < text.length) out.push({ text: text.slice(at), mention: false })
  return out
}

/** What an inbox item is, in a word or two. */
export function inboxKindLabel(kind: string): string {
  switch (kind) {
    case "mention": return "mentioned you"
    case "assigned": return "assigned you"
    case "comment": return "commented"
    case "due_soon": return "due soon"
    default: return kind
  }
}
