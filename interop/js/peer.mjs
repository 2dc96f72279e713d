// The JavaScript automerge-repo peer for the relay's interoperability tests.
//
//   node peer.mjs write <ws-url-with-token> <documentId> <task title>
//     Creates a Porchlight board document with that id and one task, syncs
//     it, and exits once a second, fresh Repo can fetch it from the relay.
//   node peer.mjs read <ws-url-with-token> <documentId>
//     Fetches the document and prints it as JSON.
import { Repo } from "@automerge/automerge-repo"
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket"
import * as A from "@automerge/automerge"

const [mode, url, docId, title] = process.argv.slice(2)
const deadline = Date.now() + 30_000

function fail(message) {
  console.error(`interop peer: ${message}`)
  process.exit(1)
}

async function fetchDoc(docId) {
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)] })
  while (Date.now() < deadline) {
    try {
      const handle = await repo.find(`automerge:${docId}`)
      const doc = handle.doc()
      if (doc) {
        return { repo, doc }
      }
    } catch (e) {
      // unavailable yet, or the relay has not stored it: try again
    }
    await new Promise(r => setTimeout(r, 300))
  }
  fail(`could not fetch ${docId} from the relay`)
}

if (mode === "write") {
  const now = new Date()
  const doc = A.from({
    schema: 1,
    type: "board",
    id: docId,
    name: "From JavaScript",
    created_at: now,
    columns: { c0lumn01: { name: "To do", position: "i" } },
    tasks: {
      "0123456789abcdef": {
        title,
        description: "written by @automerge/automerge-repo",
        column: "c0lumn01",
        position: "i",
        priority: "high",
        labels: { interop: true },
        assignees: {},
        listings: {},
        checklist: {},
        comments: {},
        created_by: "js",
        created_at: now,
        updated_by: "js",
        updated_at: now,
      },
    },
  })
  const repo = new Repo({ network: [new WebSocketClientAdapter(url)] })
  repo.import(A.save(doc), { docId })
  // Done only when the relay has it: a fresh peer must be able to fetch it.
  while (Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 500))
    const fresh = new Repo({ network: [new WebSocketClientAdapter(url)] })
    try {
      const handle = await Promise.race([
        fresh.find(`automerge:${docId}`),
        new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000)),
      ])
      const got = handle.doc()
      if (got?.tasks?.["0123456789abcdef"]?.title === title) {
        console.log(JSON.stringify({ ok: true }))
        process.exit(0)
      }
    } catch (e) {
      // not there yet
    }
  }
  fail("the relay never served the document back")
} else if (mode === "read") {
  const { doc } = await fetchDoc(docId)
  console.log(JSON.stringify(doc))
  process.exit(0)
} else {
  fail(`unknown mode ${mode}`)
}
