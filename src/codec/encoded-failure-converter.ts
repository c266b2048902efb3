import { DefaultFailureConverter } from '@temporalio/common';

/**
 * The failure converter of processes that encrypt payloads: a failure's message and stack
 * trace move into its `encodedAttributes` payload, which the codecs encrypt like any other,
 * and the history keeps "Encoded failure" in their place. Loaded by path
 * (`DataConverter.failureConverterPath`) because the workflow sandbox bundles it: the
 * workflow code's own failures are converted inside the sandbox.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
