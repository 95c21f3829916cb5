/** Raw HTTP over node:net for server hardening tests: slow clients, and headers sent exactly as given. */
import { connect, type Socket } from "node:net";

/** What a server that gave up on a slow client sent: nothing, or a 408 and nothing else. */
export const TIMED_OUT = /^(HTTP\/1\.1 408 [\s\S]*|)$/;

/**
 * Opens a connection, sends `head` (a partial request), then one more byte of `drip` every `everyMs`.
 * Resolves with what the server sent once the server closes the connection.
 */
export function slowClient(
  port: number,
  head: string,
  opts: { drip?: string; everyMs?: number } = {},
): Promise<{ received: string }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: "127.0.0.1", port });
    let received = "";
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (received += d));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      // A reset after the server gave up is a close too.
      if (e.code !== "ECONNRESET" && e.code !== "EPIPE") reject(e);
    });
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ received });
    });
    socket.on("connect", () => {
      if (head !== "") socket.write(head);
      const drip = opts.drip ?? "";
      let i = 0;
      if (drip !== "") {
        timer = setInterval(() => {
          if (!socket.destroyed && socket.writable) socket.write(drip[i++ % drip.length] ?? "");
        }, opts.everyMs ?? 200);
      }
    });
  });
}

/** One request written verbatim; resolves with the status line's code, headers text and body. */
export function rawRequest(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (text += d));
    socket.on("error", reject);
    socket.on("end", () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text }));
    // No half-close: the server ends the connection after its response (Connection: close).
    socket.on("connect", () => socket.write(request));
  });
}
