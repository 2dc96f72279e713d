import { describe, expect, it } from "vitest"
import { completeMention, mentionMatches, mentionParts, mentionQuery, assignableRoles, dueLabel, webhookSummary, blankConnection, byColumn, connectionProblem, serial, money, priceColour, pullFraction, pullLabel, scatter, upsert, diff, dropIndex, names, neighbour, patch, recurrenceLabel, segments, syncLabel } from "./logic"
import type { Parsed } from "./bindings/Parsed"
import type { Task } from "./bindings/Task"

const parsed = (spans: [string, number, number][]): Parsed => ({
  title: "",
  due: null,
  priority: null,
  labels: [],
  assignees: [],
  listings: [],
  recurrence: null,
  spans: spans.map(([kind, s, e]) => ({ kind, start: s, end: e, start_utf16: s, end_utf16: e }) as Parsed["spans"][number]),
})

const task = (id: string, column: string, position: string) => ({ id, column, position }) as unknown as Task

describe("segments", () => {
  it("splits text at the recognised spans", () => {
    const text = "Call seller tomorrow #followup"
    const out = segments(text, parsed([["date", 12, 20], ["label", 21, 30]]))
    expect(out.map((s) => [s.text, s.kind])).toEqual([
      ["Call seller ", null],
      ["tomorrow", "date"],
      [" ", null],
      ["#followup", "label"],
    ])
    expect(out.map((s) => s.text).join("")).toBe(text)
  })
  it("keeps plain text when nothing is recognised, and drops spans past the end", () => {
    expect(segments("hello", null)).toEqual([{ text: "hello", kind: null }])
    expect(segments("hi", parsed([["date", 0, 9]]))).toEqual([{ text: "hi", kind: null }])
    expect(segments("", null)).toEqual([])
  })
})

describe("board helpers", () => {
  const cards = [task("b", "todo", "n"), task("a", "todo", "i"), task("c", "done", "i")]
  it("groups by column in position order", () => {
    const cols = byColumn(cards, [{ id: "todo" }, { id: "done" }, { id: "empty" }])
    expect(cols.get("todo")?.map((t) => t.id)).toEqual(["a", "b"])
    expect(cols.get("empty")).toEqual([])
  })
  it("computes where a dropped card lands", () => {
    const todo = byColumn(cards, [{ id: "todo" }]).get("todo") ?? []
    expect(dropIndex(todo, "c", "b")).toBe(1)
    expect(dropIndex(todo, "a", null)).toBe(1)
    expect(dropIndex(todo, "c", "missing")).toBe(2)
  })
  it("finds the neighbouring column for keyboard moves", () => {
    const cols = [{ id: "a" }, { id: "b" }]
    expect(neighbour(cols, "a", 1)).toBe("b")
    expect(neighbour(cols, "a", -1)).toBeNull()
    expect(neighbour(cols, "x", 1)).toBeNull()
  })
})

describe("diff", () => {
  it("finds the splice a keystroke made", () => {
    expect(diff("abc", "abXc")).toEqual({ start: 2, delete: 0, insert: "X" })
    expect(diff("abc", "ac")).toEqual({ start: 1, delete: 1, insert: "" })
    expect(diff("same", "same")).toBeNull()
    expect(diff("", "new")).toEqual({ start: 0, delete: 0, insert: "new" })
  })
})

describe("sync label", () => {
  it("always says something, with the reason for trouble", () => {
    expect(syncLabel({ state: "up_to_date", documents: 3 })).toBe("Up to date")
    expect(syncLabel({ state: "offline", reason: "no network", retry_in_ms: 1000 })).toContain("no network")
    expect(syncLabel({ state: "error", reason: "sign in again" })).toContain("sign in again")
  })
})

describe("task detail helpers", () => {
  it("fills a patch with empty lists so only the named fields change", () => {
    expect(patch({ reminder: "fri 9am" })).toEqual({
      reminder: "fri 9am",
      add_labels: [],
      remove_labels: [],
      add_assignees: [],
      remove_assignees: [],
      add_listings: [],
      remove_listings: [],
    })
    expect(patch({ add_labels: ["x"] }).add_labels).toEqual(["x"])
  })

  it("reads typed names the way people write them", () => {
    expect(names("#marketing, staging  @joe")).toEqual(["marketing", "staging", "joe"])
    expect(names(" ,, ")).toEqual([])
    expect(names("a a #a")).toEqual(["a"])
  })

  it("says how a task repeats", () => {
    expect(recurrenceLabel(null)).toBe("does not repeat")
    expect(recurrenceLabel({ mode: "schedule", unit: "weeks", every: 2 })).toBe("every 2 weeks")
    expect(recurrenceLabel({ mode: "schedule", unit: "on_days", days: ["mon", "thu"] })).toBe("every Monday and Thursday")
    expect(recurrenceLabel({ mode: "schedule", unit: "months", every: 1, day: 1 })).toBe("every month on the 1st")
    expect(recurrenceLabel({ mode: "schedule", unit: "month_weekday", every: 1, week: -1, day: "fri" })).toBe(
      "every month on the last Friday",
    )
    expect(recurrenceLabel({ mode: "schedule", unit: "month_weekday", every: 2, week: 2, day: "tue" })).toBe(
      "every 2 months on the 2nd Tuesday",
    )
    expect(recurrenceLabel({ mode: "schedule", unit: "months", every: 1, day: 22 })).toBe("every month on the 22nd")
    expect(recurrenceLabel({ mode: "after_completion", unit: "days", every: 3 })).toBe("3 days after completion")
    expect(recurrenceLabel({ mode: "after_completion", unit: "weeks", every: 1 })).toBe("1 week after completion")
    expect(recurrenceLabel({ mode: "schedule", unit: "weekdays" })).toBe("every weekday")
  })
})

