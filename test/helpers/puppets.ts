// The test's end of test/fixtures/puppet.ts: a unix socket the puppets connect to, and a handle per puppet to
// send commands and read its answers, each wait bounded.

import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PUPPET = fileURLToPath(new URL("../fixtures/puppet.js", import.meta.url));

export class Puppet {
  readonly pid: number;
  readonly instance: string | null;
  private readonly socket: Socket;
  private readonly answers: unknown[] = [];
  private readonly takers: Array<(value: unknown) => void> = [];

  constructor(socket: Socket, hello: { pid: number; instance: string | null }, rest: string) {
    this.socket = socket;
    this.pid = hello.pid;
    this.instance = hello.instance;
    let buffered = rest;
    const take = () => {
      for (let nl = buffered.indexOf("\n"); nl !== -1; nl = buffered.indexOf("\n")) {
        const value: unknown = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        const taker = this.takers.shift();
        if (taker) taker(value);
        else this.answers.push(value);
      }
    };
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      take();
    });
    take();
  }

  send(command: Record<string, unknown>): void {
    this.socket.write(`${JSON.stringify(command)}\n`);
  }

  /** Sends a command and resolves with the puppet's answer to it. */
  ask(command: Record<string, unknown>, timeoutMs = 10_000): Promise<unknown> {
    this.send(command);
    const ready = this.answers.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`puppet ${this.pid} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.takers.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }
}

export class PuppetMaster {
  readonly path: string;
  private readonly server: Server;
  private readonly arrived: Puppet[] = [];
  private readonly waiting: Array<(p: Puppet) => void> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(path: string, server: Server) {
    this.path = path;
    this.server = server;
  }

  static async open(dir: string): Promise<PuppetMaster> {
    const path = join(dir, "puppets.sock");
    const server = createServer();
    const master = new PuppetMaster(path, server);
    server.on("connection", (socket) => master.connected(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return master;
  }

  /** The environment a job needs to be a puppet of this master. */
  get env(): Record<string, string> {
    return { PUPPET_SOCKET: this.path };
  }

  /** The next puppet to connect (or one that already did and was not taken yet). */
  next(timeoutMs = 20_000): Promise<Puppet> {
    const ready = this.arrived.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no puppet connected within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push((p) => {
        clearTimeout(timer);
        resolve(p);
      });
    });
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }

  private connected(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const nl = buffered.indexOf("\n");
      if (nl === -1) return;
      socket.off("data", onData);
      const puppet = new Puppet(socket, JSON.parse(buffered.slice(0, nl)), buffered.slice(nl + 1));
      const waiter = this.waiting.shift();
      if (waiter) waiter(puppet);
      else this.arrived.push(puppet);
    };
    socket.on("data", onData);
  }
}
