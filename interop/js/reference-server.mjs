// The JavaScript reference sync server, for comparison benchmarks:
// automerge-repo's Repo + WebSocketServerAdapter + NodeFSStorageAdapter, as
// its documentation sets one up.
//
//   node reference-server.mjs <port> <storage dir>
import { Repo } from "@automerge/automerge-repo"
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket"
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs"
import { WebSocketServer } from "ws"

const [port, dir] = process.argv.slice(2)
const wss = new WebSocketServer({ port: Number(port ?? 0), host: "127.0.0.1" })
new Repo({
  network: [new WebSocketServerAdapter(wss)],
  storage: new NodeFSStorageAdapter(dir ?? "./reference-data"),
  peerId: "reference-server",
  sharePolicy: async () => false,
})
wss.on("listening", () => console.log(`listening addr=127.0.0.1:${wss.address().port}`))