describe("team roles", () => {
  it("offers role changes only as the signed-in role allows", () => {
    expect(assignableRoles("owner", "member", false)).toEqual(["owner", "admin", "member", "viewer"])
    expect(assignableRoles("admin", "viewer", false)).toEqual(["admin", "member", "viewer"])
    expect(assignableRoles("admin", "owner", false)).toEqual([])
    expect(assignableRoles("member", "viewer", false)).toEqual([])
    expect(assignableRoles("viewer", "member", false)).toEqual([])
    expect(assignableRoles("owner", "owner", true)).toEqual([])
  })
})

describe("upsert", () => {
  const base = { completed_at: null, archived: false, deleted: false } as unknown as Task
  const t = (id: string, extra: Partial<Task> = {}) => ({ ...base, id, title: id, ...extra }) as Task
  it("adds new open tasks, replaces known ones and drops finished ones", () => {
    const list = [t("a"), t("b")]
    expect(upsert(list, t("c")).map((x) => x.id)).toEqual(["a", "b", "c"])
    expect(upsert(list, t("a", { title: "A2" }))[0].title).toBe("A2")
    expect(upsert(list, t("a", { completed_at: "2026-11-23T10:00:00Z" })).map((x) => x.id)).toEqual(["b"])
    expect(upsert(list, t("b", { archived: true })).map((x) => x.id)).toEqual(["a"])
    expect(upsert(list, t("z", { deleted: true }))).toBe(list)
    expect(list.map((x) => x.id)).toEqual(["a", "b"])
  })
})

describe("listing helpers", () => {
  it("formats money and colours prices", () => {
    expect(money(450000)).toBe("$450,000")
    expect(money(null)).toBe("")
    expect(priceColour(100, 100, 200)).toBe("hsl(220, 70%, 45%)")
    expect(priceColour(200, 100, 200)).toBe("hsl(0, 70%, 45%)")
    expect(priceColour(999, 100, 200)).toBe("hsl(0, 70%, 45%)")
  })
  it("plots north up and east right inside the box", () => {
    const [a, b] = scatter([{ lat: 39.7, lon: -105.0 }, { lat: 39.8, lon: -104.9 }], 110, 110)
    expect(a).toEqual({ x: 5, y: 105 })
    expect(b.x).toBeCloseTo(105)
    expect(b.y).toBeCloseTo(5)
    expect(scatter([], 10, 10)).toEqual([])
  })
})

describe("pull progress", () => {
  const p = (done: number, total: number | null, rate: number, eta_secs: number | null, photos = 0) => ({ name: "metro", done, total, rate, eta_secs, photos })
  it("says done, total, rate and time left", () => {
    expect(pullLabel(p(1200, 5000, 310.4, 12.2))).toBe("1,200 of 5,000 listings · 310/s · about 12 s left")
    expect(pullLabel(p(10, null, 0, null))).toBe("10 listings")
    expect(pullLabel(p(100, 90000, 50, 125))).toBe("100 of 90,000 listings · 50/s · about 2 min 5 s left")
    expect(pullLabel(p(40, 90, 5, null, 312))).toBe("40 of 90 listings · 312 photos · 5/s")
    expect(pullLabel(p(1, 1, 1, null, 1))).toBe("1 of 1 listings · 1 photo · 1/s")
  })
  it("gives a bar fraction only when the total is known", () => {
    expect(pullFraction(p(25, 100, 1, 1))).toBe(0.25)
    expect(pullFraction(p(120, 100, 1, 1))).toBe(1)
    expect(pullFraction(p(5, null, 1, null))).toBeNull()
    expect(pullFraction(p(0, 0, 0, null))).toBeNull()
  })
})

