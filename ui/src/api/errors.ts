// Errors from commands, in one shape.
//
// A Cairn command rejects with {code, message}. Tauri itself rejects with a
// plain string when the call never reached a command (unknown command, a
// permission missing from src-tauri/capabilities/). Both become an ApiError,
// so screens branch on `code` and show `message`, never parse English.

import type { CommandError, ErrorCode } from "./types";

/** Codes the UI gives itself when the backend did not supply one. */
export const IPC_ERROR = "ipc";
export const UNKNOWN_ERROR = "unknown";

/** A command's code, or one the UI gave itself. */
export type ApiErrorCode = ErrorCode | typeof IPC_ERROR | typeof UNKNOWN_ERROR;

export class ApiError extends Error {
  readonly code: ApiErrorCode;

  constructor({ code, message }: { code: ApiErrorCode; message: string }) {
    super(message);
    this.name = "ApiError";
    this.code = code;
  }
}

function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/** Turns whatever a failed invoke rejected with into an ApiError. */
export function toApiError(reason: unknown): ApiError {
  if (reason instanceof ApiError) return reason;
  if (isCommandError(reason)) return new ApiError(reason);
  if (typeof reason === "string") return new ApiError({ code: IPC_ERROR, message: reason });
  if (reason instanceof Error) return new ApiError({ code: UNKNOWN_ERROR, message: reason.message });
  return new ApiError({ code: UNKNOWN_ERROR, message: String(reason) });
}
