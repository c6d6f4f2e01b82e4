/** Steps shared by the two generation endpoints. */
import { randomUUID } from "node:crypto";
import { ApiError } from "../errors.js";
import type { RequestFields } from "./request-fields.js";
import type { ServedModel } from "./served-model.js";

/** A fresh OpenAI-style id with the given prefix (`cmpl`, `chatcmpl`). */
export function newRequestId(prefix: string): string {
  return `${prefix}-${randomUUID().replaceAll("-", "")}`;
}

/**
 * Checks `model`: absent means the served model; anything else must name it.
 * @throws ApiError `model_not_found` (404).
 */
export function checkModel(fields: RequestFields, model: ServedModel): void {
  const name = fields.optString("model");
  if (name !== undefined && name !== model.name) {
    throw new ApiError(
      "model_not_found",
      `the model '${name}' does not exist; this server serves '${model.name}'`,
      { param: "model" },
    );
  }
}
