// The transport's own errors: the package's `KafkaNativeError` with a stable code.

import { KafkaNativeError } from '../native/binding';

type ErrorConstructor = new (message: string, code: string, retriable: boolean, fatal: boolean) => KafkaNativeError;

/** A `KafkaNativeError` with `code` (`ERR__TIMED_OUT`, `ERR_DISCONNECTED`, `ERR_INVALID_ARG`). */
export function transportError(message: string, code: string, retriable: boolean): KafkaNativeError {
  return new (KafkaNativeError as unknown as ErrorConstructor)(message, code, retriable, false);
}
