// Input validation at the edge of each service: one zod schema, every bad field reported at once.
import type { z } from 'zod';
import { AppError, type FieldErrors } from './errors.js';

export function fieldErrorsFromZod(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join('.') : '_';
    (fields[key] ??= []).push(issue.message);
  }
  return fields;
}

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw AppError.validation(fieldErrorsFromZod(result.error));
  return result.data;
}

/** "Title is required" when absent, "cannot be null" for null, else the type message. Zod's own wording is for developers. */
export function requiredMessage(label: string, expected: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `${label} is required` : issue.input === null ? `${label} cannot be null` : `${label} must be ${expected}`;
}
