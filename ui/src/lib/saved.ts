// Tasks this window just saved, announced so that every view showing them
// updates at once, without waiting for a reload of the whole board (which
// the doc-changed event still triggers, to settle everything else).
import type { Task } from "./bindings/Task"

type Listener = (t: Task) => void
const listeners = new Set<Listener>()

/** A command returned this task as saved. */
export function taskSaved(t: Task): void {
  for (const l of listeners) l(t)
}

/** Calls `l` for every task saved from now on; returns the unsubscribe. */
export function onTaskSaved(l: Listener): () => void {
  listeners.add(l)
  return () => listeners.delete(l)
}
