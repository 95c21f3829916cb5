/**
 * Reads the stack broker's log segments directly (read-only) to see how records were stored: the
 * compression codec of every record batch, as the producer wrote it (topics keep the producer's codec).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

/** `log.dirs` of the stack's plain broker. */
export function kafkaLogDir(stackHome: string): string {
  const props = readFileSync(join(stackHome, "cache", "kafka-server.properties"), "utf8");
  const dir = /^log\.dirs=(.+)$/m.exec(props)?.[1]?.trim();
  if (!dir) throw new Error(`no log.dirs in ${stackHome}/cache/kafka-server.properties`);
  return dir.split(",")[0]!;
}

/** Byte offset of the records section in a v2 record batch (its count is the int32 just before). */
export const RECORDS_AT = 61;

/**
 * The record batches of every partition of `topic` as stored (v2, exactly the bytes a fetch returns),
 * in partition then offset order, until `maxBytes` (default all).
 */
export function recordBatches(logDir: string, topic: string, maxBytes = Number.POSITIVE_INFINITY): Buffer[] {
  const out: Buffer[] = [];
  let total = 0;
  const partitionDir = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d+)$`);
  const dirs = readdirSync(logDir)
    .map((d) => [d, partitionDir.exec(d)?.[1]] as const)
    .filter((e): e is readonly [string, string] => e[1] !== undefined)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  for (const [dir] of dirs) {
    for (const file of readdirSync(join(logDir, dir))
      .filter((f) => f.endsWith(".log"))
      .sort()) {
      const log = readFileSync(join(logDir, dir, file));
      let pos = 0;
      // baseOffset int64, length int32, leaderEpoch int32, magic int8, crc int32, attributes int16, ...
      while (pos + RECORDS_AT <= log.length && total < maxBytes) {
        const length = log.readInt32BE(pos + 8);
        if (length <= 0 || pos + 12 + length > log.length) break;
        const magic = log.readInt8(pos + 16);
        if (magic !== 2) throw new Error(`${dir}/${file}: record batch of magic ${magic} at byte ${pos}`);
        out.push(log.subarray(pos, pos + 12 + length));
        total += 12 + length;
        pos += 12 + length;
      }
    }
  }
  return out;
}

/** The codec of a stored record batch (attributes & 7). */
export function batchCodec(batch: Buffer): string {
  const codec = batch.readInt16BE(21) & 0x07;
  return CODECS[codec] ?? `unknown(${codec})`;
}

/**
 * Record batches per codec in every partition of `topic` (control batches of transactions excluded),
 * and the records they hold.
 */
export function batchCodecs(
  logDir: string,
  topic: string,
): Map<string, { batches: number; records: number }> {
  const out = new Map<string, { batches: number; records: number }>();
  for (const batch of recordBatches(logDir, topic)) {
    if ((batch.readInt16BE(21) & 0x20) !== 0) continue;
    const codec = batchCodec(batch);
    const entry = out.get(codec) ?? { batches: 0, records: 0 };
    entry.batches++;
    entry.records += batch.readInt32BE(RECORDS_AT - 4);
    out.set(codec, entry);
  }
  return out;
}
