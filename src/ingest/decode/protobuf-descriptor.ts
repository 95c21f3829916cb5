/**
 * Registered Protobuf schemas in binary form: a base64-encoded google.protobuf.FileDescriptorProto, as
 * Confluent's Python, Go and .NET serializers register them (the Java serializer registers .proto text;
 * a registry hands back either form as it was registered). The descriptor is decoded with protobufjs's
 * descriptor extension and added to the same Root as .proto text files, so the two forms can reference
 * each other. protobufjs turns a map field into a repeated field of its map-entry message; those are
 * rebuilt into map fields here, as the .proto text would have declared them.
 */

import protobuf from "protobufjs";
import descriptorModule from "protobufjs/ext/descriptor/index.js";
import { decodeFailed } from "./errors.js";

/** The parts of a decoded DescriptorProto read here (protobufjs's camelCase field names). */
interface MessageDescriptor {
  name: string;
  field?: { name: string; typeName?: string }[];
  nestedType?: MessageDescriptor[];
  options?: { mapEntry?: boolean };
}

interface FileDescriptor {
  name: string;
  package: string;
  dependency: string[];
  messageType: MessageDescriptor[];
  enumType: unknown[];
  syntax: string;
  edition?: number;
}

export interface DescriptorFile {
  /** Files it imports (FileDescriptorProto.dependency). */
  imports: string[];
  /** Its top-level message types, in declaration order (what message indexes count). */
  messages: protobuf.Type[];
}

type TypeJson = protobuf.IType & { options?: Record<string, unknown>; nested?: Record<string, unknown> };
type FieldJson = protobuf.IField & { keyType?: string; rule?: string };

// Importing the extension adds fromDescriptor to protobufjs's reflection classes (not in its typings).
const descriptor = descriptorModule as unknown as { FileDescriptorProto: protobuf.Type };
const TypeFromDescriptor = protobuf.Type as unknown as {
  fromDescriptor(message: MessageDescriptor, edition: string): protobuf.Type;
};
const EnumFromDescriptor = protobuf.Enum as unknown as {
  fromDescriptor(e: unknown, edition: string): protobuf.Enum;
};
const EDITION_2023 = 1000;

/**
 * Whether a registered schema string is a base64 descriptor rather than .proto text: .proto text that
 * declares anything holds a `;` or a `{`, which base64 never does.
 */
export function isBase64Descriptor(text: string): boolean {
  const compact = text.replace(/\s+/g, "");
  return compact.length > 0 && /^[A-Za-z0-9+/\-_]+={0,2}$/.test(compact);
}

function decodeBase64(text: string, what: string): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  const bytes = Buffer.from(compact, /[-_]/.test(compact) ? "base64url" : "base64");
  if (bytes.length === 0) throw decodeFailed(`${what} is not a valid Protobuf schema: empty descriptor`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function editionOf(file: FileDescriptor, what: string): string {
  if (file.syntax === "editions") {
    if (file.edition === EDITION_2023) return "2023";
    throw decodeFailed(`${what} is not a supported Protobuf schema: edition ${file.edition}`);
  }
  return file.syntax === "proto3" ? "proto3" : "proto2";
}

/** Whether field type name `ref` (absolute with a leading dot, or relative) names `fullName`. */
function names(ref: string, fullName: string): boolean {
  const name = ref.startsWith(".") ? ref.slice(1) : ref;
  return name === fullName || fullName.endsWith(`.${name}`);
}

/**
 * Turns each repeated field of a map-entry message nested in `message` into a map field and drops the
 * entry message, in the protobufjs JSON of `message` (`json`) and, recursively, of its nested messages.
 */
function rebuildMaps(message: MessageDescriptor, json: TypeJson, fullName: string): void {
  const nested = json.nested ?? {};
  const fields = json.fields as Record<string, FieldJson>;
  for (const inner of message.nestedType ?? []) {
    const innerName = `${fullName}.${inner.name}`;
    const innerJson = nested[inner.name] as TypeJson | undefined;
    if (innerJson === undefined) continue;
    if (!inner.options?.mapEntry) {
      rebuildMaps(inner, innerJson, innerName);
      continue;
    }
    const entry = innerJson.fields as Record<string, FieldJson>;
    const key = entry.key;
    const value = entry.value;
    if (key === undefined || value === undefined) continue;
    for (const [name, field] of Object.entries(fields)) {
      if (field.rule !== "repeated" || !names(field.type, innerName)) continue;
      const { packed: _packed, ...options } = (field.options ?? {}) as Record<string, unknown>;
      fields[name] = {
        id: field.id,
        keyType: key.type,
        type: value.type,
        ...(Object.keys(options).length > 0 ? { options } : {}),
      };
    }
    delete nested[inner.name];
  }
  // protobufjs marks the message holding a map entry, not the entry, as a map entry.
  if (json.options && !message.options?.mapEntry) {
    delete json.options.map_entry;
    if (Object.keys(json.options).length === 0) delete json.options;
  }
  if (json.nested && Object.keys(json.nested).length === 0) delete json.nested;
}

/** Decodes a base64 FileDescriptorProto and adds its messages and enums to `root`. */
export function addDescriptor(root: protobuf.Root, text: string, what: string): DescriptorFile {
  let file: FileDescriptor;
  try {
    file = descriptor.FileDescriptorProto.decode(decodeBase64(text, what)) as unknown as FileDescriptor;
  } catch (e) {
    throw decodeFailed(
      `${what} is not a valid Protobuf schema (neither .proto text nor a FileDescriptorProto): ${(e as Error).message}`,
      e,
    );
  }
  const edition = editionOf(file, what);
  try {
    const ns: protobuf.Namespace = file.package ? root.define(file.package) : root;
    const messages: protobuf.Type[] = [];
    for (const message of file.messageType) {
      const json = TypeFromDescriptor.fromDescriptor(message, edition).toJSON() as TypeJson;
      rebuildMaps(message, json, file.package ? `${file.package}.${message.name}` : message.name);
      // fromJSON keeps the edition toJSON wrote (proto2, 2023; proto3 is its default).
      const type = protobuf.Type.fromJSON(message.name, json as protobuf.IType);
      ns.add(type);
      messages.push(type);
    }
    for (const e of file.enumType) ns.add(EnumFromDescriptor.fromDescriptor(e, edition));
    return { imports: [...file.dependency], messages };
  } catch (e) {
    throw decodeFailed(`${what} is not a valid Protobuf schema: ${(e as Error).message}`, e);
  }
}
