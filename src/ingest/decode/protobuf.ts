/**
 * Protobuf records in the Schema Registry wire format. Per schema id, once: fetch the schema and the
 * files it imports (schema references, by import path; google/protobuf/*.proto come with protobufjs when
 * the registry does not name them, as Confluent's serializers leave them out) and add them to one
 * protobufjs root. Each file is either .proto text (field names as written) or a base64-encoded
 * FileDescriptorProto (protobuf-descriptor.ts), as Confluent's Java and Python serializers register them.
 * Per message-index path, once: find the message ([0] is the file's first message, further indexes walk
 * nested message types) and compile it (protobuf-schema.ts). Per record: read the header and the message
 * indexes, decode with protobufjs, convert the values.
 */

import protobuf from "protobufjs";
import { FloeError } from "../../errors.js";
import { decodeFailed, requireValue } from "./errors.js";
import { addDescriptor, isBase64Descriptor } from "./protobuf-descriptor.js";
import { type CompiledProtobufMessage, compileProtobufMessage } from "./protobuf-schema.js";
import {
  CompiledSchemas,
  type RegisteredSchema,
  referencedSchemas,
  type SchemaRegistryClient,
} from "./registry.js";
import type { DecodedRecord, DecodeInput, Decoder } from "./types.js";
import { readMessageIndexes, readWireHeader } from "./wire.js";

interface ProtoFile {
  /** The import path references name it by; "" for the registered schema itself. */
  name: string;
  text: string;
  what: string;
}

interface Message extends CompiledProtobufMessage {
  type: protobuf.Type;
}

const PARSE_OPTIONS: protobuf.IParseOptions = { keepCase: true };

/** A registered .proto file parsed with its imports; messages compiled per index path on first use. */
class CompiledFile {
  readonly #byPath = new Map<string, Message | FloeError>();

  constructor(
    private readonly what: string,
    /** The file's top-level messages in declaration order. */
    private readonly messages: protobuf.Type[],
  ) {}

  message(indexes: number[]): Message {
    const key = indexes.join(",");
    let found = this.#byPath.get(key);
    if (found === undefined) {
      try {
        const type = this.#resolve(indexes);
        found = { ...compileProtobufMessage(type), type };
      } catch (e) {
        if (!(e instanceof FloeError)) throw e;
        found = e;
      }
      this.#byPath.set(key, found);
    }
    if (found instanceof FloeError) throw found;
    return found;
  }

  #resolve(indexes: number[]): protobuf.Type {
    let candidates = this.messages;
    let type: protobuf.Type | undefined;
    for (const [depth, index] of indexes.entries()) {
      type = candidates[index];
      if (type === undefined) {
        const path = indexes.slice(0, depth + 1).join(", ");
        throw decodeFailed(`message index [${path}] is out of range for ${this.what}`);
      }
      candidates = nestedMessages(type);
    }
    if (type === undefined) throw decodeFailed(`empty message index for ${this.what}`);
    return type;
  }
}

function nestedMessages(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type);
}

/** protobufjs quotes a whole illegal token, which can be the rest of the schema. */
function clip(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}...` : message;
}

/** Adds one file, .proto text or a base64 descriptor, to `root`: its imports and top-level messages. */
function addFile(root: protobuf.Root, file: ProtoFile): { imports: string[]; messages: protobuf.Type[] } {
  if (isBase64Descriptor(file.text)) return addDescriptor(root, file.text, file.what);
  let parsed: protobuf.IParserResult;
  try {
    parsed = protobuf.parse(file.text, root, PARSE_OPTIONS);
  } catch (e) {
    throw decodeFailed(`${file.what} is not a valid Protobuf schema: ${clip((e as Error).message)}`, e);
  }
  // Only right for the first file parsed into a root (its package then holds only its own messages).
  const ns = parsed.package ? root.lookup(parsed.package) : root;
  return {
    imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
    messages: ns instanceof protobuf.Namespace ? nestedMessages(ns) : [],
  };
}

export async function compileRegisteredProtobuf(
  registry: SchemaRegistryClient,
  id: number,
  registered: RegisteredSchema,
): Promise<CompiledFile> {
  const what = `schema id ${id}`;
  const files: ProtoFile[] = [{ name: "", text: registered.schema, what }];
  for (const r of await referencedSchemas(registry, registered, what)) {
    if (r.schema.schemaType !== "PROTOBUF") {
      throw decodeFailed(`${what} references ${r.what}, whose schemaType is ${r.schema.schemaType}`);
    }
    files.push({ name: r.ref.name, text: r.schema.schema, what: r.what });
  }
  const root = new protobuf.Root();
  const provided = new Set(files.map((f) => f.name));
  const imports: string[] = [];
  let messages: protobuf.Type[] = [];
  for (const [i, file] of files.entries()) {
    const added = addFile(root, file);
    // The schema's own file is added first.
    if (i === 0) messages = added.messages;
    imports.push(...added.imports);
  }
  // Well-known files (google/protobuf/timestamp.proto ...) the registry did not hand out as references.
  const missing: string[] = [];
  for (const name of new Set(imports)) {
    if (provided.has(name)) continue;
    const json = protobuf.common.get(name);
    if (json?.nested) root.addJSON(json.nested);
    else missing.push(name);
  }
  try {
    root.resolveAll();
  } catch (e) {
    const note = missing.length > 0 ? ` (imports no reference provides: ${missing.join(", ")})` : "";
    throw decodeFailed(`${what} is not a valid Protobuf schema: ${(e as Error).message}${note}`, e);
  }
  if (messages.length === 0) throw decodeFailed(`${what} declares no message`);
  return new CompiledFile(what, messages);
}

export class ProtobufDecoder implements Decoder {
  readonly #compiled: CompiledSchemas<CompiledFile>;

  constructor(registry: SchemaRegistryClient) {
    this.#compiled = new CompiledSchemas(registry, "PROTOBUF", compileRegisteredProtobuf);
  }

  async decode(input: DecodeInput): Promise<DecodedRecord> {
    const bytes = requireValue(input);
    const { schemaId, payloadOffset } = readWireHeader(bytes);
    const { indexes, offset } = readMessageIndexes(bytes, payloadOffset);
    const message = (await this.#compiled.get(schemaId)).message(indexes);
    let decoded: protobuf.Message;
    try {
      // A plain Uint8Array view, not a Buffer: protobufjs's Buffer reader cuts a string that runs past
      // the end short instead of failing, which would let a truncated record through.
      decoded = message.type.decode(
        new Uint8Array(bytes.buffer, bytes.byteOffset + offset, bytes.byteLength - offset),
      );
    } catch (e) {
      throw decodeFailed(
        `Protobuf payload does not match message ${message.type.fullName.slice(1)} of schema id ${schemaId}: ${(e as Error).message}`,
        e,
      );
    }
    return { row: message.toRow(decoded), schema: message.struct };
  }
}
