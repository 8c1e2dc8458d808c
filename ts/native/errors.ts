// `KafkaNativeError`s raised by the subpath layers themselves (not by the engine), with the same
// stable codes.

import { KafkaNativeError } from './binding';

type ErrorConstructor = new (message: string, code: string, retriable: boolean, fatal: boolean) => KafkaNativeError;

/** A `KafkaNativeError` with `code` (`ERR__TIMED_OUT`, `ERR_DISCONNECTED`, `ERR_INVALID_CONFIG`, ...). */
export function nativeError(message: string, code: string, retriable: boolean): KafkaNativeError {
  return new (KafkaNativeError as unknown as ErrorConstructor)(message, code, retriable, false);
}
