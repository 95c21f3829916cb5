/**
 * A per-table lease so two compactors (or maintenance runs) never work on one table at once.
 *
 * The lease is an object `<table location>/.floe-compaction.lease` holding {owner, token, acquiredAt,
 * expiresAt}, created with an atomic create (`ifNoneMatch`): of any number of concurrent acquirers
 * exactly one succeeds. A lease past `expiresAt + skewMs` may be taken over: the taker first wins a
 * claim object named after the expired lease's token (also an atomic create, so one taker per expired
 * lease), re-reads the lease to check it is still that one, deletes it and creates its own, again
 * atomically (a newcomer who creates in between wins instead). The holder renews before expiry and
 * releases at the end; a holder that finds its lease expired or replaced stops touching it.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { FloeError, isFloeError } from "../errors.js";
import type { FileIO } from "../iceberg/io/index.js";

export const LEASE_FILE = ".floe-compaction.lease";
export const DEFAULT_LEASE_TTL_MS = 30 * 60_000;
/** Clock skew allowed between hosts: a lease is taken over only this long after it expired. */
export const DEFAULT_LEASE_SKEW_MS = 10_000;

export interface LeaseOptions {
  /** Who holds the lease (default `<hostname>:<pid>`), for operators reading the object. */
  owner?: string;
  ttlMs?: number;
  skewMs?: number;
  now?: () => number;
}

export interface LeaseBody {
  owner: string;
  token: string;
  acquiredAt: number;
  expiresAt: number;
}

export type LeaseAttempt =
  | { acquired: true; lease: Lease }
  | { acquired: false; holder?: LeaseBody; reason: string };

export function leasePath(location: string): string {
  return `${location.replace(/\/+$/, "")}/${LEASE_FILE}`;
}

function encode(body: LeaseBody): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(body)}\n`);
}

function decode(bytes: Uint8Array): LeaseBody | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Partial<LeaseBody>;
    if (typeof v.token !== "string" || typeof v.expiresAt !== "number") return undefined;
    return {
      owner: String(v.owner ?? "?"),
      token: v.token,
      acquiredAt: Number(v.acquiredAt ?? 0),
      expiresAt: v.expiresAt,
    };
  } catch {
    return undefined;
  }
}

async function readLease(io: FileIO, path: string): Promise<LeaseBody | null | undefined> {
  try {
    return decode(await io.read(path)) ?? undefined;
  } catch (e) {
    if (isFloeError(e, "NOT_FOUND")) return null;
    throw e;
  }
}

async function create(io: FileIO, path: string, body: LeaseBody): Promise<boolean> {
  try {
    await io.write(path, encode(body), { ifNoneMatch: true, contentType: "application/json" });
    return true;
  } catch (e) {
    if (isFloeError(e, "PRECONDITION_FAILED")) return false;
    throw e;
  }
}

export class Lease {
  private released = false;

  constructor(
    private readonly io: FileIO,
    readonly path: string,
    private body: LeaseBody,
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly claim?: string,
  ) {}

  get owner(): string {
    return this.body.owner;
  }
  get token(): string {
    return this.body.token;
  }
  get expiresAt(): number {
    return this.body.expiresAt;
  }

  /** Renews when more than half the TTL has passed (or always with `force`); throws if the lease was lost. */
  async renew(force = false): Promise<void> {
    if (this.released) throw new FloeError("PRECONDITION_FAILED", "lease already released");
    const now = this.now();
    if (!force && this.body.expiresAt - now > this.ttlMs / 2) return;
    const current = await readLease(this.io, this.path);
    if (current?.token !== this.body.token || now >= this.body.expiresAt) {
      throw new FloeError(
        "PRECONDITION_FAILED",
        `compaction lease ${this.path} was lost (expired or taken over)`,
        {
          retryable: false,
          context: { path: this.path },
        },
      );
    }
    const next = { ...this.body, expiresAt: now + this.ttlMs };
    await this.io.write(this.path, encode(next), { contentType: "application/json" });
    this.body = next;
  }

  /** Deletes the lease if it is still ours and unexpired; idempotent. */
  async release(): Promise<boolean> {
    if (this.released) return false;
    this.released = true;
    const current = await readLease(this.io, this.path).catch(() => undefined);
    let deleted = false;
    if (current?.token === this.body.token && this.now() < this.body.expiresAt) {
      await this.io.delete(this.path);
      deleted = true;
    }
    if (this.claim !== undefined) await this.io.delete(this.claim).catch(() => undefined);
    return deleted;
  }
}

/** Tries once to acquire the table's lease; never waits. */
export async function acquireLease(
  io: FileIO,
  location: string,
  options: LeaseOptions = {},
): Promise<LeaseAttempt> {
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const skew = options.skewMs ?? DEFAULT_LEASE_SKEW_MS;
  const path = leasePath(location);
  const fresh = (): LeaseBody => {
    const t = now();
    return {
      owner: options.owner ?? `${hostname()}:${process.pid}`,
      token: randomUUID(),
      acquiredAt: t,
      expiresAt: t + ttl,
    };
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const body = fresh();
    if (await create(io, path, body)) return { acquired: true, lease: new Lease(io, path, body, ttl, now) };
    const held = await readLease(io, path);
    if (held === null) continue; // released in between: try again
    let expiredAt: number;
    if (held === undefined) {
      // Unreadable lease (not ours to parse): expire it by its age.
      const info = await io.stat(path).catch(() => undefined);
      if (info === undefined) continue;
      expiredAt = info.lastModifiedMs + ttl;
    } else {
      expiredAt = held.expiresAt;
    }
    if (now() < expiredAt + skew) {
      return { acquired: false, reason: "held", ...(held ? { holder: held } : {}) };
    }
    const token = held?.token ?? `unreadable-${expiredAt}`;
    const claim = `${path}.takeover-${token}`;
    const claimBody = fresh();
    if (!(await create(io, claim, claimBody))) {
      return {
        acquired: false,
        reason: "another taker claimed the expired lease",
        ...(held ? { holder: held } : {}),
      };
    }
    const again = await readLease(io, path);
    const same = held === undefined ? again === undefined : again?.token === held.token;
    if (!same) {
      await io.delete(claim).catch(() => undefined);
      if (again === null) continue;
      return { acquired: false, reason: "the lease changed hands", ...(again ? { holder: again } : {}) };
    }
    await io.delete(path);
    if (await create(io, path, claimBody)) {
      return { acquired: true, lease: new Lease(io, path, claimBody, ttl, now, claim) };
    }
    await io.delete(claim).catch(() => undefined);
    return { acquired: false, reason: "a newcomer took the lease" };
  }
  return { acquired: false, reason: "the lease kept changing" };
}
