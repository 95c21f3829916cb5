import { stackEnv } from "./stack.js";

export interface SchemaToRegister {
  schema: string;
  /** AVRO when unset, as in the Confluent API. */
  schemaType?: "AVRO" | "JSON" | "PROTOBUF";
  references?: { name: string; subject: string; version: number }[];
}

/**
 * Registers `schema` under `subject` on the stack's Schema Registry (Apicurio, through its Confluent-compatible
 * API) with POST /subjects/{subject}/versions, as a producer's serializer would, and returns its schema id.
 */
export async function registerSchema(subject: string, schema: SchemaToRegister): Promise<number> {
  const url = `${stackEnv().FLOE_SCHEMA_REGISTRY_URL}/subjects/${encodeURIComponent(subject)}/versions`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify(schema),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`registering a schema under ${subject} failed: HTTP ${res.status} ${text}`);
  const id = (JSON.parse(text) as { id?: unknown }).id;
  if (typeof id !== "number") throw new Error(`the registry answered no schema id for ${subject}: ${text}`);
  return id;
}
