// Builds the herald binary and the Go SDK peer the tests run, into test/.bin/.
// `npm test` runs it first (pretest); Go's build cache makes a rebuild quick.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const bin = join(here, ".bin");
mkdirSync(bin, { recursive: true });
for (const [out, pkg] of [["herald", "./cmd/herald"], ["gopeer", "./sdk/js/test/gopeer"]]) {
  execFileSync("go", ["build", "-o", join(bin, out), pkg], { cwd: repo, stdio: "inherit" });
}
console.log(`built herald and gopeer into ${bin}`);
