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

/**
 * Record batches per codec in every partition of `topic` (control batches of transactions excluded),
 * and the records they hold.
 */
export function batchCodecs(
  logDir: string,
  topic: string,
): Map<string, { batches: number; records: number }> {
  const out = new Map<string, { batches: number; records: number }>();
  const partitionDir = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-\\d+$`);
  for (const dir of readdirSync(logDir).filter((d) => partitionDir.test(d))) {
    for (const file of readdirSync(join(logDir, dir)).filter((f) => f.endsWith(".log"))) {
      const log = readFileSync(join(logDir, dir, file));
      let pos = 0;
      // baseOffset int64, length int32, leaderEpoch int32, magic int8, crc int32, attributes int16,
      // lastOffsetDelta int32, ...; records count int32 at byte 57.
      while (pos + 61 <= log.length) {
        const length = log.readInt32BE(pos + 8);
        if (length <= 0) break;
        const magic = log.readInt8(pos + 16);
        if (magic !== 2) throw new Error(`${dir}/${file}: record batch of magic ${magic} at byte ${pos}`);
        const attributes = log.readInt16BE(pos + 21);
        if ((attributes & 0x20) === 0) {
          const codec = CODECS[attributes & 0x07] ?? `unknown(${attributes & 0x07})`;
          const entry = out.get(codec) ?? { batches: 0, records: 0 };
          entry.batches++;
          entry.records += log.readInt32BE(pos + 57);
          out.set(codec, entry);
        }
        pos += 12 + length;
      }
    }
  }
  return out;
}
