import { FloeError } from "../../src/errors.js";

/** The FloeError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<FloeError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FloeError) return e;
    throw e;
  }
  throw new Error("expected a FloeError");
}
