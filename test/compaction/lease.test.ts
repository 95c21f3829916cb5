import { describe, expect, it } from "vitest";
import { acquireLease, LEASE_FILE, type Lease, leasePath } from "../../src/compaction/index.js";
import { MemoryFileIO } from "../../src/iceberg/io/index.js";

const LOC = "memory://wh/db/t";

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe("compaction lease", () => {
  it("of 8 concurrent acquirers exactly one wins", async () => {
    for (let round = 0; round < 20; round++) {
      const io = new MemoryFileIO();
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) => acquireLease(io, LOC, { owner: `c${i}` })),
      );
      const winners = attempts.filter((a) => a.acquired);
      expect(winners).toHaveLength(1);
      for (const a of attempts) {
        if (!a.acquired) expect(a.holder?.owner).toBe(winners[0]?.acquired ? winners[0].lease.owner : "");
      }
      expect(io.paths()).toEqual([`${LOC}/${LEASE_FILE}`]);
    }
  });

  it("is free again after release, and release never deletes someone else's lease", async () => {
    const io = new MemoryFileIO();
    const a = await acquireLease(io, LOC, { owner: "a" });
    expect(a.acquired).toBe(true);
    const lease = (a as { lease: Lease }).lease;
    expect((await acquireLease(io, LOC, { owner: "b" })).acquired).toBe(false);
    expect(await lease.release()).toBe(true);
    expect(await lease.release()).toBe(false);
    const b = await acquireLease(io, LOC, { owner: "b" });
    expect(b.acquired).toBe(true);
    expect(await io.exists(leasePath(LOC))).toBe(true);
  });

  it("of 8 concurrent takers of an expired lease exactly one wins; the old holder then finds it lost", async () => {
    for (let round = 0; round < 20; round++) {
      const io = new MemoryFileIO();
      const c = clock();
      const old = await acquireLease(io, LOC, { owner: "old", ttlMs: 1000, skewMs: 100, now: c.now });
      expect(old.acquired).toBe(true);
      const stale = (old as { lease: Lease }).lease;
      c.advance(500);
      // Not expired yet: nobody takes it.
      expect((await acquireLease(io, LOC, { ttlMs: 1000, skewMs: 100, now: c.now })).acquired).toBe(false);
      c.advance(1000);
      const takers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          acquireLease(io, LOC, { owner: `t${i}`, ttlMs: 1000, skewMs: 100, now: c.now }),
        ),
      );
      const winners = takers.filter((t) => t.acquired);
      expect(winners).toHaveLength(1);
      const winner = (winners[0] as { lease: Lease }).lease;
      await expect(stale.renew(true)).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
      // The stale holder's release leaves the new lease alone.
      expect(await stale.release()).toBe(false);
      expect(await io.exists(leasePath(LOC))).toBe(true);
      // Only the lease and the winner's takeover claim exist; the claim goes on release.
      expect(io.paths()).toHaveLength(2);
      expect(await winner.release()).toBe(true);
      expect(io.paths()).toEqual([]);
    }
  });

  it("renews before expiry and keeps a renewed lease from being taken over", async () => {
    const io = new MemoryFileIO();
    const c = clock();
    const a = await acquireLease(io, LOC, { ttlMs: 1000, skewMs: 0, now: c.now });
    const lease = (a as { lease: Lease }).lease;
    c.advance(200);
    await lease.renew();
    expect(lease.expiresAt).toBe(1_000_000 + 1000); // less than half the TTL passed: unchanged
    c.advance(500);
    await lease.renew();
    expect(lease.expiresAt).toBe(1_000_000 + 700 + 1000);
    c.advance(900);
    expect((await acquireLease(io, LOC, { ttlMs: 1000, skewMs: 0, now: c.now })).acquired).toBe(false);
    c.advance(200);
    expect((await acquireLease(io, LOC, { ttlMs: 1000, skewMs: 0, now: c.now })).acquired).toBe(true);
  });

  it("takes over an unreadable lease once it is older than the TTL", async () => {
    let t = 5_000_000;
    const io = new MemoryFileIO({ now: () => t });
    await io.write(leasePath(LOC), new TextEncoder().encode("garbage"));
    expect((await acquireLease(io, LOC, { ttlMs: 1000, skewMs: 0, now: () => t })).acquired).toBe(false);
    t += 2000;
    expect((await acquireLease(io, LOC, { ttlMs: 1000, skewMs: 0, now: () => t })).acquired).toBe(true);
  });
});
