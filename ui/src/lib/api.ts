// Typed calls into the desktop shell. Every command returns its value or
// rejects with an AppError ({ kind, message }), already worded for people.
import { invoke } from "@tauri-apps/api/core"
import { listen, type UnlistenFn } from "@tauri-apps/api/event"
import type { AppError } from "./bindings/AppError"
import type { BoardSummary } from "./bindings/BoardSummary"
import type { BoardView } from "./bindings/BoardView"
import type { Completion } from "./bindings/Completion"
import type { DocChanged } from "./bindings/DocChanged"
import type { HistoryEntry } from "./bindings/HistoryEntry"
import type { Parsed } from "./bindings/Parsed"
import type { Preferences } from "./bindings/Preferences"
import type { ReminderFired } from "./bindings/ReminderFired"
import type { PresenceChanged } from "./bindings/PresenceChanged"
import type { Invite } from "./bindings/Invite"
import type { MemberInfo } from "./bindings/MemberInfo"
import type { Role } from "./bindings/Role"
import type { TeamView } from "./bindings/TeamView"
import type { CachedListing } from "./bindings/CachedListing"
import type { Comps } from "./bindings/Comps"
import type { ListingFilter } from "./bindings/ListingFilter"
import type { MarketStats } from "./bindings/MarketStats"
import type { MlsAdded } from "./bindings/MlsAdded"
import type { MlsConnection } from "./bindings/MlsConnection"
import type { NewMlsConnection } from "./bindings/NewMlsConnection"
import type { PhotoThumb } from "./bindings/PhotoThumb"
import type { PullProgress } from "./bindings/PullProgress"
import type { PullSummary } from "./bindings/PullSummary"
import type { Settings } from "./bindings/Settings"
import type { DeviceInfo } from "./bindings/DeviceInfo"
import type { SyncStatus } from "./bindings/SyncStatus"
import type { Task } from "./bindings/Task"
import type { TaskPatch } from "./bindings/TaskPatch"
import type { WebhookInfo } from "./bindings/WebhookInfo"
import type { CreatedWebhook } from "./bindings/CreatedWebhook"
import type { DeliveryInfo } from "./bindings/DeliveryInfo"
import type { MailSettings } from "./bindings/MailSettings"
import type { InboxItem } from "./bindings/InboxItem"
import type { InboxMarked } from "./bindings/InboxMarked"
import type { InboxState } from "./bindings/InboxState"
import type { Insights } from "./bindings/Insights"
import type { ActivityLine } from "./bindings/ActivityLine"
import type { Person } from "./bindings/Person"
import type { Renamed } from "./bindings/Renamed"
import type { TemplateInfo } from "./bindings/TemplateInfo"
import type { PlannedStep } from "./bindings/PlannedStep"

export type { CachedListing, Comps, ListingFilter, MarketStats, MlsAdded, MlsConnection, NewMlsConnection, PhotoThumb, PullProgress, PullSummary }
export type { CreatedWebhook, DeliveryInfo, MailSettings, WebhookInfo }
export type { ActivityLine, InboxItem, InboxMarked, InboxState, Insights, Person, PlannedStep, Renamed, TemplateInfo }
export type { AppError, BoardSummary, DeviceInfo, BoardView, HistoryEntry, Invite, MemberInfo, Parsed, ReminderFired, Role, Settings, SyncStatus, Task, TaskPatch, TeamView }

/** The message to show for anything a command rejected with. */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as AppError).message)
  return String(e)
}

