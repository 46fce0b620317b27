#!/usr/bin/env node
// The example worker: polls the backend every few seconds and logs what it sees. god starts it only after
// the backend is ready (`after: ["backend"]`) and stops it first at shutdown.

const url = process.env.BACKEND_URL ?? "http://127.0.0.1:8080";
let ticks = 0;
const timer = setInterval(async () => {
  ticks++;
  try {
    const res = await fetch(`${url}/health`);
    console.log(`worker tick ${ticks}: backend says ${res.status} ${await res.text()}`);
  } catch (error) {
    console.error(`worker tick ${ticks}: backend unreachable: ${error.message}`);
  }
}, 3000);
console.log(`worker ${process.pid} started, polling ${url}`);
process.on("SIGTERM", () => {
  clearInterval(timer);
  console.log(`worker ${process.pid} stopping after ${ticks} ticks`);
  process.exit(0);
});