describe("new MLS connection form", () => {
  const reso = { ...blankConnection("RESO"), name: "coast", url: "https://api.example.com/odata", secret: "t0ken" }
  const rets = { ...blankConnection("RETS"), name: "metro", url: "http://127.0.0.1:9/login", user: "maria", secret: "pw" }
  const plain = { oauth: false, uaPassword: false }
  it("accepts a complete RESO or RETS form", () => {
    expect(connectionProblem(reso, plain, [])).toBeNull()
    expect(connectionProblem(rets, plain, ["coast"])).toBeNull()
    expect(connectionProblem({ ...rets, ua_password: "ua" }, { oauth: false, uaPassword: true }, [])).toBeNull()
  })
  it("says what is missing or wrong", () => {
    expect(connectionProblem({ ...reso, name: " " }, plain, [])).toMatch(/short name/)
    expect(connectionProblem({ ...reso, name: "a:b" }, plain, [])).toMatch(/':'/)
    expect(connectionProblem(reso, plain, ["coast"])).toMatch(/already a connection named 'coast'/)
    expect(connectionProblem({ ...reso, url: "api.example.com" }, plain, [])).toMatch(/service URL must start/)
    expect(connectionProblem({ ...rets, url: "" }, plain, [])).toBe("Give the login URL.")
    expect(connectionProblem({ ...rets, user: "" }, plain, [])).toBe("Give the RETS user name.")
    expect(connectionProblem({ ...reso, secret: "" }, plain, [])).toBe("Give the bearer token.")
    expect(connectionProblem({ ...rets, secret: " " }, plain, [])).toBe("Give the RETS password.")
    expect(connectionProblem(rets, { oauth: false, uaPassword: true }, [])).toBe("Give the user-agent password.")
  })
  it("needs the OAuth2 fields only with client credentials", () => {
    const oauth = { oauth: true, uaPassword: false }
    expect(connectionProblem(reso, oauth, [])).toMatch(/token URL/)
    expect(connectionProblem({ ...reso, token_url: "https://api.example.com/token" }, oauth, [])).toBe("Give the client id.")
    expect(connectionProblem({ ...reso, token_url: "https://api.example.com/token", client_id: "pl", secret: "" }, oauth, [])).toBe("Give the client secret.")
    expect(connectionProblem({ ...reso, token_url: "https://api.example.com/token", client_id: "pl" }, oauth, [])).toBeNull()
  })
})

describe("serial calls", () => {
  it("starts each call only after the one before it settled, in order", async () => {
    const queue = serial()
    const log: string[] = []
    const call = (name: string, ms: number, fail = false) => () => {
      log.push(`start ${name}`)
      return new Promise<string>((resolve, reject) =>
        setTimeout(() => { log.push(`end ${name}`); (fail ? reject : resolve)(name) }, ms))
    }
    const a = queue(call("a", 30))
    const b = queue(call("b", 1, true))
    const c = queue(call("c", 1))
    await expect(a).resolves.toBe("a")
    await expect(b).rejects.toBe("b")
    await expect(c).resolves.toBe("c")
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"])
  })
})

describe("webhookSummary", () => {
  const hook = { id: 1, url: "https://x", events: [] as string[], board: null as string | null, format: "standard", created_at: 0, disabled_at: null }
  it("says what a webhook hears and how", () => {
    expect(webhookSummary(hook)).toBe("every event · signed JSON")
    expect(webhookSummary({ ...hook, events: ["task.completed", "listing.changed"], format: "slack" })).toBe(
      "task.completed, listing.changed · Slack",
    )
    expect(webhookSummary({ ...hook, board: "b1", format: "teams" })).toBe("every event of one board · Microsoft Teams")
  })
})

describe("dueLabel", () => {
  const due = (d: object) => ({ due: d }) as unknown as Task
  it("shows a range's end after its start, in the task's zone", () => {
    const label = dueLabel(
      due({ at: "2026-11-21T20:00:00Z", tz: "America/Denver", all_day: false, end: "2026-11-21T23:00:00Z" }),
      "en-GB",
    )
    expect(label).toMatch(/13:00.*–16:00$/)
    expect(dueLabel(due({ at: "2026-11-21T20:00:00Z", tz: "America/Denver", all_day: false }), "en-GB")).not.toContain("–")
    expect(dueLabel(({ due: null }) as unknown as Task)).toBe("")
  })
})


describe("mentions", () => {
  it("finds the @name being typed at the caret, not in an email address", () => {
    expect(mentionQuery("hi @jo", 6)).toEqual({ start: 3, query: "jo" })
    expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" })
    expect(mentionQuery("mail joe@ex", 11)).toBeNull()
    expect(mentionQuery("hi @jo there", 12)).toBeNull()
  })
  it("completes with the chosen name and puts the caret after it", () => {
    expect(completeMention("hi @jo", 6, "joe")).toEqual({ text: "hi @joe ", caret: 8 })
    expect(completeMention("@ma can you", 3, "maria")).toEqual({ text: "@maria can you", caret: 7 })
  })
  it("orders names that start with the query first", () => {
    expect(mentionMatches(["alex", "joe", "maria", "samaria"], "mar")).toEqual(["maria", "samaria"])
    expect(mentionMatches(["a", "b", "c"], "", 2)).toEqual(["a", "b"])
  })
  it("highlights only the stored mentions", () => {
    expect(mentionParts("@Joe can you, cc joe@x.com and @sam.", ["joe"])).toEqual([
      { text: "@Joe", mention: true },
      { text: " can you, cc joe@x.com and @sam.", mention: false },
    ])
    expect(mentionParts("plain", undefined)).toEqual([{ text: "plain", mention: false }])
  })
})