export const api = {
  listBoards: () => invoke<BoardSummary[]>("list_boards"),
  openBoard: (board: string) => invoke<BoardView>("open_board", { board }),
  createBoard: (name: string) => invoke("create_board", { name }),
  setViewing: (board: string | null) => invoke<null>("set_viewing", { board }),
  parseQuickAdd: (text: string) => invoke<Parsed>("parse_quick_add", { text }),
  quickAdd: (board: string, text: string) => invoke<Task>("quick_add", { board, text }),
  getTask: (task: string) => invoke<Task>("get_task", { task }),
  moveTask: (task: string, column: string, index: number | null) =>
    invoke<Task>("move_task", { task, column, index }),
  updateTask: (task: string, patch: TaskPatch) => invoke<Task>("update_task", { task, patch }),
  spliceDescription: (task: string, start: number, del: number, insert: string) =>
    invoke<Task>("splice_description", { task, start, delete: del, insert }),
  addChecklistItem: (task: string, text: string) => invoke<Task>("add_checklist_item", { task, text }),
  setChecklistDone: (task: string, item: string, done: boolean) =>
    invoke<Task>("set_checklist_done", { task, item, done }),
  addComment: (task: string, text: string) => invoke<Task>("add_comment", { task, text }),
  completeTask: (task: string) => invoke<Completion>("complete_task", { task }),
  history: (task: string) => invoke<HistoryEntry[]>("task_history", { task }),
  restore: (task: string, version: string) => invoke<Task>("restore_task", { task, version }),
  listDue: (when: "today" | "tomorrow" | "week" | "overdue") => invoke<Task[]>("list_due", { when }),
  focus: () => invoke<Task[]>("focus_tasks", { limit: 30 }),
  search: (text: string) => invoke<Task[]>("search_tasks", { text }),
  settings: () => invoke<Settings>("get_settings"),
  savePreferences: (preferences: Preferences) => invoke<Preferences>("save_preferences", { preferences }),
  signIn: (relay: string, email: string, password: string, caFile?: string, allowInsecureHttp?: boolean) =>
    invoke<Settings>("sign_in", { relay, email, password, caFile: caFile || null, allowInsecureHttp: allowInsecureHttp ?? false }),
  signOut: () => invoke<Settings>("sign_out"),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  listDevices: () => invoke<DeviceInfo[]>("list_devices"),
  revokeDevice: (device: number) => invoke<DeviceInfo[]>("revoke_device", { device }),
  teamPage: () => invoke<TeamView[]>("team_page"),
  searchListings: (filter: ListingFilter) => invoke<CachedListing[]>("search_listings", { filter }),
  getListing: (key: string) => invoke<CachedListing>("get_listing", { key }),
  addListingNote: (key: string, text: string) => invoke<CachedListing>("add_listing_note", { key, text }),
  tagListing: (key: string, tag: string, on: boolean) => invoke<CachedListing>("tag_listing", { key, tag, on }),
  listingComps: (key: string) => invoke<Comps>("listing_comps", { key }),
  marketStats: (by: "city" | "postal", months: number) => invoke<MarketStats[]>("market_stats", { by, months }),
  mlsConnections: () => invoke<MlsConnection[]>("mls_connections"),
  testMlsConnection: (name: string) => invoke<string>("test_mls_connection", { name }),
  addMlsConnection: (connection: NewMlsConnection) => invoke<MlsAdded>("add_mls_connection", { connection }),
  removeMlsConnection: (name: string) => invoke<null>("remove_mls_connection", { name }),
  pullMls: (name: string, full: boolean, photos: boolean) => invoke<PullSummary>("pull_mls", { name, full, photos }),
  listingPhotos: (key: string) => invoke<PhotoThumb[] | null>("listing_photos", { key }),
  fetchListingPhotos: (key: string) => invoke<PhotoThumb[]>("fetch_listing_photos", { key }),
  listingPhoto: (key: string, number: number) => invoke<string>("listing_photo", { key, number }),
  favouriteListing: (key: string, on: boolean) => invoke<CachedListing>("favourite_listing", { key, on }),
  setListingShowing: (key: string, status: string | null) => invoke<CachedListing>("set_listing_showing", { key, status }),
  exportCompsReport: (key: string) => invoke<string>("export_comps_report", { key }),
  listingTasks: (key: string) => invoke<Task[]>("listing_tasks", { key }),
  createInvite: (team: number, role: Role) => invoke<Invite>("create_invite", { team, role, hours: null }),
  calendarUrl: (team: number, mine: boolean, rotate: boolean) => invoke<string>("calendar_url", { team, mine, rotate }),
  mailSettings: () => invoke<MailSettings>("mail_settings"),
  setDigest: (on: boolean) => invoke<MailSettings>("set_digest", { on }),
  setMentionMail: (on: boolean) => invoke<MailSettings>("set_mention_mail", { on }),
  setMemberRole: (team: number, account: number, role: Role) =>
    invoke<MemberInfo[]>("set_member_role", { team, account, role }),
  removeMember: (team: number, account: number) => invoke<MemberInfo[]>("remove_member", { team, account }),
  webhooks: (team: number) => invoke<WebhookInfo[]>("webhooks", { team }),
  addWebhook: (team: number, url: string, events: string[], format: string | null) =>
    invoke<CreatedWebhook>("add_webhook", { team, url, events, format }),
  removeWebhook: (team: number, id: number) => invoke<WebhookInfo[]>("remove_webhook", { team, id }),
  testWebhook: (team: number, id: number) => invoke<string>("test_webhook", { team, id }),
  webhookLog: (team: number, id: number) => invoke<DeliveryInfo[]>("webhook_log", { team, id }),
  inbox: (filter: "current" | "unread" | "all") => invoke<InboxItem[]>("inbox", { filter }),
  unreadCount: () => invoke<number>("unread_count"),
  markInbox: (ids: string[], to: InboxState) => invoke<InboxMarked>("mark_inbox", { ids, to }),
  watchTask: (task: string, on: boolean) => invoke<Task>("watch_task", { task, on }),
  activity: (board: string | null, days: number) => invoke<ActivityLine[]>("activity", { board, days }),
  insights: (board: string | null, weeks: number) => invoke<Insights>("insights", { board, weeks }),
  people: () => invoke<string[]>("people"),
  peopleOnBoards: () => invoke<Person[]>("people_on_boards"),
  renamePerson: (old: string, next: string) => invoke<Renamed>("rename_person", { old, new: next }),
  templates: () => invoke<TemplateInfo[]>("templates"),
  templatePreview: (name: string, anchor: string) => invoke<PlannedStep[]>("template_preview", { name, anchor }),
  applyTemplate: (board: string, name: string, anchor: string, prefix: string | null) =>
    invoke<Task[]>("apply_template", { board, name, anchor, prefix }),
}

export function onMlsProgress(f: (p: PullProgress) => void): Promise<UnlistenFn> {
  return listen<PullProgress>("mls-progress", (e) => f(e.payload))
}

export function onDocChanged(f: (e: DocChanged) => void): Promise<UnlistenFn> {
  return listen<DocChanged>("doc-changed", (e) => f(e.payload))
}

export function onSyncStatus(f: (s: SyncStatus) => void): Promise<UnlistenFn> {
  return listen<SyncStatus>("sync-status", (e) => f(e.payload))
}

/** A reminder came due (a native notification may have been shown too). */
export function onReminder(f: (r: ReminderFired) => void): Promise<UnlistenFn> {
  return listen<ReminderFired>("reminder", (e) => f(e.payload))
}

/** Who else is looking at a board changed. */
export function onPresence(f: (p: PresenceChanged) => void): Promise<UnlistenFn> {
  return listen<PresenceChanged>("presence", (e) => f(e.payload))
}

/** The unread count of the inbox, after each look for new mentions. */
export function onInbox(f: (unread: number) => void): Promise<UnlistenFn> {
  return listen<number>("inbox", (e) => f(e.payload))
}
