// The benchmark's peer: the npm oauth2-mock-server (what a user would pick
// instead of us), RS256 (its default) or PEER_ALG, on loopback, port 0.
// Prints the same first line as our server so bench.sh starts it like the
// others.
//
// Usage: PEER_DIR=target/bench/peer [PEER_ALG=ES256] node scripts/bench/peer.mjs
import { pathToFileURL } from "node:url";
import path from "node:path";

const dir = process.env.PEER_DIR;
if (!dir) {
  console.error("peer.mjs: PEER_DIR (where oauth2-mock-server is installed) is not set");
  process.exit(2);
}
const entry = path.resolve(dir, "node_modules/oauth2-mock-server/dist/index.mjs");
const { OAuth2Server } = await import(pathToFileURL(entry).href);

const server = new OAuth2Server();
await server.issuer.keys.generate(process.env.PEER_ALG || "RS256");
await server.start(0, "127.0.0.1");
console.log(`listening on http://127.0.0.1:${server.address().port}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
