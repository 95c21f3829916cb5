/**
 * Sort orders: how writers should sort rows within a data file. Order id 0 is reserved for the
 * unsorted order (no fields).
 */

import { z } from "zod";
import { FloeError } from "../../errors.js";
import { allFields, type Schema } from "./schema.js";
import { canTransform, type Transform, transformFromString, transformToString } from "./transforms.js";
import { describeType } from "./types.js";

export const UNSORTED_ORDER_ID = 0;

export const SortDirectionSchema = z.enum(["asc", "desc"]);
export const NullOrderSchema = z.enum(["nulls-first", "nulls-last"]);
export type SortDirection = z.infer<typeof SortDirectionSchema>;
export type NullOrder = z.infer<typeof NullOrderSchema>;

export const SortFieldSchema = z
  .object({
    transform: z.string(),
    "source-id": z.number().int().optional(),
    "source-ids": z.array(z.number().int()).optional(),
    direction: SortDirectionSchema,
    "null-order": NullOrderSchema,
  })
  .transform((f, ctx) => {
    const sourceId = f["source-id"] ?? f["source-ids"]?.[0];
    if (sourceId === undefined) ctx.addIssue({ code: "custom", message: "sort field has no source-id" });
    return {
      transform: f.transform,
      "source-id": sourceId ?? -1,
      ...(f["source-ids"] && f["source-ids"].length > 1 ? { "source-ids": f["source-ids"] } : {}),
      direction: f.direction,
      "null-order": f["null-order"],
    };
  });

export const SortOrderSchema = z.object({
  "order-id": z.number().int().nonnegative(),
  fields: z.array(SortFieldSchema),
});

export type SortField = z.infer<typeof SortFieldSchema>;
export type SortOrder = z.infer<typeof SortOrderSchema>;

export function parseSortOrder(json: unknown): SortOrder {
  const result = SortOrderSchema.safeParse(json);
  if (!result.success) {
    throw new FloeError("INVALID_ARGUMENT", `invalid sort order: ${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

export function unsortedOrder(): SortOrder {
  return { "order-id": UNSORTED_ORDER_ID, fields: [] };
}

export function isUnsorted(order: SortOrder): boolean {
  return order.fields.length === 0;
}

/** Same fields in the same order; order ids are ignored. */
export function sortOrdersEquivalent(a: SortOrder, b: SortOrder): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => {
      const g = b.fields[i];
      return (
        g !== undefined &&
        f["source-id"] === g["source-id"] &&
        f.direction === g.direction &&
        f["null-order"] === g["null-order"] &&
        transformToString(transformFromString(f.transform)) ===
          transformToString(transformFromString(g.transform))
      );
    })
  );
}

export interface SortFieldInput {
  /** Source column by full dotted name or by field id. */
  source: string | number;
  transform?: string | Transform;
  direction?: SortDirection;
  /** Defaults to nulls-first for asc and nulls-last for desc. */
  nullOrder?: NullOrder;
}

/** Builds a sort order, checking that each source column exists and the transform applies to it. */
export function buildSortOrder(schema: Schema, inputs: SortFieldInput[], orderId = 1): SortOrder {
  if (inputs.length === 0) return unsortedOrder();
  if (orderId === UNSORTED_ORDER_ID) {
    throw new FloeError("INVALID_ARGUMENT", "sort order id 0 is reserved for the unsorted order");
  }
  const entries = allFields(schema);
  const fields = inputs.map((input) => {
    const entry =
      typeof input.source === "number"
        ? entries.find((e) => e.field.id === input.source)
        : entries.find((e) => e.name === input.source);
    if (entry === undefined) {
      throw new FloeError("INVALID_ARGUMENT", `sort column ${input.source} is not in the schema`, {
        context: { source: String(input.source) },
      });
    }
    const transform =
      input.transform === undefined
        ? transformFromString("identity")
        : typeof input.transform === "string"
          ? transformFromString(input.transform)
          : input.transform;
    if (!canTransform(transform, entry.field.type)) {
      throw new FloeError(
        "INVALID_ARGUMENT",
        `cannot sort by ${transformToString(transform)}(${entry.name}) of type ${describeType(entry.field.type)}`,
        { context: { source: entry.name } },
      );
    }
    const direction = input.direction ?? "asc";
    return {
      transform: transformToString(transform),
      "source-id": entry.field.id,
      direction,
      "null-order": input.nullOrder ?? (direction === "asc" ? "nulls-first" : "nulls-last"),
    } satisfies SortField;
  });
  return { "order-id": orderId, fields };
}
