#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

// a closed pipe (pbxsim ... | head) ends output quietly
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await main();
