import { FloeError } from "../../errors.js";

export interface S3Location {
  /** `s3`, or the Hadoop spellings `s3a` / `s3n`, lower-cased; listings answer in the same spelling. */
  scheme: string;
  bucket: string;
  key: string;
}

const S3_URI = /^(s3|s3a|s3n):\/\/([^/?#]+)(?:\/(.*))?$/is;

/**
 * Splits `s3://bucket/key`. The key is taken literally (no percent-decoding), like every Iceberg
 * implementation does. An empty key is allowed only for list prefixes (`allowEmptyKey`).
 */
export function parseS3Uri(uri: string, options: { allowEmptyKey?: boolean } = {}): S3Location {
  const m = S3_URI.exec(uri);
  const scheme = m?.[1]?.toLowerCase();
  const bucket = m?.[2];
  const key = m?.[3] ?? "";
  if (!scheme || !bucket) {
    throw new FloeError("INVALID_ARGUMENT", "not an S3 location (expected s3://bucket/key)", {
      context: { path: uri },
    });
  }
  if (key === "" && !options.allowEmptyKey) {
    throw new FloeError("INVALID_ARGUMENT", "S3 location has no object key", { context: { path: uri } });
  }
  return { scheme, bucket, key };
}

export function formatS3Uri(scheme: string, bucket: string, key: string): string {
  return `${scheme}://${bucket}/${key}`;
}
