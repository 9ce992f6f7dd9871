// Preloaded (`node --import`) into the gateway process the bench starts: the gateway exits when the bench
// runner is gone, even if it was killed, so no server is left running. One check a second, off the hot path.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();
